package io.coremanager.affinity;

import io.coremanager.CpuSet;
import io.coremanager.testing.ProcWitness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Affinity on this machine, each check in a fresh platform thread so the test runner stays unpinned. */
class AffinityTest {

    private static final int YIELDS_PER_CPU = 2_000;

    @BeforeAll
    static void linuxOnly() {
        assumeTrue(Affinity.isSupported(), () -> "affinity unsupported: " + Affinity.unsupportedReason());
        assumeTrue(ProcWitness.available(), "no /proc/thread-self");
    }

    @Test
    void pinsToEachAllowedCpuAndStaysThereAcrossYields() throws Exception {
        CpuSet allowed = inThread(Affinity::get);
        assertThat(allowed).isNotEmpty();
        for (int cpu : allowed.toArray()) {
            int target = cpu;
            inThread(() -> {
                Affinity.pin(target);
                assertThat(Affinity.get()).isEqualTo(CpuSet.of(target));
                assertThat(ProcWitness.cpusAllowed()).isEqualTo(CpuSet.of(target));
                for (int i = 0; i < YIELDS_PER_CPU; i++) {
                    Thread.yield();
                    assertThat(Affinity.currentCpu()).as("sched_getcpu after %d yields", i).isEqualTo(target);
                    assertThat(ProcWitness.processor()).as("/proc/thread-self/stat after %d yields", i)
                            .isEqualTo(target);
                }
                return null;
            });
        }
    }

    @Test
    void setAppliesExactlyTheSetAskedFor() throws Exception {
        CpuSet allowed = inThread(Affinity::get);
        CpuSet seen = inThread(() -> {
            Affinity.set(allowed);
            return ProcWitness.cpusAllowed();
        });
        assertThat(seen).isEqualTo(allowed);
    }

    @Test
    void currentCpuIsOneOfTheAllowedCpus() throws Exception {
        CpuSet allowed = inThread(Affinity::get);
        assertThat(allowed.contains(Affinity.currentCpu())).isTrue();
    }

    @Test
    void pinningToACpuThatDoesNotExistSaysWhichAreAllowed() throws Exception {
        CpuSet allowed = inThread(Affinity::get);
        int missing = PinnableCpus.now().possible.last() + 1;
        CpuSet before = inThread(() -> {
            CpuSet mask = Affinity.get();
            assertThatThrownBy(() -> Affinity.pin(missing))
                    .isInstanceOfSatisfying(AffinityException.class, e -> {
                        assertThat(e.errnoName()).isEqualTo("EINVAL");
                        assertThat(e.requested()).isEqualTo(CpuSet.of(missing));
                        assertThat(e.allowed()).isNotEmpty();
                    })
                    .hasMessageContaining("sched_setaffinity(calling thread, cpus " + missing + ") failed: EINVAL")
                    .hasMessageContaining("cpus " + missing + " do not exist on this machine")
                    .hasMessageContaining("allowed cpus: " + PinnableCpus.now().allowed);
            return mask;
        });
        assertThat(before).isEqualTo(allowed);
    }

    @Test
    void aPartlyRefusedSetLeavesTheThreadAsItWas() throws Exception {
        int missing = PinnableCpus.now().possible.last() + 1;
        inThread(() -> {
            CpuSet mask = Affinity.get();
            assertThatThrownBy(() -> Affinity.set(mask.with(missing)))
                    .isInstanceOf(AffinityException.class)
                    .hasMessageContaining("cpus " + missing + " do not exist");
            assertThat(Affinity.get()).isEqualTo(mask);
            assertThat(ProcWitness.cpusAllowed()).isEqualTo(mask);
            return null;
        });
    }

    @Test
    void anotherThreadIsPinnedByItsThreadId() throws Exception {
        CpuSet allowed = inThread(Affinity::get);
        int target = allowed.last();
        java.util.concurrent.CompletableFuture<Integer> tid = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CountDownLatch pinned = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CompletableFuture<CpuSet> seenInside = new java.util.concurrent.CompletableFuture<>();
        Thread worker = Thread.ofPlatform().start(() -> {
            tid.complete(Affinity.currentThreadId());
            try {
                pinned.await();
                seenInside.complete(ProcWitness.cpusAllowed());
            } catch (Throwable t) {
                seenInside.completeExceptionally(t);
            }
        });
        Affinity.pinThread(tid.get(), target);
        assertThat(Affinity.getOfThread(tid.get())).isEqualTo(CpuSet.of(target));
        pinned.countDown();
        assertThat(seenInside.get()).isEqualTo(CpuSet.of(target));
        worker.join();
    }

    @Test
    void aThreadThatDoesNotExistIsESRCH() {
        assertThatThrownBy(() -> Affinity.getOfThread(Integer.MAX_VALUE))
                .isInstanceOfSatisfying(AffinityException.class, e -> assertThat(e.errnoName()).isEqualTo("ESRCH"))
                .hasMessageContaining("no such thread");
    }

    @Test
    void badArgumentsAreRejectedBeforeTheKernelSeesThem() {
        assertThatThrownBy(() -> Affinity.setOfThread(0, CpuSet.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cpus: empty set (expected: at least one cpu; allowed cpus: ");
        assertThatThrownBy(() -> Affinity.pinThread(0, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cpu: -1 (expected: a cpu number from 0 to 65535");
        assertThatThrownBy(() -> Affinity.getOfThread(-5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tid: -5");
    }

    @Test
    void virtualThreadsMayNotPinTheirCarrier() throws Exception {
        // The attempt runs in the virtual thread; its outcome is asserted here, where a failure counts.
        java.util.concurrent.CompletableFuture<Throwable> refused = new java.util.concurrent.CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                Affinity.pin(0);
                refused.complete(null);
            } catch (Throwable t) {
                refused.complete(t);
            }
        }).join();
        assertThat(refused.get()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("use CoreManager.go(cpu, task)");
    }

    @Test
    void threadIdsAreDistinctPerThreadAndMatchProc() throws Exception {
        int mine = Affinity.currentThreadId();
        int other = inThread(Affinity::currentThreadId);
        assertThat(mine).isPositive().isNotEqualTo(other);
        assertThat(java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self")).toString())
                .endsWith("/task/" + mine);
    }

    /** Runs {@code body} in a new platform thread and returns its result; its failure fails the test. */
    static <T> T inThread(Callable<T> body) throws Exception {
        FutureTask<T> task = new FutureTask<>(body);
        Thread thread = Thread.ofPlatform().name("affinity-test").start(task);
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw (Error) e.getCause();
        } finally {
            thread.join();
        }
    }
}
