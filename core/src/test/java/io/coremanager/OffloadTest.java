package io.coremanager;

import io.coremanager.affinity.Affinity;
import io.coremanager.testing.Where;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link CoreManager#offload} and {@link CoreManager#offloadAndWait}: placement, resumption, failures, lifecycle. */
class OffloadTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private final List<CoreManager> managers = new ArrayList<>();

    /** A manager on the last usable CPU only, so that (on a machine of two or more) a CPU is spare. */
    private CoreManager oneLane(int offloadThreads) {
        CpuSet usable = io.coremanager.topology.CpuTopology.current().usableCpus();
        CoreManager m = CoreManager.builder().cpus(CpuSet.of(usable.last())).offloadThreads(offloadThreads).build();
        managers.add(m);
        return m;
    }

    @AfterEach
    void closeAll() throws InterruptedException {
        for (CoreManager m : managers) {
            m.shutdownNow();
            assertThat(m.awaitTermination(WAIT)).as("%s terminates", m).isTrue();
        }
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    /** What an offloaded call sees of its thread. */
    private record Seen(String thread, boolean virtual, CpuSet affinity, int cpu) {
        static Seen now() {
            Thread t = Thread.currentThread();
            return new Seen(t.getName(), t.isVirtual(), Affinity.isSupported() ? Affinity.get() : CpuSet.of(),
                    CoreManager.currentCpu());
        }
    }

    @Test
    void aCoreAffineVirtualThreadParksAndResumesOnItsLaneWhileTheCallRunsOffIt() throws Exception {
        CoreManager cores = oneLane(0);
        int cpu = cores.cpus().first();
        CompletableFuture<Object[]> result = new CompletableFuture<>();
        cores.go(cpu, () -> {
            try {
                Where before = Where.now("before");
                Seen call = cores.offloadAndWait(Seen::now);
                Where after = Where.now("after");
                result.complete(new Object[] {before, call, after});
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        Object[] r = await(result);
        Seen call = (Seen) r[1];
        assertThat(call.virtual()).isFalse();
        assertThat(call.thread()).startsWith("offload-").endsWith("/coremanager-cpu-");
        if (Affinity.isSupported()) {
            assertThat(((Where) r[0]).on(cpu)).as("%s", r[0]).isTrue();
            assertThat(((Where) r[2]).on(cpu)).as("resumed on the lane: %s", r[2]).isTrue();
            CpuSet usable = cores.topology().usableCpus();
            assumeTrue(usable.size() > 1, "no cpu to spare on this machine");
            assertThat(call.affinity()).as("the offload thread's affinity").doesNotContain(cpu).isNotEmpty()
                    .isSubsetOf(usable.minus(cores.cpus()).stream().boxed().toList());
            assertThat(call.cpu()).isNotEqualTo(cpu);
        }
    }

    @Test
    void fromATaskTheFutureCompletesOnTheCallersLane() throws Exception {
        CoreManager cores = oneLane(0);
        int cpu = cores.cpus().first();
        CompletableFuture<CompletableFuture<Seen>> outer = cores.submit(cpu,
                () -> cores.offload(() -> "off").thenApply(s -> Seen.now()));
        Seen stage = await(await(outer));
        assertThat(stage.thread()).isEqualTo("coremanager-cpu-" + cpu);
        if (Affinity.isSupported()) {
            assertThat(stage.cpu()).isEqualTo(cpu);
        }
    }

    @Test
    void aCarrierMayNotWaitForItsOffloadedCall() throws Exception {
        CoreManager cores = oneLane(0);
        int cpu = cores.cpus().first();
        CountDownLatch release = new CountDownLatch(1);
        try {
            assertThatThrownBy(() -> await(cores.submit(cpu, () -> cores.offload(() -> release.await(30, TimeUnit.SECONDS)).join())))
                    .hasCauseInstanceOf(IllegalStateException.class).cause()
                    .hasMessageContaining("a task on cpu " + cpu + "'s lane waits for a blocking call it offloaded");
            assertThatThrownBy(() -> await(cores.submit(cpu, () -> cores.offloadAndWait(() -> 1))))
                    .hasCauseInstanceOf(IllegalStateException.class).cause()
                    .hasMessageContaining("offloadAndWait called by a task on cpu " + cpu + "'s carrier");
        } finally {
            release.countDown();
        }
    }

    @Test
    void theCallsExceptionPropagatesAsItWasThrown() throws Exception {
        CoreManager cores = oneLane(0);
        int cpu = cores.cpus().first();
        IOException thrown = new IOException("disk on fire");
        CompletableFuture<Throwable> fromVirtual = new CompletableFuture<>();
        cores.go(cpu, () -> {
            try {
                cores.offloadAndWait(() -> {
                    throw thrown;
                });
                fromVirtual.complete(null);
            } catch (Throwable t) {
                fromVirtual.complete(t);
            }
        });
        assertThat(await(fromVirtual)).isSameAs(thrown);
        assertThatThrownBy(() -> cores.offloadAndWait(() -> {
            throw new AssertionError("an error too");
        })).isInstanceOf(AssertionError.class).hasMessage("an error too");
        CompletableFuture<Object> fromTask = await(cores.submit(cpu, () -> cores.offload(() -> {
            throw thrown;
        })));
        assertThatThrownBy(() -> await(fromTask)).isInstanceOf(ExecutionException.class).cause().isSameAs(thrown);
        assertThat(await(cores.offload(() -> "outside"))).isEqualTo("outside");
    }

    @Test
    void shutdownNowInterruptsRunningCallsAndCancelsQueuedOnes() throws Exception {
        CoreManager cores = oneLane(1);
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Object> running = cores.offload(() -> {
            started.countDown();
            return new CountDownLatch(1).await(30, TimeUnit.SECONDS);
        });
        CompletableFuture<Object> queued = cores.offload(() -> "never");
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        cores.shutdownNow();
        assertThatThrownBy(() -> await(running)).cause().isInstanceOf(InterruptedException.class);
        assertThatThrownBy(() -> await(queued)).isInstanceOf(CancellationException.class)
                .rootCause().hasMessageContaining("shutdownNow() before this offloaded call started");
        assertThat(cores.awaitTermination(WAIT)).isTrue();
    }

    @Test
    void closeWaitsForAcceptedCallsThenRejectsNewOnes() throws Exception {
        CoreManager cores = oneLane(0);
        int cpu = cores.cpus().first();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> fromVirtual = new CompletableFuture<>();
        cores.go(cpu, () -> {
            try {
                fromVirtual.complete(cores.offloadAndWait(() -> {
                    started.countDown();
                    release.await();
                    return "finished";
                }));
            } catch (Throwable t) {
                fromVirtual.completeExceptionally(t);
            }
        });
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        Thread closer = Thread.ofPlatform().start(cores::close);
        assertThat(closer.join(Duration.ofMillis(50))).as("close waits for the call").isFalse();
        assertThatThrownBy(() -> cores.offload(() -> 1)).isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("accepts no new blocking calls from outside its lanes");
        release.countDown();
        assertThat(closer.join(WAIT)).as("close returns").isTrue();
        assertThat(fromVirtual).isCompletedWithValue("finished");
        assertThat(cores.isTerminated()).isTrue();
        assertThatThrownBy(() -> cores.offload(() -> 1)).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> cores.offloadAndWait(() -> 1)).isInstanceOf(RejectedExecutionException.class);
    }

    @Test
    void withNoCpuToSpareCallsStillRunBesideTheLanes() throws Exception {
        CoreManager cores = CoreManager.create();
        managers.add(cores);
        int cpu = cores.cpus().last();
        CompletableFuture<Seen> seen = new CompletableFuture<>();
        cores.go(cpu, () -> {
            try {
                seen.complete(cores.offloadAndWait(Seen::now));
            } catch (Throwable t) {
                seen.completeExceptionally(t);
            }
        });
        assertThat(await(seen).thread()).startsWith("offload-");
    }

    @Test
    void argumentsAreChecked() {
        assertThatThrownBy(() -> CoreManager.builder().offloadThreads(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threads: -1 (expected: 0 for the default, or 1 to 32767)");
        CoreManager cores = oneLane(0);
        assertThatThrownBy(() -> cores.offload(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> cores.offloadAndWait(null)).isInstanceOf(NullPointerException.class);
    }
}
