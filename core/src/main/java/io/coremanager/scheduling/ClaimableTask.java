package io.coremanager.scheduling;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** A {@link UserTask} whose claims are one CAS on its own state: NEW → RUNNING or NEW → HANDED_BACK. */
public abstract class ClaimableTask implements UserTask {

    static final int NEW = 0;
    static final int RUNNING = 1;
    static final int HANDED_BACK = 2;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(ClaimableTask.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through STATE
    private volatile int state;

    @Override
    public final boolean claimToRun() {
        return STATE.compareAndSet(this, NEW, RUNNING);
    }

    @Override
    public final boolean claimToHandBack() {
        return STATE.compareAndSet(this, NEW, HANDED_BACK);
    }
}
