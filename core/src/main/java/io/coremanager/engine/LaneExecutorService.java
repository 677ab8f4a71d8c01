package io.coremanager.engine;

import java.util.ArrayList;
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

/**
 * {@code CoreManager.executor(cpu)}: an {@code ExecutorService} over one lane with a lifecycle of
 * its own, as the {@code ExecutorService} contract has it. It counts the tasks it accepted and has
 * not finished; it is shut down once it or its group is shut down, and terminated once shut down
 * with that count at zero. {@link #shutdownNow()} hands back its queued tasks and interrupts its
 * running one (and only its own: the lane's other work is not this view's).
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li>{@code execute} increments {@code pending} before it reads the shut-down flags; shutting
 *       down writes a flag before it reads {@code pending}. Both are sequentially consistent, so a
 *       task racing with shutdown is either rejected (and uncounted) or counted before shutdown
 *       looks. Every path out of {@code execute} that does not queue the task uncounts it: a
 *       rejection for capacity, a failed lane, an error while queueing.</li>
 *   <li>Termination is complete when {@code pending} reaches zero while shut down, which
 *       {@link #finished()} checks; when the group shuts down while the view is idle nobody calls
 *       it, so a waiter registers with the group for the time it waits, and the group calls
 *       {@link #groupShutDown()} after its state write; the waiter registers before it reads the
 *       state. Either side sees the other.</li>
 *   <li>A task the view hands to the lane is a {@link ViewTask}; {@code submit} and the invoke
 *       methods wrap it in a {@link LaneFutureTask}, whose waits refuse to run on the lane's own
 *       carrier, where they could only wait for ever.</li>
 * </ul>
 */
final class LaneExecutorService extends AbstractExecutorService implements TaskOwner, LaneView {

    private final Lanes group;
    private final Lane lane;
    /** Tasks accepted and not yet finished or handed back. */
    private final AtomicLong pending = new AtomicLong();
    private volatile boolean shutdown;
    private volatile boolean stopping;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    LaneExecutorService(Lanes group, Lane lane) {
        this.group = group;
        this.lane = lane;
    }

    @Override
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        pending.incrementAndGet();
        boolean queued = false;
        try {
            if (shutdown || group.isShutdown()) {
                throw shutdown ? new RejectedExecutionException("this executor of cpu " + lane.cpu() + " is shut down")
                        : group.rejected();
            }
            queued = lane.offer(new ViewTask(command));
            if (!queued) {
                throw group.rejected(lane);
            }
        } finally {
            if (!queued) {
                finished(); // see the class notes: nothing leaves execute counted but unqueued
            }
        }
    }

    private void finished() {
        if (pending.decrementAndGet() == 0 && isShutdown()) {
            terminated.complete(null);
        }
    }

    @Override
    public void shutdown() {
        shutdown = true;
        if (pending.get() == 0) {
            terminated.complete(null);
        }
    }

    @Override
    public List<Runnable> shutdownNow() {
        stopping = true;
        shutdown();
        List<Runnable> handedBack = new ArrayList<>();
        lane.takeBack(this, "shutdownNow() of the executor of cpu " + lane.cpu() + " before this task started",
                handedBack);
        lane.interruptRunningTask(this);
        return handedBack;
    }

    @Override
    public boolean isShutdown() {
        return shutdown || group.isShutdown();
    }

    @Override
    public boolean isStopping() {
        return stopping || group.isStopping();
    }

    @Override
    public boolean isTerminated() {
        if (!terminated.isDone() && isShutdown() && pending.get() == 0) {
            terminated.complete(null);
        }
        return terminated.isDone();
    }

    /** The group shut down while this view had a waiter: see the class notes. */
    @Override
    public void groupShutDown() {
        isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
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
     * As the {@code ExecutorService} contract has it; called from a task on the lane's own carrier,
     * it shuts down without waiting, since the caller is part of what it would wait for.
     */
    @Override
    public void close() {
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

    @Override
    public String toString() {
        return "ExecutorService[cpu " + lane.cpu() + (isShutdown() ? ", shut down" : "") + ", " + pending.get()
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
