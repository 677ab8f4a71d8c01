package io.coremanager.engine;

import io.coremanager.affinity.Affinity;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The loop of a lane: polls its queue and runs what it finds, in batches; spins, then parks, when
 * there is nothing; leaves when the group is shut down and the lane has drained. Apart from the
 * work it runs (Agrona's {@code AgentRunner} runs an {@code Agent} the same way): the lane is the
 * producers' side, the tasks are the users'. One {@code Carrier} per lane; its thread changes only
 * when the loop itself fails and a replacement takes over.
 *
 * <p>Failure containment, from the inside out: a user task that throws fails its future or goes
 * to the handler; a continuation that throws (JDK 25 lets an exception thrown by a virtual
 * thread's uncaught-exception handler escape) is reported; an interrupt never outlives the element
 * it was meant for; if the loop itself fails (an {@code Error} outside any element), a new thread
 * takes over the same loop, pinned again; if no thread can be started, the lane fails closed and
 * this thread stays to drain it. See the engine overview in {@code package-info}.
 */
final class Carrier implements Runnable {

    /** Empty polls before the carrier reads the clock: short gaps cost no clock read. */
    private static final int QUICK_SPINS = 64;
    /** Elements run between two publications of the statistics. */
    private static final int BATCH = 64;
    /**
     * The most elements taken from one source (an inbound mesh pair, or the queue) before the next
     * gets its turn: a batch, so a source waits at most a batch per other source. Smaller caps
     * starved consumption in "lanes producing": a lane whose virtual thread sends 64 per step but
     * takes only 16 of each source's per round fills its peers' windows and spins on yields.
     */
    private static final int SOURCE_CAP = BATCH;
    /** The lane whose carrier the current platform thread is (set by each carrier thread as it starts). */
    private static final ThreadLocal<Lane> CURRENT = new ThreadLocal<>();
    /**
     * How long before a timer's deadline an idle carrier stops parking and spins. A timed park
     * overshoots by the kernel's timer slack (50 µs by default for a normal thread) plus the
     * wake-up, about 75 µs in all on the 2-vCPU machine of BENCHMARKS.md, so the carrier parks until
     * this much before the deadline and spins the rest: at most this much spinning per timer that
     * finds the lane idle, whatever the idle strategy.
     */
    static final long TIMER_SPIN_NANOS = 100_000L;
    /**
     * Lane-local I/O, busy: the carrier polls its sockets ({@code selectNow}) at the first batch
     * boundary at least this long after its last poll (and whenever its queue runs empty): see
     * {@link #pollIoBetweenBatches()}. 50 µs by default; {@code -Dio.coremanager.engine.ioPollMicros}
     * changes it (the benchmarks do), 0 polls after every batch.
     */
    static final long IO_POLL_INTERVAL_NANOS = Long.getLong("io.coremanager.engine.ioPollMicros", 50) * 1_000L;
    /** Lane-local I/O, spinning: the carrier polls its sockets every this+1 spins. */
    static final int IO_SPIN_POLL_MASK = 63;
    /** The pause between two attempts of a failed lane's loop that keeps failing. */
    private static final long FAILED_RETRY_NANOS = 10_000_000L;

    private final Lane lane;
    /** How long an idle carrier spins before parking: 0 parks at once, {@link Long#MAX_VALUE} never parks. */
    private final long spinNanos;
    /** The carrier's reason to stop parking: work, or news from the group. Made once. */
    private final BooleanSupplier workOrNews = this::workOrNews;
    /** Whether a producer claimed a slot: the Dekker read before parking (CarrierParking). Made once. */
    private final BooleanSupplier claimed;
    private final CountDownLatch started = new CountDownLatch(1);
    /** The source polled now: an inbound pair's index, or the lane's width for the queue (carrier only). */
    private int source;
    /** Elements taken from {@link #source} in its current turn (carrier only). */
    private int taken;
    /** The most {@link #source} may give in its current turn (carrier only). */
    private int turnLimit = SOURCE_CAP;

    /** The thread running the loop now; written before it starts, by whoever starts it. */
    private volatile Thread thread;
    /** When the carrier last polled its sockets, by {@code System.nanoTime()} (carrier only). */
    private long lastIoPoll;
    /** Its kernel thread id, for the pinned check; 0 where unknown. */
    private volatile int tid;
    /** Why the carrier is not pinned, or null when it is. Written before {@code started} counts down. */
    private volatile String pinProblem;

    Carrier(Lane lane, long spinNanos) {
        this.lane = lane;
        this.spinNanos = spinNanos;
        this.claimed = lane.queue::hasClaimed;
    }

    /** Starts the first carrier thread and waits until it has pinned itself (or failed to). */
    void start() throws InterruptedException {
        startThread();
        started.await();
    }

    private void startThread() {
        lane.group().startCarrierThread(lane.name(), this, t -> {
            thread = t;
            lane.parking.carrier(t);
        });
    }

    Thread thread() {
        return thread;
    }

    int tid() {
        return tid;
    }

    String pinProblem() {
        return pinProblem;
    }

    /** The kernel moved the carrier off its CPU (the watchdog saw it): {@code stats()} says so from now on. */
    void movedOffCpu(String problem) {
        pinProblem = problem;
    }

    /** The lane whose carrier the calling platform thread is, or null. */
    static Lane laneOfCurrentThread() {
        return CURRENT.get();
    }

    @Override
    public void run() {
        CURRENT.set(lane);
        try {
            tid = Affinity.isSupported() ? Affinity.currentThreadId() : 0;
            lane.nameKernelThread("");
            pinProblem = lane.group().pins() ? lane.pinCurrentThread()
                    : Affinity.unsupportedReason().orElse("pinning is off for this manager");
            LaneEvents.start(lane.cpu(), Thread.currentThread().getName(), pinProblem);
        } catch (Throwable t) {
            pinProblem = "the carrier could not pin itself: " + t; // the loop still runs, unpinned
        } finally {
            started.countDown(); // whatever happened, start() must not wait for ever
        }
        try {
            loop();
        } catch (Throwable t) {
            if (!replaceAfter(t)) {
                drainFailedLane();
            }
            return;
        }
        leave();
    }

    /** The carrier's last act: idle for the watchdog, terminated for the group. */
    private void leave() {
        lane.io.carrierLeaving(); // closes the lane's sockets and its selector: see LaneIo
        lane.counters.idle();
        lane.markTerminated();
        try {
            CarrierCounters.Snapshot s = lane.counters.read();
            LaneEvents.stop(lane.cpu(), s.completed(), s.failed(), s.continuations());
        } finally {
            lane.group().laneTerminated(lane); // whatever the event did: close() waits for this
        }
    }

    /**
     * Polls and runs in batches of up to {@value #BATCH}: statistics are published once per batch.
     * The clock is read only when a busy period starts or ends (after the quick spins), so a hot
     * lane reads it rarely.
     */
    private void loop() {
        CarrierCounters c = lane.counters;
        c.seenState = lane.group().state();
        long busySince = System.nanoTime();
        LaneTimers timers = lane.timers;
        while (true) {
            int ran = runBatch();
            boolean timersRan = timers.hasPending() && runDueTimers(); // one clock read, only with timers waiting
            if (ran > 0 || timersRan) {
                pollIoBetweenBatches(); // lane-local I/O, busy: by the clock, at a batch boundary
                if (timersRan) {
                    noticeState(); // a lane kept busy by its own timers must still see a shutdown
                }
                continue;
            }
            if (lane.io.active() && pollIoNow()) {
                continue; // the queue ran empty: poll the sockets before spinning
            }
            noticeState();
            if (mayLeave() && lane.meshQuiet() && lane.queue.closeIfEmpty()) {
                timers.clear();
                c.publish(0, 0, 0, 0, System.nanoTime() - busySince);
                return;
            }
            c.idle();
            if (quickSpin()) {
                continue;
            }
            c.publish(0, 0, 0, 0, System.nanoTime() - busySince);
            idle();
            busySince = System.nanoTime();
        }
    }

    /**
     * Reads the group's state, and applies it to the timers: after a shutdown the periodic ones are
     * dropped, after a shutdownNow all; a failed lane fails them at once rather than at their deadlines.
     */
    private void noticeState() {
        CarrierCounters c = lane.counters;
        LaneTimers timers = lane.timers;
        c.seenState = lane.group().state();
        if (c.seenState != Lanes.RUNNING) {
            timers.groupShutDown(c.seenState);
        }
        if (timers.hasPending() && lane.failure() != null) {
            timers.failAll(lane.failure());
        }
    }

    /** Shut down (or failed), and no tracked thread left: the lane may close once its queue is empty. */
    private boolean mayLeave() {
        return (lane.counters.seenState != Lanes.RUNNING || lane.failure() != null) && lane.threads.live() == 0
                && lane.timers.live() == 0;
    }

    /**
     * Runs the timers due now, up to {@value #BATCH}, with one clock read: true if any ran. A timer
     * runs as a user task (claimed, interruptible only while it runs) but is not counted in the
     * lane's task statistics.
     */
    private boolean runDueTimers() {
        LaneTimers timers = lane.timers;
        long now = System.nanoTime();
        int ran = 0;
        LaneTimer<?> timer;
        LaneTimer<?> inHand = null; // out of the heap and not yet back or retired: see failStranded
        try {
            while (ran < BATCH && (timer = timers.pollDue(now)) != null) {
                inHand = timer;
                Faults.at(Faults.Point.TIMER_POLLED);
                if (ran++ == 0) {
                    lane.enterSection(); // the timers are lane code: they may hand tasks over through the mesh
                }
                lane.counters.begin(timer);
                runTask(timer);
                timers.afterRun(timer, now);
                inHand = null;
                if (lane.hasUnpublished()) {
                    lane.flushMesh(); // the end of an element: what it handed over goes now
                }
            }
        } catch (Throwable t) {
            if (inHand != null) {
                try {
                    inHand.failStranded(t);
                } catch (Throwable again) {
                    t.addSuppressed(again); // the replacement carrier or the failed lane's drain goes on regardless
                }
            }
            throw t;
        } finally {
            if (ran > 0) {
                lane.exitSection();
            }
        }
        return ran > 0;
    }

    /**
     * Lane-local I/O, hook 1 of 2 ("poll now, non-blocking"): a lane with sockets reads the clock
     * once per batch (about 25 ns) and polls them ({@code selectNow}, about 300 ns here) at the first
     * batch boundary {@link #IO_POLL_INTERVAL_NANOS} after its last poll, so a busy lane does not
     * starve its own I/O for longer than that plus one batch, and spends about 1% of its time
     * polling when its batches are short. A lane without sockets pays one volatile read.
     */
    private void pollIoBetweenBatches() {
        if (lane.io.active() && System.nanoTime() - lastIoPoll >= IO_POLL_INTERVAL_NANOS) {
            pollIoNow();
        }
    }

    /** Polls the lane's sockets without blocking and resumes their waiters; true if any was ready. */
    private boolean pollIoNow() {
        lastIoPoll = System.nanoTime();
        return lane.io.pollNow() > 0;
    }

    /**
     * Runs up to {@value #BATCH} elements from the queue and the inbound mesh pairs, taking turns
     * (at most {@link #SOURCE_CAP} from one source per turn); how many it took. The first element
     * opens a section (see Lane.meshQuiet), which ends with the batch; each element's mesh
     * hand-offs are published when it returns, so none waits for a batch to fill.
     */
    private int runBatch() {
        int ran = 0;
        long ok = 0;
        long bad = 0;
        long notRun = 0;
        long steps = 0;
        CarrierCounters c = lane.counters;
        Object element;
        try {
            while (ran < BATCH) {
                if (Faults.ENABLED) {
                    Faults.at(Faults.Point.CARRIER_LOOP); // between elements: the loop's own code
                }
                if ((element = pollNext()) == null) {
                    break;
                }
                if (ran++ == 0) {
                    lane.enterSection();
                }
                c.begin(element);
                if (element instanceof LaneTimer<?> timer) {
                    lane.timers.arrive(timer); // before LaneTask: a timer is one, but runs at its deadline
                } else if (element instanceof LaneTask task) {
                    Throwable outcome = runTask(task);
                    if (outcome == null) {
                        ok++;
                    } else if (outcome == LaneTask.NOT_RUN) {
                        notRun++;
                    } else {
                        bad++;
                    }
                } else {
                    steps++;
                    runContinuation((Runnable) element);
                }
                if (lane.hasUnpublished()) {
                    lane.flushMesh(); // the end of an element: what it handed over goes now
                }
            }
        } finally {
            if (ran != 0) {
                lane.exitSection(); // publishes whatever is left, whatever happened
                c.publish(ok, bad, notRun, steps, 0); // even if the loop is about to fail: nothing uncounted
            }
        }
        return ran;
    }

    /**
     * The next element: from the current source while it has some and its turn lasts, else from the
     * next source (the inbound pairs in source order, then the queue), one full round at most. The
     * queue's turn is at most what it held when the turn began: what arrives meanwhile, such as the
     * continuation of a virtual thread that yields, waits for the next turn, behind the pairs, as it
     * would have waited behind the other lanes' tasks in the queue.
     */
    private Object pollNext() {
        int width = lane.meshWidth();
        for (int tried = 0; tried <= width; tried++) {
            if (taken < turnLimit) {
                Object element;
                if (source == width) {
                    element = lane.queue.poll();
                } else {
                    MeshPair pair = lane.inbound(source);
                    element = pair == null ? null : pair.poll();
                }
                if (element != null) {
                    taken++;
                    return element;
                }
            }
            source = source >= width ? 0 : source + 1;
            taken = 0;
            turnLimit = source == width ? (int) Math.min(SOURCE_CAP, Math.max(1, lane.queue.size())) : SOURCE_CAP;
        }
        return null;
    }

    /**
     * Claims and runs one user task: null if it completed, {@link LaneTask#NOT_RUN} if it did not
     * run (handed back, cancelled, or failed with the lane), else its failure.
     */
    private Throwable runTask(LaneTask task) {
        RejectedExecutionException failed = lane.failure();
        if (failed != null) {
            if (task.claimToHandBack() && !task.failClosed(failed)) {
                lane.report(Thread.currentThread(), lane.refusal(failed, "task " + task + " not run: "));
            }
            return LaneTask.NOT_RUN;
        }
        Thread.interrupted(); // a stray interrupt (one that came while the carrier spun) is no task's
        if (!task.claimToRun()) {
            return LaneTask.NOT_RUN; // shutdownNow handed it back
        }
        if (task.owner().isStopping()) {
            Thread.currentThread().interrupt(); // it starts after shutdownNow: see TaskOwner
        }
        Throwable outcome = task.runCatching();
        task.finishRun();
        Thread.interrupted(); // no interrupt leaks into the next element: see LaneTask
        if (outcome != null && outcome != LaneTask.NOT_RUN && task.reportsFailure()) {
            lane.report(Thread.currentThread(), outcome);
        }
        return outcome;
    }

    private void runContinuation(Runnable continuation) {
        try {
            continuation.run();
        } catch (Throwable t) {
            lane.report(Thread.currentThread(), t); // see the class notes
        }
        Thread.interrupted(); // an interrupt of the carrier thread itself means nothing to the next element
    }

    /**
     * Work to do, news from the group, or (while shutting down) the last tracked thread gone: the
     * carrier's reasons to stop waiting. Each has a waker that writes, then reads the parked flag.
     */
    private boolean workOrNews() {
        int seen = lane.counters.seenState;
        return lane.queue.hasPublished() || lane.inboundPublished() || lane.group().state() != seen
                || seen != Lanes.RUNNING && lane.threads.live() == 0 && lane.timers.live() == 0 && lane.meshQuiet();
    }

    /** A few empty polls without the clock: true if work (or news) arrived. */
    private boolean quickSpin() {
        for (int i = 0; i < QUICK_SPINS; i++) {
            if (workOrNews.getAsBoolean()) {
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    /**
     * Spins for the idle strategy's time, then parks until work or news arrives, or until shortly
     * before the next timer's deadline when the heap holds one, and spins the last
     * {@link #TIMER_SPIN_NANOS}: the carrier's own clock wakes it for a timer, no other thread does.
     * An interrupt that reached the carrier while it waited (a stray one) is dropped on the way out,
     * so the next task does not start interrupted.
     */
    private void idle() {
        waitForWorkOrNews();
        Thread.interrupted();
    }

    private void waitForWorkOrNews() {
        boolean timed = lane.timers.hasPending();
        long due = timed ? lane.timers.nextDeadline() : 0;
        if (timed && due - System.nanoTime() <= TIMER_SPIN_NANOS) {
            while (!workOrNews.getAsBoolean() && due - System.nanoTime() > 0) {
                Thread.onSpinWait(); // the last stretch before a deadline: a park would overshoot it
            }
            return;
        }
        if (spinNanos > 0) {
            long deadline = System.nanoTime() + spinNanos;
            boolean clock = timed || spinNanos != Long.MAX_VALUE;
            for (int i = 1; ; i++) {
                if (workOrNews.getAsBoolean()) {
                    return;
                }
                if ((i & IO_SPIN_POLL_MASK) == 0 && lane.io.active() && pollIoNow()) {
                    return; // ready sockets: their threads are queued
                }
                Thread.onSpinWait();
                if ((i & 255) == 0 && clock) {
                    long now = System.nanoTime();
                    if (timed && now - due >= 0) {
                        return; // the timer is due
                    }
                    if (spinNanos != Long.MAX_VALUE && now - deadline >= 0) {
                        break;
                    }
                }
            }
        }
        if (timed) {
            lane.parking.parkUntil(workOrNews, claimed, due - TIMER_SPIN_NANOS);
        } else {
            lane.parking.park(workOrNews, claimed);
        }
        // Lane-local I/O, hook 2 of 2 ("block until work, news, I/O or deadline"): with sockets, the
        // parking's blocker is the lane's selector (select(timeout), woken by selector.wakeup());
        // the keys it found are handled here, with the carrier RUNNING, so resuming their threads
        // costs no wake-up.
        if (lane.io.active()) {
            lane.io.dispatchSelected();
        }
    }

    /**
     * The loop itself failed (not an element: those are caught). Starts a new thread on the same
     * loop, which pins itself again; this thread touches nothing after starting it.
     *
     * @return false if no new thread could be started: the lane has failed closed
     */
    private boolean replaceAfter(Throwable failure) {
        lane.countReplacement();
        lane.counters.idle();
        boolean replaced;
        try {
            startThread(); // first: nothing that reports (user code, a logger) may stand in its way
            replaced = true;
        } catch (Throwable cannotStart) {
            RejectedExecutionException reason = new RejectedExecutionException("cpu " + lane.cpu()
                    + "'s lane failed and accepts no more work: its carrier's loop failed (" + failure
                    + ") and no new carrier could be started (" + cannotStart + ")", failure);
            reason.addSuppressed(cannotStart);
            lane.failClosed(reason);
            replaced = false;
        }
        lane.report(Thread.currentThread(), failure); // never throws
        if (replaced) {
            try {
                lane.group().warnOnce("replaced-" + lane.cpu(), "the carrier of cpu " + lane.cpu() + " failed ("
                        + failure + "); a new carrier takes over its queue");
            } catch (Throwable t) {
                // The replacement runs; a warning that cannot be logged changes nothing.
            }
        }
        return replaced;
    }

    /**
     * This thread stays the carrier of a failed lane: it fails the user tasks still queued, runs the
     * continuations of the lane's virtual threads until they end, then leaves. A loop that keeps
     * failing is retried after a pause, so it cannot spin.
     */
    private void drainFailedLane() {
        thread = Thread.currentThread();
        lane.parking.carrier(thread);
        while (true) {
            try {
                loop();
                leave();
                return;
            } catch (Throwable again) {
                lane.report(Thread.currentThread(), again); // never throws
                LockSupport.parkNanos(FAILED_RETRY_NANOS);
            }
        }
    }
}
