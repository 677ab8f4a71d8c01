package io.coremanager.bench.harness;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The throughput floor: a single-producer single-consumer ring whose consumer, pinned to the
 * target CPU, spins and runs what it finds. No wake-ups, no allocation, no multi-producer
 * synchronisation: what a hand-off costs with nothing in the way. Single producer only.
 */
final class SpinRing implements AutoCloseable {

    private static final int SIZE = 1 << 14;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Runnable[].class);

    private final Runnable[] slots = new Runnable[SIZE];
    private long head; // producer only
    private volatile boolean stop;
    private final Thread consumer;

    SpinRing(int cpu) {
        consumer = Pinned.factory(cpu, "bench-spinring-" + cpu).newThread(this::consume);
        consumer.start();
    }

    /** Adds a task, spinning while the ring is full. */
    void offer(Runnable task) {
        int index = (int) (head++ & (SIZE - 1));
        while (SLOT.getAcquire(slots, index) != null) {
            Thread.onSpinWait();
        }
        SLOT.setRelease(slots, index, task);
    }

    private void consume() {
        long tail = 0;
        while (!stop) {
            int index = (int) (tail & (SIZE - 1));
            Runnable task = (Runnable) SLOT.getAcquire(slots, index);
            if (task == null) {
                Thread.onSpinWait();
                continue;
            }
            task.run();
            SLOT.setRelease(slots, index, (Runnable) null);
            tail++;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        consumer.join();
    }
}
