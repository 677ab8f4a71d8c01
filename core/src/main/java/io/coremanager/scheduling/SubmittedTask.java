package io.coremanager.scheduling;

import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A task with a result ({@code submit}): the task is its own future, so a submission costs one
 * allocation beyond the caller's lambda. Dependent stages ({@code thenApply}, ...) are plain
 * {@link CompletableFuture}s.
 *
 * <p>Cancelling the future before the task starts means it never runs; cancelling a running task
 * does not interrupt it (as for any {@code CompletableFuture}).
 *
 * <p>Waiting ({@link #join()}, {@link #get()}) spins for up to the lane's wait-spin time before it
 * blocks: {@code CompletableFuture} would otherwise park the caller at once and make every round
 * trip pay for a wake-up. A virtual thread never spins here: it parks and frees its carrier.
 */
public final class SubmittedTask<T> extends CompletableFuture<T> implements UserTask, Runnable {

    private static final java.lang.invoke.VarHandle CLAIM;

    static {
        try {
            CLAIM = java.lang.invoke.MethodHandles.lookup().findVarHandle(SubmittedTask.class, "claim", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** 0 until the carrier (1) or shutdownNow (2) claims the task; see {@link UserTask}. */
    @SuppressWarnings("unused") // through CLAIM
    private volatile int claim;
    /** The work; cleared once taken, so a completed future does not keep the caller's closure. */
    private Callable<T> callable;
    private final Object owner;
    /** How long a platform-thread waiter spins before blocking. */
    private final long waitSpinNanos;

    SubmittedTask(Callable<T> callable, Object owner, long waitSpinNanos) {
        this.callable = callable;
        this.owner = owner;
        this.waitSpinNanos = waitSpinNanos;
    }

    @Override
    public T join() {
        awaitBriefly(waitSpinNanos);
        return super.join();
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        awaitBriefly(waitSpinNanos);
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        long start = System.nanoTime();
        long limit = unit.toNanos(timeout);
        awaitBriefly(Math.min(waitSpinNanos, limit));
        return super.get(Math.max(0, limit - (System.nanoTime() - start)), TimeUnit.NANOSECONDS);
    }

    /** Spins until done or {@code nanos} have passed; a virtual thread does not spin at all. */
    private void awaitBriefly(long nanos) {
        if (nanos <= 0 || isDone() || Thread.currentThread().isVirtual()) {
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
        return CLAIM.compareAndSet(this, 0, 1);
    }

    @Override
    public boolean claimToHandBack() {
        return CLAIM.compareAndSet(this, 0, 2);
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
