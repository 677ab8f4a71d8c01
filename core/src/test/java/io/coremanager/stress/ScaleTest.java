package io.coremanager.stress;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/** Many core-affine virtual threads on one lane: they all park, are woken in turn, and all finish. */
class ScaleTest {

    private static final int THREADS = 100_000;

    /** Which threads may go on: thread i proceeds once {@code released > i}. */
    private volatile int released;

    @Test
    void aHundredThousandParkedVirtualThreadsOnOneLaneAllFinish() throws Exception {
        try (CoreManager cores = CoreManager.builder().cpus(CpuSet.of(CoreManager.create().cpus().last())).build()) {
            int cpu = cores.cpus().first();
            AtomicInteger parked = new AtomicInteger();
            AtomicInteger finished = new AtomicInteger();
            AtomicInteger offCpu = new AtomicInteger();
            Thread[] threads = new Thread[THREADS];
            long heapBefore = usedHeapAfterGc();
            long start = System.nanoTime();
            for (int i = 0; i < THREADS; i++) {
                int index = i;
                threads[i] = cores.go(cpu, () -> {
                    parked.incrementAndGet();
                    while (released <= index) {
                        LockSupport.park();
                    }
                    if (CoreManager.currentCpu() != cpu) {
                        offCpu.incrementAndGet();
                    }
                    finished.incrementAndGet();
                });
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (parked.get() < THREADS && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(parked.get()).isEqualTo(THREADS);
            long startedNanos = System.nanoTime() - start;
            long heapParked = usedHeapAfterGc();
            assertThat(cores.stats(cpu).liveVirtualThreads()).isEqualTo(THREADS);

            long wakeStart = System.nanoTime();
            for (int i = 0; i < THREADS; i++) {
                released = i + 1;
                LockSupport.unpark(threads[i]);
            }
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(120));
                assertThat(t.isAlive()).isFalse();
            }
            long wokenNanos = System.nanoTime() - wakeStart;
            assertThat(finished.get()).isEqualTo(THREADS);
            assertThat(offCpu.get()).isZero();
            assertThat(cores.stats(cpu).liveVirtualThreads()).isZero();
            long perThread = (heapParked - heapBefore) / THREADS;
            System.out.printf("scale: %d core-affine virtual threads on cpu %d started and parked in %d ms, "
                    + "woken in turn and finished in %d ms; heap while all were parked: %d MiB more (%d bytes each)%n",
                    THREADS, cpu, TimeUnit.NANOSECONDS.toMillis(startedNanos), TimeUnit.NANOSECONDS.toMillis(wokenNanos),
                    (heapParked - heapBefore) >> 20, perThread);
            // A parked virtual thread costs a Thread object and a small stack chunk: bounded, not megabytes.
            assertThat(perThread).as("heap per parked virtual thread").isLessThan(8 * 1024);
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
