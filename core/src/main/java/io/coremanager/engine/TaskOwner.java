package io.coremanager.engine;

/** Who accepted a user task: the lane group itself, or one of its {@code ExecutorService} views. */
interface TaskOwner {

    /**
     * Whether the owner was stopped ({@code shutdownNow}): a task of a stopped owner that starts
     * all the same (it left the queue before the hand-back walk saw it) starts interrupted, as a
     * {@code ThreadPoolExecutor} worker does. A volatile read.
     */
    boolean isStopping();
}
