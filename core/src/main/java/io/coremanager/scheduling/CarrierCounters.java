package io.coremanager.scheduling;

/**
 * What only a lane's carrier writes: its statistics (published once per batch, read by anyone)
 * and its private loop state. Kept on cache lines of its own, so the carrier's writes never
 * invalidate the lines producers read on every offer (the lane's queue and parking references).
 */
final class CarrierCounters extends CarrierCountersFields {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;

    private static final java.lang.invoke.VarHandle STARTED;
    private static final java.lang.invoke.VarHandle IDLE;

    static {
        try {
            java.lang.invoke.MethodHandles.Lookup lookup = java.lang.invoke.MethodHandles.lookup();
            STARTED = lookup.findVarHandle(CarrierCountersFields.class, "started", long.class);
            IDLE = lookup.findVarHandle(CarrierCountersFields.class, "idle", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The carrier begins an element (opaque: no fence). */
    void markStarted() {
        STARTED.setOpaque(this, started + 1);
    }

    long startedOpaque() {
        return (long) STARTED.getOpaque(this);
    }

    void setIdle(boolean between) {
        IDLE.setOpaque(this, between ? 1 : 0);
    }

    boolean idleOpaque() {
        return (int) IDLE.getOpaque(this) == 1;
    }
}

abstract class CarrierCountersPad {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

abstract class CarrierCountersFields extends CarrierCountersPad {
    /** User tasks that returned normally. */
    volatile long completed;
    /** User tasks that threw. */
    volatile long failed;
    /** Virtual-thread continuations run. */
    volatile long continuations;
    /** Time spent running work. */
    volatile long busyNanos;
    /** What the carrier last saw of the manager's state; carrier only, plain. */
    int seenState;
    /**
     * Elements the carrier has begun, and whether it is between elements (1) or in one (0): written
     * opaque (no fence: a plain store on x86) per element, read by the stall watchdog.
     */
    long started;
    int idle;
}
