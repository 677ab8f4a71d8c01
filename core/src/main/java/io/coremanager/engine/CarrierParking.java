package io.coremanager.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The park/wake hand-off between a lane's carrier (the only thread that parks here) and the threads
 * that give it work.
 *
 * <pre>
 *   carrier:  state = PARKED (volatile) ; then claimed()?         ; park while PARKED and nothing ready
 *   producer: claim a slot (atomic add)  ; publish ; read state    ; if PARKED and CAS PARKED→RUNNING: unpark
 * </pre>
 * Each side writes, then reads the other's variable, with sequentially consistent accesses (the
 * producer's write is its atomic add on the queue's producer index), so at least one sees the
 * other: the carrier sees the claim, or the producer sees PARKED and wakes it. The CAS makes one
 * producer of many pay for the unpark; the others see RUNNING. A running carrier costs producers
 * one volatile read: no system call while the lane is hot. Spurious wake-ups re-check.
 *
 * <p>A claim seen before its element is published (the producer is between its add and its
 * release store) may come from a producer that read RUNNING and will not wake the carrier: the
 * carrier then spins briefly and naps in short timed parks until the element lands, rather than
 * parking for good. The wait is nanoseconds unless the producer was descheduled.
 *
 * <p>Two faults the carrier survives here. An interrupt that reaches the parked carrier (a stray
 * {@code Thread.interrupt}, a late interrupt meant for a task that has finished) would make
 * {@code LockSupport.park} return at once for ever, burning the CPU: the carrier clears its
 * interrupt status before each park, since it means nothing to an idle carrier. And a waker that
 * fails after its CAS (a {@code StackOverflowError} in the call to {@code unpark}) must not leave
 * the carrier asleep with work queued: the carrier never parks longer than
 * {@link #BACKSTOP_NANOS}, a wake-up per second that an idle lane does not notice.
 */
final class CarrierParking {

    private static final int RUNNING = 0;
    private static final int PARKED = 1;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(CarrierParking.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** PARKED from the carrier's announcement until a waker's CAS or the carrier's own return. */
    private volatile int state;
    /** The carrier; set before it first parks, read by wakers. */
    private volatile Thread carrier;
    /** How many times a waker unparked the carrier (after its CAS): for tests that check no system call was made. */
    private final AtomicLong unparks = new AtomicLong();

    /** The thread that parks here from now on. */
    void carrier(Thread thread) {
        this.carrier = thread;
    }

    /** Producer side, after publishing work with a volatile store. */
    void wakeIfParked() {
        if ((int) STATE.getVolatile(this) == PARKED && STATE.compareAndSet(this, PARKED, RUNNING)) {
            unparks.incrementAndGet(); // only on the path that makes the system call anyway
            LockSupport.unpark(carrier);
        }
    }

    /** How many times a waker has unparked the carrier so far. */
    long unparks() {
        return unparks.get();
    }

    /**
     * Carrier side: parks until woken or {@code ready}; both predicates are read after the
     * announcement. {@code claimed}: a producer has claimed a slot (volatile read of the index the
     * producers add to); {@code ready}: there is something to do now (an element published, news).
     */
    void park(BooleanSupplier ready, BooleanSupplier claimed) {
        park(ready, claimed, false, 0);
    }

    /**
     * As {@link #park(BooleanSupplier, BooleanSupplier)}, but returns by {@code deadline} (a
     * {@code System.nanoTime()} value) at the latest: the lane's next timer. Each park lasts
     * {@code min(deadline - now, backstop)}; the deadline costs no waker anything.
     */
    void parkUntil(BooleanSupplier ready, BooleanSupplier claimed, long deadline) {
        park(ready, claimed, true, deadline);
    }

    private void park(BooleanSupplier ready, BooleanSupplier claimed, boolean timed, long deadline) {
        STATE.setVolatile(this, PARKED);
        while ((int) STATE.getVolatile(this) == PARKED && !ready.getAsBoolean()) {
            if (claimed.getAsBoolean()) {
                waitForPublication(ready);
            } else {
                long nanos = BACKSTOP_NANOS;
                if (timed) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break; // the timer is due
                    }
                    nanos = Math.min(left, BACKSTOP_NANOS);
                }
                Thread.interrupted(); // see the class notes: an idle carrier's interrupt means nothing
                LockSupport.parkNanos(this, nanos);
            }
        }
        STATE.setVolatile(this, RUNNING);
    }

    /** A claim without its element yet: see the class notes. */
    private static void waitForPublication(BooleanSupplier ready) {
        for (int i = 0; i < 1_000; i++) {
            if (ready.getAsBoolean()) {
                return;
            }
            Thread.onSpinWait();
        }
        Thread.interrupted();
        LockSupport.parkNanos(PUBLICATION_NAP_NANOS);
    }

    /** The longest park: see the class notes. */
    static final long BACKSTOP_NANOS = 1_000_000_000L;

    /** The nap while a descheduled producer finishes publishing. */
    private static final long PUBLICATION_NAP_NANOS = 20_000;
}
