package io.coremanager.engine;

import java.util.concurrent.RejectedExecutionException;

/** A fire-and-forget task ({@code execute}): its failure goes to the lane's exception handler. */
final class ExecutedTask extends ClaimedTask {

    private final Runnable task;
    private final TaskOwner owner;

    ExecutedTask(Runnable task, TaskOwner owner) {
        this.task = task;
        this.owner = owner;
    }

    @Override
    public Throwable runCatching() {
        try {
            task.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    @Override
    public boolean reportsFailure() {
        return true;
    }

    @Override
    public TaskOwner owner() {
        return owner;
    }

    @Override
    public Runnable handBack(String reason) {
        return task;
    }

    @Override
    public boolean failClosed(RejectedExecutionException reason) {
        return false;
    }

    @Override
    public String toString() {
        return task.toString();
    }
}
