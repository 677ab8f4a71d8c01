package io.coremanager.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RunnableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A task with a result ({@code submit}): the task is its own future, so a submission costs one
 * allocation beyond the caller's lambda. Waiting for it, and for the stages derived from it, is
 * {@link LaneFuture}'s. Package-private and not a {@code Runnable}: nothing but the carrier can run
 * it, so it runs at most once.
 *
 * <p>Cancelling the future before the task starts means it never runs; cancelling a running task
 * does not interrupt it (as for any {@code CompletableFuture}).
 */
final class SubmittedTask<T> extends LaneFuture<T> implements LaneTask {

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(SubmittedTask.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The claim state: see {@link LaneTask}. */
    @SuppressWarnings("unused") // through STATE
    private volatile int state;
    /** The work; cleared once taken, so a completed future does not keep the caller's closure. */
    private Callable<T> callable;
    private final TaskOwner owner;

    SubmittedTask(Callable<T> callable, TaskOwner owner, Lane lane) {
        super(lane);
        this.callable = callable;
        this.owner = owner;
    }

    @Override
    public boolean claimToRun() {
        return STATE.compareAndSet(this, NEW, RUNNING);
    }

    @Override
    public boolean claimToHandBack() {
        return STATE.compareAndSet(this, NEW, HANDED_BACK);
    }

    @Override
    public void finishRun() {
        Claims.finish(STATE, this);
    }

    @Override
    public boolean interruptIfRunning(Thread carrier) {
        return Claims.interrupt(STATE, this, carrier);
    }

    @Override
    public Throwable runCatching() {
        Callable<T> work = callable;
        callable = null;
        if (isDone()) {
            return NOT_RUN; // cancelled (or completed by the caller) while queued
        }
        try {
            complete(work.call());
            return null;
        } catch (Throwable t) {
            completeExceptionally(t);
            return t;
        }
    }

    @Override
    public boolean reportsFailure() {
        return false;
    }

    @Override
    public TaskOwner owner() {
        return owner;
    }

    @Override
    public Runnable handBack(String reason) {
        callable = null;
        completeExceptionally(new CancellationException(reason));
        return new HandedBack(this);
    }

    @Override
    public boolean failClosed(RejectedExecutionException reason) {
        callable = null;
        completeExceptionally(reason);
        return true;
    }

    /**
     * What {@code shutdownNow} hands back for a submitted task: a view of its future, which has
     * already failed with a {@link CancellationException}, so running it does nothing.
     */
    private record HandedBack(CompletableFuture<?> future) implements RunnableFuture<Object> {
        @Override
        public void run() {
            // The future is already cancelled: see the record's Javadoc.
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return future.cancel(mayInterruptIfRunning);
        }

        @Override
        public boolean isCancelled() {
            return future.isCancelled();
        }

        @Override
        public boolean isDone() {
            return future.isDone();
        }

        @Override
        public Object get() throws InterruptedException, ExecutionException {
            return future.get();
        }

        @Override
        public Object get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            return future.get(timeout, unit);
        }

        @Override
        public String toString() {
            return "a submitted task, handed back (its future is cancelled): " + future;
        }
    }
}
