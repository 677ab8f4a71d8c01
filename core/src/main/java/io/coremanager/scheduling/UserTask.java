package io.coremanager.scheduling;

/**
 * A task a user handed to a lane (as opposed to a virtual thread's continuation, which the JDK
 * hands to the lane's scheduler and which must always run). {@code shutdownNow} may take a user
 * task back from the queue before it starts.
 */
public interface UserTask {

    /**
     * Runs the task on the carrier.
     *
     * @return {@code null} on success, else the failure: a submitted task's failure is already in
     *     its future, an executed task's goes to the lane's exception handler
     */
    Throwable runCatching();

    /** Who accepted the task: the manager, or one of its {@code ExecutorService} views. */
    Object owner();

    /**
     * Called once if the task is taken back before it started: fails its future, if it has one,
     * with {@code reason}.
     *
     * @return what to hand back to the caller of {@code shutdownNow}
     */
    Runnable handBack(String reason);
}
