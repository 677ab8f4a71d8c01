package io.coremanager.engine;

import java.time.Duration;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;

/**
 * The timers of one lane.
 *
 * <ul>
 *   <li>The heap (deadline, then sequence) belongs to the carrier alone: no lock. Other threads hand
 *       a new timer to the carrier as an element of the lane's queue ({@link Lane#offerTimer}); the
 *       carrier puts it in the heap when it polls it ({@link #arrive}), runs what is due between
 *       batches, and parks only until the head's deadline.</li>
 *   <li>The registry (a concurrent set) holds every live timer, in the queue or in the heap, for
 *       the threads that cannot walk the heap: {@code shutdownNow} hands timers back from it, a
 *       view's {@code shutdown} cancels its periodic ones through it.</li>
 *   <li>{@link #live()} counts timers accepted and not yet retired: counted before the timer is
 *       queued, uncounted when it retires. A carrier leaves only when it is zero, so a lane whose
 *       delayed timers still wait keeps running after shutdown until they fire or are cancelled.</li>
 * </ul>
 */
final class LaneTimers {

    /** The longest delay: longer ones are clamped, so deadline differences never overflow. */
    static final long MAX_DELAY_NANOS = Long.MAX_VALUE >> 2;

    final Lane lane;
    private final PriorityQueue<LaneTimer<?>> heap = new PriorityQueue<>(LaneTimer::compareTo);
    private final Set<LaneTimer<?>> registry = ConcurrentHashMap.newKeySet();
    private final AtomicInteger live = new AtomicInteger();
    private final AtomicLong seq = new AtomicLong();
    /** The owner of lane-local sleeps: never hands back, never drops a sleep at shutdown. */
    private final TimerOwner sleeps;
    /**
     * Timers cancelled since the carrier last purged the heap; any thread adds. A cancelled timer
     * retires at once but stays in the heap, which only the carrier may touch, until it reaches the
     * head: without a purge, a lane that schedules a timeout per request and cancels it when the
     * request ends would keep every cancelled one until its deadline.
     */
    private final AtomicInteger cancelledSincePurge = new AtomicInteger();
    /** Fewer cancelled timers than this wait for their deadlines: a purge walks the whole heap. */
    static final int PURGE_MIN = 1024;
    /** Carrier only: whether it has dropped the periodic timers after the group's shutdown. */
    private boolean sweptAfterShutdown;
    /** Carrier only: whether it has dropped every timer after the group's shutdownNow. */
    private boolean sweptAfterStop;

    LaneTimers(Lane lane) {
        this.lane = lane;
        this.sleeps = new TimerOwner() {
            @Override
            public boolean isShutdown() {
                return false;
            }

            @Override
            public void timerDone() {
            }

            @Override
            public boolean handsBack() {
                return false;
            }

            @Override
            public boolean isStopping() {
                return lane.group().isStopping();
            }
        };
    }

    long nextSeq() {
        return seq.getAndIncrement();
    }

    /** The deadline {@code delayNanos} from now, clamped (see {@link #MAX_DELAY_NANOS}). */
    static long deadline(long delayNanos) {
        return System.nanoTime() + Math.min(Math.max(delayNanos, 0), MAX_DELAY_NANOS);
    }

    /** Timers accepted and not retired. */
    int live() {
        return live.get();
    }

    // ---------------------------------------------------------------- producers

    /**
     * Counts, registers and queues {@code timer} for the carrier.
     *
     * @return false if the lane's queue is closed: nothing stays counted or registered
     * @throws java.util.concurrent.RejectedExecutionException if the lane failed (nothing stays either)
     */
    boolean schedule(LaneTimer<?> timer) {
        live.incrementAndGet(); // before the offer: the carrier does not leave with it in flight
        registry.add(timer);
        boolean queued = false;
        try {
            queued = lane.offerTimer(timer);
        } finally {
            if (!queued) {
                registry.remove(timer);
                live.decrementAndGet();
            }
        }
        return queued;
    }

    /** A timer retired: uncounts it, and wakes a carrier that may be waiting for the last one to leave. */
    void retired(LaneTimer<?> timer, boolean unregister) {
        if (unregister) {
            registry.remove(timer);
        }
        live.decrementAndGet();
        if (lane.group().state() != Lanes.RUNNING) {
            lane.wake(); // after the decrement: the carrier's leave check reads live() after announcing its park
        }
    }

    /** Hands back the live timers of {@code owner} (any owner if null): see {@code Lane.takeBack}. */
    void takeBack(TaskOwner owner, String reason, List<Runnable> into) {
        for (LaneTimer<?> t : registry) {
            if ((owner == null || t.owner == owner) && t.claimToHandBack()) {
                Runnable r = t.handBack(reason);
                if (r != null) {
                    into.add(r);
                }
            }
        }
    }

    /** Cancels the periodic timers of {@code owner}: its shutdown policy. */
    void cancelPeriodic(TimerOwner owner) {
        for (LaneTimer<?> t : registry) {
            if (t.owner == owner && t.isPeriodic()) {
                t.cancel(false);
            }
        }
    }

    /**
     * A lane-local sleep of the calling virtual thread, whose scheduler is this lane: parks it and
     * lets the carrier's own timer unpark it.
     */
    void sleep(long nanos) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("sleep interrupted");
        }
        if (nanos <= 0) {
            return;
        }
        long deadline = deadline(nanos);
        if (lane.group().state() != Lanes.RUNNING || lane.failure() != null) {
            // A lane shutting down (or failed) does not keep timers for sleepers: a sleeper that is not
            // tracked (started inside a core-affine thread) would otherwise hold it open for ever by
            // sleeping in a loop. The JDK's timer wakes it instead.
            Thread.sleep(Duration.ofNanos(nanos));
            return;
        }
        LaneTimer<Void> timer = new LaneTimer<>(() -> null, deadline, 0, sleeps, this, Thread.currentThread());
        boolean scheduled;
        try {
            scheduled = schedule(timer);
        } catch (RejectedExecutionException failed) {
            scheduled = false; // the lane failed meanwhile
        }
        if (!scheduled) {
            Thread.sleep(Duration.ofNanos(nanos)); // the lane has closed: the JDK's timer
            return;
        }
        while (!timer.isDone()) {
            LockSupport.park(timer);
            if (Thread.interrupted()) {
                timer.cancel(false);
                throw new InterruptedException("sleep interrupted");
            }
        }
        if (timer.isCancelled() || timer.state() == Future.State.FAILED) {
            // Handed back by shutdownNow, dropped at shutdown, or failed with the lane: sleep out the rest.
            long left = deadline - System.nanoTime();
            if (left > 0) {
                Thread.sleep(Duration.ofNanos(left));
            }
        }
    }

    // ---------------------------------------------------------------- carrier only

    /** A timer polled from the queue: into the heap, unless it already left or its owner drops it. */
    void arrive(LaneTimer<?> timer) {
        if (!timer.waiting()) {
            timer.retire(); // no-op if whoever took it retired it
        } else if (timer.isPeriodic() && timer.owner.isShutdown()) {
            // The owner's shutdown policy drops it. Its shutdown may be the group's, and the group may
            // be stopping by now (owner.isShutdown() read the state after any test here could): a
            // shutdownNow walking the registry must still find it, so only a drop that keeps it
            // registered is safe unless the state, read after the owner's, is still below STOP.
            if (lane.group().isStopping()) {
                timer.dropStopping();
            } else {
                timer.drop();
            }
        } else if (lane.group().isStopping()) {
            timer.dropStopping(); // it raced past shutdownNow's walk: nobody waits for it to run
        } else {
            try {
                purgeIfMostlyCancelled();
                Faults.at(Faults.Point.TIMER_ARRIVING);
                heap.add(timer); // its growth may fail
            } catch (Throwable t) {
                // Out of the queue and not in the heap: nothing else would run it or count it out (see
                // LaneTimer.failStranded), and the lane could never leave.
                try {
                    timer.failStranded(t);
                } catch (Throwable again) {
                    t.addSuppressed(again);
                }
                throw t;
            }
        }
    }

    /** A timer was cancelled (any thread): it may be garbage in the heap now. */
    void cancelled() {
        cancelledSincePurge.incrementAndGet();
    }

    /**
     * Carrier only, as a timer arrives: when at least {@link #PURGE_MIN} timers were cancelled since
     * the last purge and they could be half the heap, drops the heap's timers that may no longer run.
     * A purge costs a walk of the heap and comes after at least half its size in cancellations, so
     * the cost per cancellation stays constant and the heap holds at most about twice its live timers
     * (plus {@code PURGE_MIN}). Counting cancellations that never reached the heap only makes a purge
     * come early.
     */
    private void purgeIfMostlyCancelled() {
        int cancelled = cancelledSincePurge.get();
        if (cancelled >= PURGE_MIN && cancelled >= heap.size() / 2) {
            cancelledSincePurge.addAndGet(-cancelled); // those counted after the read stay counted
            heap.removeIf(t -> {
                if (t.waiting()) {
                    return false;
                }
                t.retire(); // a no-op if whoever took it retired it, as in pollDue
                return true;
            });
        }
    }

    /** Carrier only: how many timers the heap holds, cancelled ones included (for tests). */
    int heapSize() {
        return heap.size();
    }

    /** Whether the heap holds anything (perhaps cancelled timers not reached yet). */
    boolean hasPending() {
        return !heap.isEmpty();
    }

    /** The head's deadline; call only when {@link #hasPending()}. */
    long nextDeadline() {
        return heap.peek().time;
    }

    /** The head if it is due at {@code now}, removed; null if none. Drops timers that left. */
    LaneTimer<?> pollDue(long now) {
        LaneTimer<?> head;
        while ((head = heap.peek()) != null) {
            if (!head.waiting()) {
                heap.poll();
                head.retire();
            } else if (head.time - now <= 0) {
                return heap.poll();
            } else {
                return null;
            }
        }
        return null;
    }

    /** After the carrier ran (or failed to claim) {@code timer}: back in the heap, or retired. */
    void afterRun(LaneTimer<?> timer, long now) {
        if (timer.rearm(now)) {
            Faults.at(Faults.Point.TIMER_REARMED);
            heap.add(timer);
        } else {
            timer.drop(); // a periodic one that stops without being done (shutdown, an interrupt) is cancelled
        }
    }

    /**
     * The group is shut down: drop the periodic timers (once), as ScheduledThreadPoolExecutor's
     * {@code shutdown} does; once it is stopping, drop every timer (once) but leave them registered,
     * so that the {@code shutdownNow} walking the registry meanwhile still hands them back.
     */
    void groupShutDown(int state) {
        if (state >= Lanes.STOP) {
            if (!sweptAfterStop) {
                sweptAfterStop = true;
                sweptAfterShutdown = true;
                heap.forEach(LaneTimer::dropStopping);
                heap.clear();
            }
            return;
        }
        if (sweptAfterShutdown) {
            return;
        }
        sweptAfterShutdown = true;
        heap.removeIf(t -> {
            if (t.isPeriodic() || !t.waiting()) {
                t.drop();
                return true;
            }
            return false;
        });
    }

    /** The lane failed closed: fail every timer in the heap with {@code reason} now, not at its deadline. */
    void failAll(RejectedExecutionException reason) {
        heap.forEach(t -> {
            if (t.claimToHandBack()) {
                t.failClosed(reason);
            } else {
                t.drop();
            }
        });
        heap.clear();
    }

    /** The carrier leaves: whatever is left in the heap has retired (live() is zero). */
    void clear() {
        heap.forEach(LaneTimer::drop);
        heap.clear();
    }
}
