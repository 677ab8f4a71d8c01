package io.coremanager.scheduling;

import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/**
 * A task with a result ({@code submit}): the task is its own future, so a submission costs one
 * allocation beyond the caller's lambda. Dependent stages ({@code thenApply}, ...) are plain
 * {@link CompletableFuture}s.
 *
 * <p>Cancelling the future before the task starts means it never runs; cancelling a running task
 * does not interrupt it (as for any {@code CompletableFuture}).
 */
public final class SubmittedTask<T> extends CompletableFuture<T> implements UserTask, Runnable {

    /** The work; cleared once taken, so a completed future does not keep the caller's closure. */
    private Callable<T> callable;
    private final Object owner;

    SubmittedTask(Callable<T> callable, Object owner) {
        this.callable = callable;
        this.owner = owner;
    }

    @Override
    public Throwable runCatching() {
        Callable<T> work = callable;
        callable = null;
        if (work == null || isDone()) {
            return null; // cancelled while queued, or handed back and run by the caller
        }
        try {
            complete(work.call());
            return null;
        } catch (Throwable t) {
            completeExceptionally(t);
            return t;
        }
    }

    /** Runs the task unless its future is already done: what a handed-back task does when run. */
    @Override
    public void run() {
        runCatching();
    }

    @Override
    public Object owner() {
        return owner;
    }

    @Override
    public Runnable handBack(String reason) {
        completeExceptionally(new CancellationException(reason));
        return this;
    }
}
