package io.coremanager.engine;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RunnableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The lifecycle both views of a lane share ({@code executor(cpu)}: {@link LaneExecutorService};
 * {@code scheduler(cpu)}: {@link LaneScheduledExecutorService}): a view counts the work it accepted
 * and has not finished; it is shut down once it or its group is, and terminated once shut down with
 * that count at zero.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li>{@link #admit} increments {@code pending} before it reads the shut-down flags; shutting
 *       down writes a flag before it reads {@code pending}. Both are sequentially consistent, so work
 *       racing with shutdown is either rejected (and uncounted) or counted before shutdown looks.
 *       Every path out of {@code admit} that does not queue the work uncounts it: a rejection for
 *       capacity, a failed lane, an error while queueing.</li>
 *   <li>Termination is complete when {@code pending} reaches zero while shut down, which
 *       {@link #finished()} checks; when the group shuts down while the view is idle nobody calls
 *       it, so a waiter registers with the group for the time it waits, and the group calls
 *       {@link #groupShutDown()} after its state write; the waiter registers before it reads the
 *       state. Either side sees the other.</li>
 *   <li>Work that waits for this lane's work ({@code invokeAll}, {@code invokeAny}, the futures of
 *       {@code submit}: {@link LaneFutureTask}) refuses to wait on the lane's own carrier, where it
 *       could only wait for ever.</li>
 * </ul>
 */
abstract class LaneView extends AbstractExecutorService implements TaskOwner {

    final Lanes group;
    final Lane lane;
    /** What the view is called in messages: {@code executor}, {@code scheduler}. */
    private final String kind;
    /** Work accepted and not yet finished or handed back. */
    private final AtomicLong pending = new AtomicLong();
    private volatile boolean shutdown;
    private volatile boolean stopping;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    LaneView(Lanes group, Lane lane, String kind) {
        this.group = group;
        this.lane = lane;
        this.kind = kind;
    }

    /**
     * Counts one piece of work, then queues it with {@code queue} (false: the lane's queue has
     * closed); see the class notes.
     *
     * @throws RejectedExecutionException if the view or the group is shut down, or the lane refuses
     */
    final void admit(BooleanSupplier queue) {
        pending.incrementAndGet();
        boolean queued = false;
        try {
            if (shutdown || group.isShutdown()) {
                throw shutdown ? new RejectedExecutionException("this " + kind + " of cpu " + lane.cpu()
                        + " is shut down") : group.rejected(lane);
            }
            queued = queue.getAsBoolean();
            if (!queued) {
                throw group.rejected(lane);
            }
        } finally {
            if (!queued) {
                finished(); // see the class notes: nothing leaves admit counted but unqueued
            }
        }
    }

    /** One piece of accepted work finished (ran, was handed back, or failed with its lane). */
    final void finished() {
        if (pending.decrementAndGet() == 0 && isShutdown()) {
            terminated.complete(null);
        }
    }

    /** Marks the view shut down, terminated at once if idle; the subclasses' shutdown() calls it. */
    final void markShutdown() {
        shutdown = true;
        if (pending.get() == 0) {
            terminated.complete(null);
        }
    }

    /** Marks the view stopping ({@code shutdownNow}): its tasks that start from now on start interrupted. */
    final void markStopping() {
        stopping = true;
    }

    final long pending() {
        return pending.get();
    }

    @Override
    public final boolean isShutdown() {
        return shutdown || group.isShutdown();
    }

    @Override
    public final boolean isStopping() {
        return stopping || group.isStopping();
    }

    @Override
    public final boolean isTerminated() {
        if (!terminated.isDone() && isShutdown() && pending.get() == 0) {
            terminated.complete(null);
        }
        return terminated.isDone();
    }

    /** The group shut down while this view had a waiter: see the class notes. */
    final void groupShutDown() {
        isTerminated();
    }

    @Override
    public final boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        if (isTerminated()) {
            return true;
        }
        Lane.flushCallersMesh(); // lane code about to wait: its mesh hand-offs go first
        group.addWaitingView(this); // before the state is read again, in isTerminated
        try {
            if (isTerminated()) {
                return true;
            }
            terminated.get(timeout, unit);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e); // never: the future only completes normally
        } finally {
            group.removeWaitingView(this);
        }
    }

    /**
     * As the {@code ExecutorService} contract has it; called from the lane's own carrier, it shuts
     * down without waiting, since the caller is part of what it would wait for.
     */
    @Override
    public final void close() {
        if (lane.isCarrier(Thread.currentThread())) {
            shutdown();
            return;
        }
        super.close();
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks) throws InterruptedException, ExecutionException {
        refuseOwnCarrier();
        Lane source = Lane.eagerMeshOfCaller(); // it submits, then waits on a queue of its own: no flush point
        try {
            return super.invokeAny(tasks);
        } finally {
            Lane.endEagerMesh(source);
        }
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        refuseOwnCarrier();
        Lane source = Lane.eagerMeshOfCaller();
        try {
            return super.invokeAny(tasks, timeout, unit);
        } finally {
            Lane.endEagerMesh(source);
        }
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) throws InterruptedException {
        refuseOwnCarrier();
        return super.invokeAll(tasks);
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException {
        refuseOwnCarrier();
        return super.invokeAll(tasks, timeout, unit);
    }

    /** The invoke methods wait for tasks of this lane: on its own carrier they would wait for ever. */
    private void refuseOwnCarrier() {
        if (lane.isCarrier(Thread.currentThread())) {
            throw lane.waitsForItself();
        }
    }

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Callable<T> callable) {
        return new LaneFutureTask<>(callable, lane);
    }

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Runnable runnable, T value) {
        return new LaneFutureTask<>(Executors.callable(runnable, value), lane);
    }

    /** {@code submit}'s future: a {@code FutureTask} whose waits refuse the lane's own carrier. */
    private static final class LaneFutureTask<T> extends FutureTask<T> {
        private final Lane lane;

        LaneFutureTask(Callable<T> callable, Lane lane) {
            super(callable);
            this.lane = lane;
        }

        @Override
        public T get() throws InterruptedException, ExecutionException {
            refuseOwnCarrier();
            return super.get();
        }

        @Override
        public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            refuseOwnCarrier();
            return super.get(timeout, unit);
        }

        private void refuseOwnCarrier() {
            if (!isDone()) {
                if (lane.isCarrier(Thread.currentThread())) {
                    throw lane.waitsForItself();
                }
                Lane.flushCallersMesh(); // lane code about to wait: its mesh hand-offs go first
            }
        }
    }
}
