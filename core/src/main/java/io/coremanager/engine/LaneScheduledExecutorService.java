package io.coremanager.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code CoreManager.scheduler(cpu)}: a {@code ScheduledExecutorService} whose timers live on one
 * lane ({@link LaneTimers}): the carrier keeps them in its heap and runs what is due between batches.
 * Its lifecycle is {@link LaneExecutorService}'s: it counts the timers it accepted and that have not
 * retired, is shut down once it or its group is, and terminated once shut down with that count at
 * zero. The shutdown policy is {@code ScheduledThreadPoolExecutor}'s default, fixed: on shutdown
 * (of the view or of the group) periodic timers are cancelled and delayed ones still run at their
 * time, and the lane keeps running until they have; {@code shutdownNow} hands back (cancelled) the
 * timers that wait and interrupts the one running, if it is this view's.
 *
 * <p>{@code execute} and {@code submit} are timers with no delay, run as soon as the carrier
 * reaches them, in order with other due timers (deadline, then order of scheduling).
 */
final class LaneScheduledExecutorService extends LaneView implements ScheduledExecutorService, TimerOwner {

    LaneScheduledExecutorService(Lanes group, Lane lane) {
        super(group, lane, "scheduler");
    }

    // ---------------------------------------------------------------- scheduling

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(unit, "unit");
        return enqueue(new LaneTimer<>(Executors.callable(command, null), deadline(delay, unit), 0, this,
                lane.timers, null));
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        Objects.requireNonNull(callable, "callable");
        Objects.requireNonNull(unit, "unit");
        return enqueue(new LaneTimer<>(callable, deadline(delay, unit), 0, this, lane.timers, null));
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        return periodic(command, initialDelay, period, unit, true);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        return periodic(command, initialDelay, delay, unit, false);
    }

    private ScheduledFuture<?> periodic(Runnable command, long initialDelay, long period, TimeUnit unit,
                                        boolean fixedRate) {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(unit, "unit");
        if (period <= 0) {
            throw new IllegalArgumentException((fixedRate ? "period" : "delay") + " must be positive: " + period);
        }
        long nanos = Math.min(unit.toNanos(period), LaneTimers.MAX_DELAY_NANOS);
        return enqueue(new LaneTimer<>(Executors.callable(command, null), deadline(initialDelay, unit),
                fixedRate ? nanos : -nanos, this, lane.timers, null));
    }

    private static long deadline(long delay, TimeUnit unit) {
        return LaneTimers.deadline(unit.toNanos(delay));
    }

    /** Counts the timer, then hands it to the lane: see LaneView's notes. */
    private <V> LaneTimer<V> enqueue(LaneTimer<V> timer) {
        admit(() -> lane.timers.schedule(timer));
        return timer;
    }

    @Override
    public void execute(Runnable command) {
        schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public Future<?> submit(Runnable task) {
        return schedule(task, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public <T> Future<T> submit(Runnable task, T result) {
        Objects.requireNonNull(task, "task");
        return schedule(Executors.callable(task, result), 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public <T> Future<T> submit(Callable<T> task) {
        return schedule(task, 0, TimeUnit.NANOSECONDS);
    }

    // ---------------------------------------------------------------- TimerOwner

    @Override
    public void timerDone() {
        finished();
    }

    @Override
    public boolean handsBack() {
        return true;
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * No new timers; periodic timers are cancelled, delayed ones still run at their time (the
     * default policies of {@code ScheduledThreadPoolExecutor}). Does not wait.
     */
    @Override
    public void shutdown() {
        markShutdown();
        lane.timers.cancelPeriodic(this);
    }

    /**
     * As {@link #shutdown()}, then hands back the timers that wait (cancelled: their futures throw
     * {@code CancellationException}) and interrupts this view's timer running now, if any.
     *
     * @return the timers that had not run, as {@code RunnableScheduledFuture}s
     */
    @Override
    public List<Runnable> shutdownNow() {
        markStopping();
        markShutdown(); // the periodic timers are handed back, not just cancelled, as the JDK does
        List<Runnable> handedBack = new ArrayList<>();
        lane.takeBack(this, "shutdownNow() of the scheduler of cpu " + lane.cpu() + " before this timer ran",
                handedBack);
        lane.interruptRunningTask(this);
        shutdown(); // whatever raced past the walk
        return handedBack;
    }

    @Override
    public String toString() {
        return "ScheduledExecutorService[cpu " + lane.cpu() + (isShutdown() ? ", shut down" : "") + ", "
                + pending() + " pending]";
    }
}
