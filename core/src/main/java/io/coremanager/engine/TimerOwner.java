package io.coremanager.engine;

/** Who scheduled a {@link LaneTimer}: a scheduler view, or the lane itself for a lane-local sleep. */
interface TimerOwner extends TaskOwner {

    /** Whether the owner is shut down: its periodic timers are dropped, its delayed ones still run. */
    boolean isShutdown();

    /** One of the owner's timers left for good (ran, stopped, was cancelled or handed back). Called once per timer. */
    void timerDone();

    /** Whether {@code shutdownNow} hands the owner's timers back to the caller (false for internal timers). */
    boolean handsBack();
}
