package io.coremanager;

import io.coremanager.scheduling.Lane;
import io.coremanager.scheduling.ClaimableTask;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link CoreManager#executor(int)}: an {@code ExecutorService} over one lane with a lifecycle of
 * its own. It counts the tasks it accepted and has not finished; once shut down, it terminates
 * when that count reaches zero.
 *
 * <h2>Implementation notes</h2>
 * {@code execute} increments {@code pending} before it reads {@code shutdown}; {@code shutdown}
 * writes the flag before it reads {@code pending}. Both are sequentially consistent, so a task
 * racing with shutdown is either rejected (and uncounted) or counted before shutdown looks.
 */
final class LaneExecutorService extends AbstractExecutorService {

    private final CoreManager manager;
    private final Lane lane;
    /** Tasks accepted and not yet finished or handed back. */
    private final AtomicLong pending = new AtomicLong();
    private volatile boolean shutdown;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    LaneExecutorService(CoreManager manager, Lane lane) {
        this.manager = manager;
        this.lane = lane;
    }

    @Override
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        pending.incrementAndGet();
        if (shutdown || !manager.isRunning()) {
            finished();
            throw shutdown ? new RejectedExecutionException("this executor of cpu " + lane.cpu() + " is shut down")
                    : manager.rejected();
        }
        if (!lane.offer(new ViewTask(command))) {
            finished();
            throw manager.rejected();
        }
    }

    private void finished() {
        if (pending.decrementAndGet() == 0 && shutdown) {
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
        shutdown();
        List<Runnable> handedBack = new ArrayList<>();
        lane.takeBack(this, "shutdownNow() of the executor of cpu " + lane.cpu() + " before this task started",
                handedBack);
        return handedBack;
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        return terminated.isDone();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            terminated.get(timeout, unit);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "ExecutorService[cpu " + lane.cpu() + (shutdown ? ", shut down" : "") + ", " + pending.get() + " pending]";
    }

    /** A task of this view: counted until it ran or was handed back. */
    private final class ViewTask extends ClaimableTask {
        private final Runnable command;

        ViewTask(Runnable command) {
            this.command = command;
        }

        @Override
        public Throwable runCatching() {
            try {
                command.run();
                return null;
            } catch (Throwable t) {
                return t;
            } finally {
                finished();
            }
        }

        @Override
        public Object owner() {
            return LaneExecutorService.this;
        }

        @Override
        public Runnable handBack(String reason) {
            finished();
            return command;
        }
    }
}
