package io.coremanager.engine;

import java.lang.invoke.VarHandle;
import java.util.concurrent.RejectedExecutionException;

/**
 * A task a user handed to a lane, as opposed to a virtual thread's continuation, which the JDK hands
 * to the lane's scheduler and which must always run. Every user task has one claim state, changed
 * only by CAS, so that exactly one of the carrier (to run it), {@code shutdownNow} (to hand it
 * back) and a failing lane (to fail it) acts on it, and so that an interrupt meant for it lands only
 * while it runs:
 *
 * <pre>
 *   NEW ──carrier──▶ RUNNING ──carrier──▶ DONE
 *    │                  │
 *    │                  └──interrupter──▶ INTERRUPTING ──▶ INTERRUPTED
 *    └──shutdownNow or a failing lane──▶ HANDED_BACK
 * </pre>
 * An interrupter (a {@code shutdownNow}, the stall watchdog) interrupts the carrier only after its
 * CAS RUNNING → INTERRUPTING succeeded, and the carrier, after the task returns, either moves
 * RUNNING → DONE by CAS or, having lost that race, waits until the interrupter has delivered its
 * interrupt, then clears it: an interrupt never leaks into the next element. This is
 * {@code FutureTask}'s INTERRUPTING protocol.
 */
interface LaneTask {

    int NEW = 0;
    int RUNNING = 1;
    int DONE = 2;
    int HANDED_BACK = 3;
    int INTERRUPTING = 4;
    int INTERRUPTED = 5;

    /** What {@link #runCatching()} returns for a task that did not run (its future was cancelled). */
    Throwable NOT_RUN = new Throwable("not run: cancelled before it started", null, false, false) {
    };

    /** The carrier's claim, just before it runs the task: false if the task was taken already. */
    boolean claimToRun();

    /** A hand-back's claim ({@code shutdownNow}, a failing lane): false if the carrier took it first. */
    boolean claimToHandBack();

    /** The carrier, after the task returned: RUNNING → DONE, or waits for an interrupter in flight. */
    void finishRun();

    /**
     * Interrupts {@code carrier} if this task is running on it now, and only then.
     *
     * @return whether the interrupt was delivered
     */
    boolean interruptIfRunning(Thread carrier);

    /**
     * Runs the task on the carrier, after {@link #claimToRun()}.
     *
     * @return {@code null} on success, {@link #NOT_RUN} if it did not run, else the failure
     */
    Throwable runCatching();

    /** Whether a failure of this task goes to the lane's exception handler (no future holds it). */
    boolean reportsFailure();

    /** Who accepted the task. */
    TaskOwner owner();

    /**
     * Called once, after {@link #claimToHandBack()}: fails the task's future, if it has one, with
     * a {@code CancellationException} saying {@code reason}.
     *
     * @return what to hand back to the caller of {@code shutdownNow}
     */
    Runnable handBack(String reason);

    /**
     * Called once, after {@link #claimToHandBack()}, when the lane failed closed: fails the task's
     * future with {@code reason}.
     *
     * @return true if the failure reached a future; false if it must be reported instead
     */
    boolean failClosed(RejectedExecutionException reason);

    /** The state transitions, for implementations that keep the state in a field of their own. */
    final class Claims {
        private Claims() {
        }

        static void finish(VarHandle state, Object task) {
            if (!state.compareAndSet(task, RUNNING, DONE)) {
                while ((int) state.getVolatile(task) == INTERRUPTING) {
                    Thread.onSpinWait(); // the interrupter is between its CAS and its interrupt
                }
            }
        }

        static boolean interrupt(VarHandle state, Object task, Thread carrier) {
            if (!state.compareAndSet(task, RUNNING, INTERRUPTING)) {
                return false;
            }
            try {
                carrier.interrupt();
            } finally {
                state.setVolatile(task, INTERRUPTED);
            }
            return true;
        }
    }
}
