package io.coremanager.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RunnableScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * A timer of a lane: a {@code FutureTask} with a deadline ({@code System.nanoTime()}), a period
 * (0: one-shot; positive: fixed rate; negative: fixed delay) and a sequence number for FIFO order
 * among equal deadlines. It travels to the carrier through the lane's queue (an element the carrier
 * puts in its heap, see {@link LaneTimers}) and is run by the carrier with the claim protocol of
 * every user task ({@link LaneTask}); a periodic timer's claim goes back to NEW when the carrier
 * re-arms it.
 *
 * <p>It leaves for good ({@link #retire()}) exactly once, whoever notices first: the carrier after
 * its last run, a {@code cancel} while it waits, a hand-back. Retiring uncounts it from the lane's
 * live timers and tells its owner.
 */
final class LaneTimer<V> extends FutureTask<V> implements RunnableScheduledFuture<V>, LaneTask {

    private static final VarHandle STATE;
    private static final VarHandle RETIRED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(LaneTimer.class, "state", int.class);
            RETIRED = l.findVarHandle(LaneTimer.class, "retired", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through STATE
    private volatile int state;
    @SuppressWarnings("unused") // through RETIRED
    private volatile boolean retired;

    final LaneTimers timers;
    final TimerOwner owner;
    final long seq;
    /** 0 one-shot, &gt; 0 fixed rate, &lt; 0 fixed delay (its negation). */
    final long period;
    /** A thread to unpark when the timer completes or is cancelled (lane-local sleep), or null. */
    private final Thread wakee;
    /** The deadline; the carrier moves it when it re-arms a periodic timer. */
    volatile long time;
    /** Whether the last periodic run completed normally (carrier only). */
    private boolean lastRunOk;

    LaneTimer(Callable<V> callable, long time, long period, TimerOwner owner, LaneTimers timers, Thread wakee) {
        super(callable);
        this.time = time;
        this.period = period;
        this.owner = owner;
        this.timers = timers;
        this.seq = timers.nextSeq();
        this.wakee = wakee;
    }

    // ---------------------------------------------------------------- ScheduledFuture

    @Override
    public long getDelay(TimeUnit unit) {
        return unit.convert(time - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
        if (other == this) {
            return 0;
        }
        if (other instanceof LaneTimer<?> t) {
            long diff = time - t.time;
            return diff < 0 ? -1 : diff > 0 ? 1 : Long.compare(seq, t.seq);
        }
        return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean isPeriodic() {
        return period != 0;
    }

    /**
     * Cancels the timer: a waiting one is retired at once (the carrier drops it from its heap when it
     * reaches it); a running one finishes its run and is not re-armed. {@code mayInterruptIfRunning}
     * interrupts the carrier only while this timer runs on it (see {@link LaneTask}).
     */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(false);
        if (cancelled) {
            timers.cancelled();
            if (mayInterruptIfRunning) {
                Thread carrier = timers.lane.carrier().thread();
                if (carrier != null) {
                    Claims.interrupt(STATE, this, carrier);
                }
            }
            if ((int) STATE.getVolatile(this) == NEW) {
                retire(); // else the carrier retires it after its run (it reads isCancelled after re-arming)
            }
        }
        return cancelled;
    }

    @Override
    public V get() throws InterruptedException, ExecutionException {
        refuseOwnCarrier();
        return super.get();
    }

    @Override
    public V get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        refuseOwnCarrier();
        return super.get(timeout, unit);
    }

    private void refuseOwnCarrier() {
        if (!isDone()) {
            if (timers.lane.isCarrier(Thread.currentThread())) {
                throw timers.lane.waitsForItself();
            }
            Lane.flushCallersMesh(); // lane code about to wait: its mesh hand-offs go first
        }
    }

    @Override
    protected void done() {
        if (wakee != null) {
            LockSupport.unpark(wakee); // after the state is final: the sleeper sees isDone()
        }
    }

    // ---------------------------------------------------------------- LaneTask: the carrier's claims

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
        if (period == 0) {
            run(); // the failure goes to the future
        } else {
            lastRunOk = runAndReset(); // false: it threw (the future holds it) or was cancelled
        }
        return null;
    }

    @Override
    public boolean reportsFailure() {
        return false; // the future holds it
    }

    @Override
    public TaskOwner owner() {
        return owner;
    }

    @Override
    public Runnable handBack(String reason) {
        super.cancel(false);
        retire();
        return owner.handsBack() ? this : null;
    }

    @Override
    public boolean failClosed(RejectedExecutionException reason) {
        setException(reason);
        retire();
        return true;
    }

    // ---------------------------------------------------------------- carrier side

    /**
     * Carrier only, after a run: re-arms a periodic timer that ran normally, is not cancelled and
     * whose owner is not shut down; the caller puts it back in the heap.
     *
     * @param now the clock read for the batch (fixed rate); fixed delay reads the clock again
     * @return true if re-armed
     */
    boolean rearm(long now) {
        int state = (int) STATE.getVolatile(this);
        // INTERRUPTED: the stall watchdog interrupted a slow run that then returned normally; that is no
        // reason to stop a periodic timer (the contract stops it on an exception, a cancel, a shutdown).
        // A shutdownNow also interrupts, but it stops the owner first, which is read here.
        boolean ranToEnd = state == DONE || state == INTERRUPTED && !owner.isStopping();
        if (period == 0 || !lastRunOk || !ranToEnd || isCancelled() || owner.isShutdown()) {
            return false;
        }
        time = period > 0 ? time + period : System.nanoTime() - period;
        STATE.setVolatile(this, NEW);
        // A cancel or shutdown that read RUNNING left the retiring to us: read them after the write.
        if ((isCancelled() || owner.isShutdown()) && claimToHandBack()) {
            super.cancel(false);
            return false;
        }
        return true;
    }

    /** Whether the carrier may still run it: not claimed by a hand-back, not cancelled. */
    boolean waiting() {
        return (int) STATE.getVolatile(this) == NEW && !isCancelled();
    }

    /** Leaves for good, cancelled unless it is done already (a periodic timer dropped at shutdown). */
    void drop() {
        super.cancel(false);
        retire();
    }

    /**
     * Carrier only, once the group is stopping: cancelled and uncounted, but left in the registry,
     * so that a {@code shutdownNow} walking it now still hands it back (its claim is untouched).
     */
    void dropStopping() {
        super.cancel(false);
        if (RETIRED.compareAndSet(this, false, true)) {
            timers.retired(this, false);
            owner.timerDone();
        }
    }

    /**
     * Carrier only: the carrier failed (an {@code Error} such as an {@code OutOfMemoryError}) while
     * it held this timer out of the heap, between taking it as due and putting it back or retiring
     * it. Nothing else would ever run it or count it out (the lane could not leave), so its future
     * fails with {@code cause} unless it is done already (a periodic timer stops, as after any
     * failure), and it retires. A hand-back that claimed it first keeps it; the retiring happens once.
     */
    void failStranded(Throwable cause) {
        // If still NEW: no shutdownNow claims it meanwhile. If a shutdownNow claimed it first, it is
        // theirs: it may not have cancelled the future yet, and failing it now would make the caller
        // get it handed back and failed too.
        if (claimToHandBack() || (int) STATE.getVolatile(this) != HANDED_BACK) {
            setException(cause); // a no-op if the future is done (ran once, cancelled)
        }
        retire();
    }

    /** Leaves for good; only the first call acts. */
    void retire() {
        if (RETIRED.compareAndSet(this, false, true)) {
            timers.retired(this, true);
            owner.timerDone();
        }
    }

    boolean isRetired() {
        return retired;
    }
}
