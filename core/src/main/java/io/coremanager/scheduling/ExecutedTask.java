package io.coremanager.scheduling;

/** A fire-and-forget task ({@code execute}): its failure goes to the lane's exception handler. */
final class ExecutedTask extends ClaimableTask {

    private final Runnable task;
    private final Object owner;

    ExecutedTask(Runnable task, Object owner) {
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
    public Object owner() {
        return owner;
    }

    @Override
    public Runnable handBack(String reason) {
        return task;
    }

    @Override
    public String toString() {
        return task.toString();
    }
}
