package io.coremanager.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;

/**
 * {@code CoreManager.executor(cpu)}: an {@code ExecutorService} over one lane with a lifecycle of
 * its own, as the {@code ExecutorService} contract has it. It counts the tasks it accepted and has
 * not finished; it is shut down once it or its group is shut down, and terminated once shut down
 * with that count at zero. {@link #shutdownNow()} hands back its queued tasks and interrupts its
 * running one (and only its own: the lane's other work is not this view's).
 *
 * <p>The counting and termination protocol is {@link LaneView}'s. A task the view hands to the lane
 * is a {@link ViewTask}; {@code submit} and the invoke methods wrap it in a {@link LaneFutureTask},
 * whose waits refuse to run on the lane's own carrier, where they could only wait for ever.
 */
final class LaneExecutorService extends LaneView {

    LaneExecutorService(Lanes group, Lane lane) {
        super(group, lane, "executor");
    }

    @Override
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        admit(() -> lane.offer(new ViewTask(command)));
    }

    @Override
    public void shutdown() {
        markShutdown();
    }

    @Override
    public List<Runnable> shutdownNow() {
        markStopping();
        shutdown();
        List<Runnable> handedBack = new ArrayList<>();
        lane.takeBack(this, "shutdownNow() of the executor of cpu " + lane.cpu() + " before this task started",
                handedBack);
        lane.interruptRunningTask(this);
        return handedBack;
    }

    @Override
    public String toString() {
        return "ExecutorService[cpu " + lane.cpu() + (isShutdown() ? ", shut down" : "") + ", " + pending()
                + " pending]";
    }

    /** A task of this view: counted until it ran or was handed back. */
    private final class ViewTask extends ClaimedTask {
        private final Runnable command;

        ViewTask(Runnable command) {
            this.command = command;
        }

        @Override
        public Throwable runCatching() {
            try {
                if (command instanceof Future<?> future && future.isDone()) {
                    return NOT_RUN; // cancelled before it started: it would only return at once
                }
                command.run();
                return null;
            } catch (Throwable t) {
                return t;
            } finally {
                finished();
            }
        }

        @Override
        public boolean reportsFailure() {
            return !(command instanceof FutureTask<?>); // a future holds its failure
        }

        @Override
        public TaskOwner owner() {
            return LaneExecutorService.this;
        }

        @Override
        public Runnable handBack(String reason) {
            finished();
            return command;
        }

        @Override
        public boolean failClosed(RejectedExecutionException reason) {
            finished();
            if (command instanceof FutureTask<?> future) {
                future.cancel(false);
                return true;
            }
            return false;
        }

        @Override
        public String toString() {
            return command.toString();
        }
    }
}
