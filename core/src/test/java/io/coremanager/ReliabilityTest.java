package io.coremanager;

import io.coremanager.affinity.Affinity;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Errors inside work, full queues, stalled lanes: the lane goes on and says what happened. */
class ReliabilityTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private final List<CoreManager> managers = new ArrayList<>();

    private CoreManager track(CoreManager m) {
        managers.add(m);
        return m;
    }

    @AfterEach
    void closeAll() throws InterruptedException {
        for (CoreManager m : managers) {
            m.shutdownNow();
            assertThat(m.awaitTermination(WAIT)).isTrue();
        }
    }

    @Test
    void aThrownOutOfMemoryErrorFailsItsTaskOnlyAndIsCounted() throws Exception {
        ConcurrentLinkedQueue<Throwable> handled = new ConcurrentLinkedQueue<>();
        CountDownLatch seen = new CountDownLatch(1);
        CoreManager cores = track(CoreManager.builder().uncaughtExceptionHandler((t, e) -> {
            handled.add(e);
            seen.countDown();
        }).build());
        int cpu = cores.cpus().first();
        CompletableFuture<Object> oom = cores.submit(cpu, () -> {
            throw new OutOfMemoryError("thrown by the test");
        });
        assertThatThrownBy(oom::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(OutOfMemoryError.class);
        cores.execute(cpu, () -> {
            throw new OutOfMemoryError("thrown by the test, execute");
        });
        assertThat(seen.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(handled).singleElement().isInstanceOf(OutOfMemoryError.class);
        assertThat(cores.submit(cpu, () -> "alive").get()).isEqualTo("alive");
        assertThat(io.coremanager.testing.Settled.stats(cores, cpu, s -> s.failed() >= 2).failed()).isEqualTo(2);
        assertThat(cores.stats(cpu).carrierReplacements()).isZero();
        assertThat(cores.pinnedNow(cpu)).isTrue();
    }

    @Test
    void aFullQueueIsRejectedWithTheLaneNamedAndNothingAcceptedIsLost() throws Exception {
        CoreManager cores = track(CoreManager.builder().queueCapacity(100).build());
        int cpu = cores.cpus().first();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        cores.execute(cpu, () -> {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        started.await();
        List<CompletableFuture<Integer>> accepted = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            accepted.add(cores.submit(cpu, () -> 1));
        }
        assertThatThrownBy(() -> cores.submit(cpu, () -> 1)).isInstanceOf(RejectedExecutionException.class)
                .hasMessage("the queue of cpu " + cpu + " is full: 100 entries wait (capacity 100); the lane is "
                        + "overloaded or stuck (see stats(" + cpu + ") and the stall reports)");
        assertThatThrownBy(() -> cores.execute(cpu, () -> { })).isInstanceOf(RejectedExecutionException.class);
        Thread vt = cores.go(cpu, () -> { }); // wake-ups of virtual threads are never refused
        release.countDown();
        for (CompletableFuture<Integer> f : accepted) {
            assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(1);
        }
        vt.join();
        assertThat(cores.submit(cpu, () -> 2).get()).isEqualTo(2);
    }

    @Test
    void theWatchdogReportsAStallWithTheOffendersStackThroughStatsAndJfr() throws Exception {
        CoreManager cores = track(CoreManager.builder().stallThreshold(Duration.ofMillis(100)).build());
        int cpu = cores.cpus().first();
        ConcurrentLinkedQueue<RecordedEvent> events = new ConcurrentLinkedQueue<>();
        CountDownLatch stallEvent = new CountDownLatch(1);
        try (RecordingStream jfr = new RecordingStream()) {
            jfr.enable("io.coremanager.LaneStall");
            jfr.onEvent("io.coremanager.LaneStall", e -> {
                events.add(e);
                stallEvent.countDown();
            });
            jfr.startAsync();
            AtomicBoolean stop = new AtomicBoolean();
            CompletableFuture<Void> busy = cores.submit(cpu, () -> busyLoopUntil(stop));
            assertThat(stallEvent.await(30, TimeUnit.SECONDS)).as("a LaneStall event").isTrue();
            stop.set(true);
            busy.get();
        }
        RecordedEvent e = events.peek();
        assertThat(e.getInt("cpu")).isEqualTo(cpu);
        assertThat(e.getDuration("stalledNanos")).isGreaterThanOrEqualTo(Duration.ofMillis(100));
        assertThat(e.getString("offender")).contains("coremanager-cpu-" + cpu).contains("busyLoopUntil");
        assertThat(e.getBoolean("interrupted")).isFalse();
        LaneStats stats = cores.stats(cpu);
        assertThat(stats.stalls()).isEqualTo(1);
        assertThat(stats.longestStallNanos()).isGreaterThanOrEqualTo(Duration.ofMillis(100).toNanos());
    }

    private static void busyLoopUntil(AtomicBoolean stop) {
        while (!stop.get()) {
            Thread.onSpinWait();
        }
    }

    @Test
    void theWatchdogInterruptsTheOffenderOnlyWhenTold() throws Exception {
        CoreManager cores = track(CoreManager.builder().stallThreshold(Duration.ofMillis(50)).interruptStalled(true).build());
        int cpu = cores.cpus().first();
        CompletableFuture<Boolean> interrupted = cores.submit(cpu, () -> {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Thread.currentThread().isInterrupted() && System.nanoTime() < end) {
                Thread.onSpinWait();
            }
            return Thread.currentThread().isInterrupted();
        });
        assertThat(interrupted.get(30, TimeUnit.SECONDS)).isTrue();
        assertThat(cores.submit(cpu, () -> Thread.currentThread().isInterrupted()).get()).isFalse();
    }

    @Test
    void aStalledVirtualThreadIsReported() throws Exception {
        CoreManager cores = track(CoreManager.builder().stallThreshold(Duration.ofMillis(100)).build());
        int cpu = cores.cpus().first();
        AtomicBoolean stop = new AtomicBoolean();
        Thread vt = cores.go(cpu, () -> busyLoopUntil(stop));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (cores.stats(cpu).stalls() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        stop.set(true);
        vt.join();
        assertThat(cores.stats(cpu).stalls()).isEqualTo(1);
    }

    @Test
    void noStallIsReportedForShortWorkOrAnIdleLane() throws Exception {
        // A threshold far above any scheduling hiccup of a busy CI machine: this checks logic, not timing.
        CoreManager cores = track(CoreManager.builder().stallThreshold(Duration.ofMillis(250)).build());
        int cpu = cores.cpus().first();
        for (int i = 0; i < 2000; i++) {
            cores.submit(cpu, () -> 1).get();
        }
        Thread.sleep(1000); // idle for four thresholds: idle is not a stall
        assertThat(cores.stats(cpu).stalls()).isZero();
    }

    @Test
    void badBuilderArgumentsSayWhatIsValid() {
        assertThatThrownBy(() -> CoreManager.builder().queueCapacity(-1))
                .hasMessage("capacity: -1 (expected: 0 for unbounded, or more)");
        assertThatThrownBy(() -> CoreManager.builder().stallThreshold(Duration.ofMillis(-1)))
                .hasMessageContaining("threshold: PT-0.001S (expected: zero to turn off, or more)");
        assertThatThrownBy(() -> IdleStrategy.spinThenPark(Duration.ofNanos(-1)))
                .hasMessageContaining("spin: PT-0.000000001S (expected: zero or more)");
    }

    /**
     * Issue 14: when the allowed CPUs change under a running manager, the kernel moves a carrier off
     * its CPU without a word. The watchdog asks the kernel once a second and reports it once; the
     * lane keeps running, unpinned, and stats() says so. Simulated by widening the carrier's mask
     * from outside, as the kernel would after a cpuset edit.
     */
    @Test
    void aCarrierTheKernelMovedOffItsCpuIsReportedOnceAndTheLaneKeepsRunning() throws Exception {
        assumeTrue(Affinity.isSupported()
                && Affinity.get().size() > 1, "needs affinity and two cpus");
        CpuSet all = Affinity.get();
        int cpu = all.last();
        CoreManager cores = CoreManager.builder().cpus(CpuSet.of(cpu)).stallThreshold(Duration.ofMillis(100)).build();
        try {
            int tid = cores.submit(cpu, Affinity::currentThreadId).get(30, TimeUnit.SECONDS);
            assertThat(cores.pinnedNow(cpu)).isTrue();
            Affinity.setOfThread(tid, all);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (cores.stats(cpu).pinProblem() == null && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(cores.stats(cpu).pinProblem()).as("reported through stats()")
                    .contains("the kernel moved the carrier of cpu " + cpu + " off its cpu");
            assertThat(cores.pinnedNow(cpu)).isFalse();
            assertThat(cores.submit(cpu, () -> "still runs").get(30, TimeUnit.SECONDS)).isEqualTo("still runs");
        } finally {
            cores.close();
        }
    }
}
