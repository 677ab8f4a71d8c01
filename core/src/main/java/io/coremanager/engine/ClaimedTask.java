package io.coremanager.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** A {@link LaneTask} whose claim state is a field of its own: {@code execute}'s and the views' tasks. */
abstract class ClaimedTask implements LaneTask {

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(ClaimedTask.class, "state", int.class);
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

    @Override
    public final void finishRun() {
        Claims.finish(STATE, this);
    }

    @Override
    public final boolean interruptIfRunning(Thread carrier) {
        return Claims.interrupt(STATE, this, carrier);
    }
}
