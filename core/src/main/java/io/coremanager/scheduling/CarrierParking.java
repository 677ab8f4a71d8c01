package io.coremanager.scheduling;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

/**
 * The park/wake hand-off between a lane's carrier (the only thread that parks here) and the threads
 * that give it work.
 *
 * <pre>
 *   carrier:  state = PARKED (volatile) ; then hasWork()       ; park while PARKED and no work
 *   producer: publish work (volatile)   ; then read state      ; if PARKED and CAS PARKED→RUNNING: unpark
 * </pre>
 * Each side stores, then loads the other's variable, both with volatile (sequentially consistent)
 * accesses, so at least one sees the other: the carrier sees the work and does not park, or the
 * producer sees PARKED and wakes it. The CAS makes one producer of many pay for the unpark; the
 * others see RUNNING. A running carrier costs producers one volatile read: no system call while
 * the lane is hot. Spurious wake-ups re-check and park again.
 *
 * <p>The work check must read with volatile (or stronger) semantics, after the state store: see
 * {@link LaneQueue#hasPublished()}.
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

    /** The thread that parks here from now on. */
    void carrier(Thread thread) {
        this.carrier = thread;
    }

    /** Producer side, after publishing work with a volatile store. */
    void wakeIfParked() {
        if ((int) STATE.getVolatile(this) == PARKED && STATE.compareAndSet(this, PARKED, RUNNING)) {
            LockSupport.unpark(carrier);
        }
    }

    /** Carrier side: parks until woken, unless {@code hasWork} (read after the announcement) says not to. */
    void park(BooleanSupplier hasWork) {
        STATE.setVolatile(this, PARKED);
        while ((int) STATE.getVolatile(this) == PARKED && !hasWork.getAsBoolean()) {
            LockSupport.park(this);
        }
        STATE.setVolatile(this, RUNNING);
    }
}
