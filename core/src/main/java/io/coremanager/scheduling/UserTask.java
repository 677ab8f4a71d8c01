package io.coremanager.scheduling;

/**
 * A task a user handed to a lane (as opposed to a virtual thread's continuation, which the JDK
 * hands to the lane's scheduler and which must always run). {@code shutdownNow} may take a user
 * task back from the queue before it starts: the carrier and {@code shutdownNow} each claim the
 * task before acting on it, and only one claim succeeds.
 */
public interface UserTask {

    /** The carrier's claim, just before it runs the task: false if the task was handed back. */
    boolean claimToRun();

    /** {@code shutdownNow}'s claim: false if the carrier took the task first. */
    boolean claimToHandBack();

    /**
     * Runs the task on the carrier, after {@link #claimToRun()}.
     *
     * @return {@code null} on success, else the failure: a submitted task's failure is already in
     *     its future, an executed task's goes to the lane's exception handler
     */
    Throwable runCatching();

    /** Who accepted the task: the manager, or one of its {@code ExecutorService} views. */
    Object owner();

    /**
     * Called once, after {@link #claimToHandBack()}: fails the task's future, if it has one, with
     * {@code reason}.
     *
     * @return what to hand back to the caller of {@code shutdownNow}
     */
    Runnable handBack(String reason);
}
