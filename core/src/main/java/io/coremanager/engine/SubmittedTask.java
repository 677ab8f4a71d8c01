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
 * allocation beyond the caller's lambda. Dependent stages ({@code thenApply}, ...) are plain
 * {@link CompletableFuture}s. Package-private and not a {@code Runnable}: nothing but the carrier
 * can run it, so it runs at most once.
 *
 * <p>Cancelling the future before the task starts means it never runs; cancelling a running task
 * does not interrupt it (as for any {@code CompletableFuture}).
 *
 * <p>Waiting ({@link #join()}, {@link #get()}) spins for up to the lane's wait-spin time before it
 * blocks: {@code CompletableFuture} would otherwise park the caller at once and make every round
 * trip pay for a wake-up. A virtual thread never spins here: it parks and frees its carrier. The
 * lane's own carrier may not wait at all for a task of its lane that has not run: it would wait for
 * itself for ever, so it gets an {@link IllegalStateException} at once.
 */
final class SubmittedTask<T> extends CompletableFuture<T> implements LaneTask {

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
    private final Lane lane;

    SubmittedTask(Callable<T> callable, TaskOwner owner, Lane lane) {
        this.callable = callable;
        this.owner = owner;
        this.lane = lane;
    }

    @Override
    public T join() {
        awaitBriefly(lane.waitSpinNanos());
        return super.join();
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        awaitBriefly(lane.waitSpinNanos());
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        long start = System.nanoTime();
        long limit = unit.toNanos(timeout);
        awaitBriefly(Math.min(lane.waitSpinNanos(), limit));
        return super.get(Math.max(0, limit - (System.nanoTime() - start)), TimeUnit.NANOSECONDS);
    }

    /**
     * Spins until done or {@code nanos} have passed; a virtual thread does not spin at all. Refuses
     * to let the lane's own carrier wait for a task it has not run.
     */
    private void awaitBriefly(long nanos) {
        if (isDone()) {
            return;
        }
        Thread self = Thread.currentThread();
        if (self.isVirtual()) {
            return;
        }
        if (lane.isCarrier(self)) {
            throw lane.waitsForItself();
        }
        if (nanos <= 0) {
            return;
        }
        long deadline = System.nanoTime() + nanos;
        for (int i = 1; !isDone(); i++) {
            Thread.onSpinWait();
            if ((i & 127) == 0 && System.nanoTime() - deadline >= 0) {
                return;
            }
        }
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
