package io.coremanager.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What only a lane's carrier writes: its statistics and what it runs now. Kept on cache lines of
 * its own, so the carrier's writes never invalidate the lines producers read on every offer.
 *
 * <h2>Memory ordering</h2>
 * <ul>
 *   <li>The statistics ({@code completed}, {@code failed}, {@code cancelled}, {@code continuations},
 *       {@code busyNanos}) are published once per batch under a sequence lock: {@code version} is
 *       odd while the carrier writes them. {@link #read} retries until it saw one even version
 *       before and after, so a snapshot is one batch boundary, never a mix of two.</li>
 *   <li>{@code runSeq} and {@code running} say what the carrier runs now: the element (a task or a
 *       continuation) it began last, and how many it has begun; {@code running} is null while the
 *       carrier waits for work. Written opaque per element (a plain store on x86, no fence), read by
 *       the stall watchdog and by {@code shutdownNow}, which act on them only through the task's
 *       own CAS or after reading them again.</li>
 * </ul>
 */
final class CarrierCounters extends CarrierCountersFields {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;

    private static final VarHandle VERSION;
    private static final VarHandle RUN_SEQ;
    private static final VarHandle RUNNING;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            VERSION = lookup.findVarHandle(CarrierCountersFields.class, "version", long.class);
            RUN_SEQ = lookup.findVarHandle(CarrierCountersFields.class, "runSeq", long.class);
            RUNNING = lookup.findVarHandle(CarrierCountersFields.class, "running", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One consistent reading of the published statistics. */
    record Snapshot(long completed, long failed, long cancelled, long continuations, long busyNanos) {
    }

    /** The carrier begins {@code element}. */
    void begin(Object element) {
        RUN_SEQ.setOpaque(this, runSeq + 1);
        RUNNING.setRelease(this, element); // after the sequence: see running()
    }

    /** The carrier waits for work. */
    void idle() {
        RUNNING.setOpaque(this, (Object) null);
    }

    /** Elements the carrier has begun. */
    long runSeq() {
        return (long) RUN_SEQ.getOpaque(this);
    }

    /**
     * The element the carrier runs now, or null while it waits. An acquire read, paired with
     * {@link #begin}'s release: a reader that reads this first, then {@link #runSeq()}, never sees a
     * new element with an old sequence (it would take the old element's time for the new one's).
     */
    Object running() {
        return RUNNING.getAcquire(this);
    }

    /**
     * The element the carrier runs now, read with a volatile load: for interrupters, which write
     * their own state (stopping) first and must not read an older element than the carrier's claim
     * that follows it.
     */
    Object runningVolatile() {
        return RUNNING.getVolatile(this);
    }

    /** Carrier only: adds one batch's counts, as one step for readers. */
    void publish(long completedDelta, long failedDelta, long cancelledDelta, long continuationsDelta, long busyDelta) {
        long v = version;
        VERSION.setOpaque(this, v + 1);
        VarHandle.storeStoreFence(); // the odd version is visible before any counter changes
        completed += completedDelta;
        failed += failedDelta;
        cancelled += cancelledDelta;
        continuations += continuationsDelta;
        busyNanos += busyDelta;
        VERSION.setRelease(this, v + 2);
    }

    /** Any thread: the statistics as of one batch boundary. */
    Snapshot read() {
        while (true) {
            long before = (long) VERSION.getAcquire(this);
            Snapshot s = new Snapshot(completed, failed, cancelled, continuations, busyNanos);
            VarHandle.loadLoadFence(); // the counters are read before the version is read again
            if ((before & 1) == 0 && (long) VERSION.getOpaque(this) == before) {
                return s;
            }
            Thread.onSpinWait();
        }
    }
}

abstract class CarrierCountersPad {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

abstract class CarrierCountersFields extends CarrierCountersPad {
    /** Odd while the carrier writes the statistics below; see the class notes. */
    long version;
    /** User tasks that ran and returned normally. */
    long completed;
    /** User tasks that ran and threw. */
    long failed;
    /** User tasks that never ran: cancelled before they started, handed back, or failed with their lane. */
    long cancelled;
    /** Virtual-thread continuations run. */
    long continuations;
    /** Time spent running work. */
    long busyNanos;
    /** Elements begun; opaque. */
    long runSeq;
    /** The element being run, or null; opaque. */
    Object running;
    /** What the carrier last saw of the group's state; carrier only, plain. */
    int seenState;
}
