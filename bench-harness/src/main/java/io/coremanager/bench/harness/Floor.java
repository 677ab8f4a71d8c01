package io.coremanager.bench.harness;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The floor: a responder thread pinned to the target CPU bounces one cache line with the caller.
 * The caller makes the counter odd; the responder, spinning, makes it even; the caller waits for
 * even. One round trip is what the hardware charges for a cache line to go over and back, plus
 * the JVM's volatile accesses: no queue, no task, no wake-up.
 */
public final class Floor implements AutoCloseable {

    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(Floor.class, "value", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Padding keeps the bounced line to this field alone.
    @SuppressWarnings("unused")
    private long p1, p2, p3, p4, p5, p6, p7;
    private volatile long value;
    @SuppressWarnings("unused")
    private long q1, q2, q3, q4, q5, q6, q7;
    private volatile boolean stop;
    private final Thread responder;

    /**
     * Starts the responder, a daemon platform thread pinned to {@code responderCpu}.
     *
     * @param responderCpu the CPU the responder spins on
     */
    public Floor(int responderCpu) {
        responder = Pinned.factory(responderCpu, "bench-floor-" + responderCpu).newThread(this::respond);
        responder.start();
    }

    private void respond() {
        long seen = 0;
        while (!stop) {
            long v = (long) VALUE.getAcquire(this);
            if ((v & 1) == 1 && v != seen) {
                seen = v + 1;
                VALUE.setRelease(this, seen);
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /** One round trip: makes the counter odd and spins until the responder makes it even. */
    public void roundTrip() {
        long next = (long) VALUE.getAcquire(this) + 1;
        VALUE.setRelease(this, next);
        while ((long) VALUE.getAcquire(this) == next) {
            Thread.onSpinWait();
        }
    }

    /**
     * Stops the responder and waits for it.
     *
     * @throws InterruptedException if interrupted while waiting
     */
    @Override
    public void close() throws InterruptedException {
        stop = true;
        responder.join();
    }
}
