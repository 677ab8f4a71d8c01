package io.coremanager.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

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
 *
 * <p><b>Blockers.</b> What the carrier blocks in, and how a waker ends that, is a {@link Blocker}:
 * {@link LockSupport#park} and {@code unpark} by default; a lane that owns sockets swaps in its
 * selector ({@code select(timeout)} and {@code wakeup()}, see {@code LaneIo}) once, from the
 * carrier's own thread, before the announcement that a waker may see. The protocol is the same for
 * both: a waker that wins the CAS calls {@link Blocker#wake()} on the blocker installed when the
 * carrier announced, and a blocker that returns true ("I have something for the carrier": ready
 * sockets) ends the park like work does. Both blockers keep a wake-up that comes before the block
 * (a permit; the selector's pending wakeup), so no order of the two loses one. {@link #wakeups()}
 * counts the wake-ups producers paid for (for the tests: none while the carrier is hot).
 */
final class CarrierParking {

    /**
     * What the carrier blocks in while parked, and how a waker ends the block. Both blockers keep a
     * wake that arrives first, so the next block returns at once.
     */
    interface Blocker {
        /**
         * Blocks the carrier at most {@code nanos}, or until {@link #wake()}; spurious returns are
         * fine (the caller re-checks).
         *
         * @return true if the blocker itself found something for the carrier to do (ends the park)
         */
        boolean block(Object parking, long nanos);

        /** Ends a block in progress, or makes the next one return at once. Any thread; never throws. */
        void wake(Thread carrier);
    }

    /** The default blocker: the carrier parks its thread. */
    static final Blocker THREAD_PARK = new Blocker() {
        @Override
        public boolean block(Object parking, long nanos) {
            LockSupport.parkNanos(parking, nanos);
            return false;
        }

        @Override
        public void wake(Thread carrier) {
            LockSupport.unpark(carrier);
        }
    };

    private static final VarHandle WAKEUPS;

    private static final int RUNNING = 0;
    private static final int PARKED = 1;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(CarrierParking.class, "state", int.class);
            WAKEUPS = MethodHandles.lookup().findVarHandle(CarrierParking.class, "wakeups", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** PARKED from the carrier's announcement until a waker's CAS or the carrier's own return. */
    private volatile int state;
    /** The carrier; set before it first parks, read by wakers. */
    private volatile Thread carrier;
    /** What the carrier blocks in: {@link #THREAD_PARK}, or the lane's selector. Written by the carrier's thread only. */
    private volatile Blocker blocker = THREAD_PARK;
    /** Wake-ups paid for by wakers (an unpark or a selector wakeup): a test counter, written after a won CAS only. */
    @SuppressWarnings("unused") // through WAKEUPS
    private volatile long wakeups;

    /** The thread that parks here from now on. */
    void carrier(Thread thread) {
        this.carrier = thread;
    }

    /**
     * The carrier blocks in {@code blocker} from its next park on. Called on the carrier's thread (by
     * the lane's own virtual thread or the carrier's loop), never while it is parked, so a waker that
     * sees PARKED sees the blocker it parked in.
     */
    void blocker(Blocker blocker) {
        this.blocker = blocker;
    }

    /** Producer side, after publishing work with a volatile store. */
    void wakeIfParked() {
        if ((int) STATE.getVolatile(this) == PARKED && STATE.compareAndSet(this, PARKED, RUNNING)) {
            WAKEUPS.getAndAdd(this, 1L);
            blocker.wake(carrier);
        }
    }

    /** Whether the carrier is parked now (its announcement is up): for the tests. */
    boolean isParked() {
        return (int) STATE.getVolatile(this) == PARKED;
    }

    /** How many wake-ups wakers paid for (an unpark, a selector wakeup) since the lane started. */
    long wakeups() {
        return (long) WAKEUPS.getVolatile(this);
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
     * {@code min(deadline - now, backstop)}; the deadline costs no waker anything. (A selector
     * blocker rounds up to whole milliseconds: a lane with sockets may fire a sub-millisecond
     * timer up to a millisecond late.)
     */
    void parkUntil(BooleanSupplier ready, BooleanSupplier claimed, long deadline) {
        park(ready, claimed, true, deadline);
    }

    private void park(BooleanSupplier ready, BooleanSupplier claimed, boolean timed, long deadline) {
        Blocker b = blocker; // the carrier's own write: the one wakers see from the announcement on
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
                if (b.block(this, nanos)) {
                    break; // the blocker has work for the carrier (ready sockets)
                }
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
