package io.coremanager.scheduling;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * One managed CPU: a {@link LaneQueue} and one carrier platform thread pinned to that CPU, which
 * runs the lane's user tasks and the continuations of its core-affine virtual threads, in queue
 * order. The lane is also those virtual threads' scheduler ({@link Executor}).
 *
 * <h2>Threading</h2>
 * Any thread may offer tasks and continuations; only the carrier polls. Statistics are written by
 * the carrier alone (volatile, once per batch) and read by anyone.
 *
 * <h2>Implementation notes: park and wake</h2>
 * The carrier, out of work, spins for the idle strategy's spin time, then parks through
 * {@link CarrierParking}, whose notes give the protocol: producers' atomic add on the queue's
 * producer index pairs with the carrier's read of it ({@link LaneQueue#hasClaimed()}). News from
 * the manager (a state change) and the end of the last tracked thread during shutdown wake the
 * carrier the same way: their writer writes, then reads the parked flag.
 *
 * <h2>Implementation notes: termination</h2>
 * After the manager shuts down, the carrier leaves once no tracked virtual thread is alive and it
 * closes its queue (which succeeds only when nothing is queued or being published). A producer that
 * passed the manager's state check loses that race cleanly: its offer fails and it rejects. A
 * continuation arriving after the close (a virtual thread the manager does not track: started
 * with {@code Thread.ofVirtual()} inside a tracked one and still parked at close, or made by the
 * thread factory before close and started after) runs on a temporary carrier pinned to the same
 * CPU: never lost, never thrown back at the waker.
 */
public final class Lane implements Executor {

    /** What a lane needs from its manager. */
    public interface Control {
        /** The manager's lifecycle state: {@link #RUNNING}, {@link #SHUTDOWN} or {@link #STOP}. */
        int state();

        /** Called by the carrier as its very last act. */
        void laneTerminated(Lane lane);

        /** Reports a failure of an {@code execute} task, or of the lane itself. */
        void report(Lane lane, Thread thread, Throwable failure);

        /** Logs a message once per key. */
        void warnOnce(String key, String message);
    }

    public static final int RUNNING = 0;
    public static final int SHUTDOWN = 1;
    public static final int STOP = 2;

    /** Empty polls before the carrier reads the clock: short gaps cost no clock read. */
    private static final int QUICK_SPINS = 64;
    /** Elements run between two publications of the statistics. */
    private static final int BATCH = 64;


    private final int cpu;
    private final String name;
    private final Control control;
    private final long spinNanos;
    /** How long a thread waiting for one of this lane's futures spins first: the idle spin, at most 100 µs. */
    private final long waitSpinNanos;
    private final boolean pin;
    private final boolean daemon;
    private final Thread.UncaughtExceptionHandler virtualThreadHandler;
    /** The most entries user tasks may find queued; 0 for unbounded. Continuations are never refused. */
    private final long capacity;
    private final LaneQueue queue = new LaneQueue();

    private final CarrierParking parking = new CarrierParking();
    /** The carrier's reason to stop parking: work, or news from the manager. Made once. */
    private final BooleanSupplier workOrNews = this::workOrNews;
    /** Whether a producer claimed a slot: the carrier's Dekker read before it parks (see CarrierParking). */
    private final BooleanSupplier claimed = queue::hasClaimed;
    /** The current carrier thread; replaced only by the carrier itself (see replaceCarrier). */
    private volatile Thread carrier;
    private volatile int carrierTid;
    /** Why the carrier is not pinned, or null when it is. Written by the carrier before started counts down. */
    private volatile String pinProblem;
    private final CountDownLatch started = new CountDownLatch(1);

    /** Statistics and loop state: written by the carrier only, on lines of their own. */
    private final CarrierCounters counters = new CarrierCounters();
    private final LongAdder submitted = new LongAdder();
    private final java.util.concurrent.atomic.AtomicLong replacements = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong stalls = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong longestStallNanos = new java.util.concurrent.atomic.AtomicLong();
    private final LongAdder virtualThreadsStarted = new LongAdder();

    /** Tracked core-affine virtual threads alive now: the carrier does not leave while positive. */
    private final AtomicInteger liveVirtualThreads = new AtomicInteger();
    private final Set<Thread> liveThreads = ConcurrentHashMap.newKeySet();
    /** Continuations that arrived after the queue closed, and whether a late carrier runs them. */
    private final ConcurrentLinkedQueue<Runnable> lateQueue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean lateRunnerActive = new AtomicBoolean();
    private static final long LATE_IDLE_NANOS = 1_000_000_000L;

    /**
     * @param spinNanos how long an idle carrier spins before parking: 0 parks at once,
     *     {@link Long#MAX_VALUE} never parks
     * @param pin whether to pin the carrier to {@code cpu}
     */
    public Lane(int cpu, String name, Control control, long spinNanos, boolean pin, boolean daemon,
                Thread.UncaughtExceptionHandler virtualThreadHandler, long capacity) {
        this.cpu = cpu;
        this.name = name;
        this.control = control;
        this.spinNanos = spinNanos;
        this.waitSpinNanos = Math.min(spinNanos, 100_000);
        this.pin = pin;
        this.daemon = daemon;
        this.virtualThreadHandler = virtualThreadHandler;
        this.capacity = capacity;
    }

    /** Starts the carrier and waits until it has pinned itself (or failed to). */
    public void start() throws InterruptedException {
        startCarrier();
        started.await();
    }

    private void startCarrier() {
        Thread thread = Thread.ofPlatform().name(name).daemon(daemon).unstarted(this::carrierMain);
        carrier = thread;
        parking.carrier(thread);
        thread.start();
    }

    public int cpu() {
        return cpu;
    }

    // ---------------------------------------------------------------- producers

    /**
     * Queues a user task.
     *
     * @return false if the lane no longer accepts tasks (its queue is closed)
     * @throws java.util.concurrent.RejectedExecutionException if the lane has a capacity and that
     *     many entries wait already
     */
    public boolean offer(UserTask task) {
        if (capacity > 0) {
            long queued = queue.size();
            if (queued >= capacity) {
                String reason = "the queue of cpu " + cpu + " is full: " + queued + " entries wait (capacity "
                        + capacity + "); the lane is overloaded or stuck (see stats(" + cpu + ") and the stall reports)";
                LaneEvents.rejection(cpu, reason);
                throw new java.util.concurrent.RejectedExecutionException(reason);
            }
        }
        if (!queue.offer(task)) {
            return false;
        }
        submitted.increment();
        wakeIfParked();
        return true;
    }

    /** A task for {@link #offer}: {@code execute}'s wrapper. */
    public static UserTask executed(Runnable task, Object owner) {
        return new ExecutedTask(task, owner);
    }

    /** A task for {@link #offer}: {@code submit}'s future, which is the task. */
    public <T> SubmittedTask<T> submitted(java.util.concurrent.Callable<T> task, Object owner) {
        return new SubmittedTask<>(task, owner, waitSpinNanos);
    }

    /**
     * The scheduler side: runs a virtual thread's continuation on this lane. Never blocks, never
     * throws: see the class notes for what happens after the lane closed.
     */
    @Override
    public void execute(Runnable continuation) {
        if (queue.offer(continuation)) {
            wakeIfParked();
        } else {
            runLate(continuation);
        }
    }

    /** Wakes the carrier if it is parked; see the class notes. */
    public void wakeIfParked() {
        parking.wakeIfParked();
    }

    /**
     * A continuation for a closed lane goes to a late carrier: one platform thread pinned to the same
     * CPU, started on demand, which leaves after {@link #LATE_IDLE_NANOS} without work. Never a thread
     * per continuation, even for a virtual thread that outlives the lane and keeps waking.
     */
    private void runLate(Runnable continuation) {
        lateQueue.offer(continuation);
        if (lateRunnerActive.compareAndSet(false, true)) {
            control.warnOnce("late-" + cpu + "-" + System.identityHashCode(this), "a virtual thread started or woke "
                    + "on cpu " + cpu + " after its lane closed (one made by threadFactory() before close() and "
                    + "started after it, or one started with Thread.ofVirtual() inside a core-affine virtual thread "
                    + "and not joined before close()); a temporary carrier pinned to cpu " + cpu + " runs it");
            Thread.ofPlatform().name(name + "-late").daemon(true).start(this::lateCarrier);
        }
    }

    private void lateCarrier() {
        pinCurrentThread();
        while (true) {
            long idleSince = System.nanoTime();
            Runnable next;
            while ((next = lateQueue.poll()) == null) {
                if (System.nanoTime() - idleSince > LATE_IDLE_NANOS) {
                    lateRunnerActive.set(false);
                    // A continuation offered after our last poll and before the flag cleared must not
                    // wait for ever: take the runner role back if anything is there.
                    if (lateQueue.isEmpty() || !lateRunnerActive.compareAndSet(false, true)) {
                        return;
                    }
                    idleSince = System.nanoTime();
                }
                LockSupport.parkNanos(100_000);
            }
            next.run();
        }
    }

    // ---------------------------------------------------------------- virtual threads

    /**
     * A core-affine virtual thread on this lane (unstarted), or a platform thread pinned to the
     * CPU where the JDK hook is unavailable.
     *
     * Threads are named after the carrier: {@code coremanager-cpu-3-vt-17}.
     *
     * @param countedAlready true if the caller already counted it live (see {@link #countStarting})
     */
    public Thread newThread(Runnable task, boolean countedAlready) {
        Runnable tracked = () -> {
            Thread self = Thread.currentThread();
            if (!countedAlready) {
                liveVirtualThreads.incrementAndGet();
            }
            liveThreads.add(self);
            if (control.state() == STOP) {
                self.interrupt(); // started after shutdownNow's interrupts: see interruptThreads
            }
            virtualThreadsStarted.increment();
            try {
                if (!self.isVirtual()) {
                    String problem = pinCurrentThread(); // the fallback: a platform thread pinned to the cpu
                    if (problem != null) {
                        control.warnOnce("fallback-pin-" + cpu, "a thread for cpu " + cpu + " runs unpinned: " + problem);
                    }
                }
                task.run();
            } finally {
                liveThreads.remove(self);
                threadEnded();
            }
        };
        return threadFactory().newThread(tracked);
    }

    /**
     * The lane's factory of its threads, made once: a builder with the lane as scheduler (names
     * {@code name-vt-N}, numbered by the factory), or the pinned platform-thread fallback. Made on
     * first use, so a manager that never starts a thread never touches the JDK hook.
     */
    private java.util.concurrent.ThreadFactory threadFactory() {
        java.util.concurrent.ThreadFactory factory = threads;
        if (factory == null) {
            Thread.Builder builder = VirtualThreadHook.isAvailable()
                    ? VirtualThreadHook.builder(this).name(name + "-vt-", 1)
                    : Thread.ofPlatform().name(name + "-vt-", 1).daemon(true);
            if (virtualThreadHandler != null) {
                builder.uncaughtExceptionHandler(virtualThreadHandler);
            }
            factory = builder.factory(); // thread-safe; a race makes two, and one is kept
            threads = factory;
        }
        return factory;
    }

    /** See {@link #threadFactory()}. */
    private volatile java.util.concurrent.ThreadFactory threads;

    /**
     * Counts a thread as live before it starts, so the carrier cannot leave in between; the caller
     * must then check the manager's state and call {@link #threadEnded()} if it does not start it.
     */
    public void countStarting() {
        liveVirtualThreads.incrementAndGet();
    }

    /** A tracked thread ended (or was never started after {@link #countStarting}). */
    public void threadEnded() {
        if (liveVirtualThreads.decrementAndGet() == 0 && control.state() != RUNNING) {
            wakeIfParked(); // the carrier may be waiting for this to leave
        }
    }

    /**
     * Interrupts every tracked live thread (shutdownNow, after the manager's state became STOP). A
     * thread that registers itself after this loop passed sees STOP and interrupts itself: each
     * side writes, then reads the other's variable.
     */
    public void interruptThreads() {
        for (Thread thread : liveThreads) {
            thread.interrupt();
        }
    }

    /** Takes back the queued user tasks that {@code owner} accepted (any owner if null). */
    public void takeBack(Object owner, String reason, List<Runnable> into) {
        queue.takeEach(e -> {
            if (e instanceof UserTask t && (owner == null || t.owner() == owner) && t.claimToHandBack()) {
                into.add(t.handBack(reason));
            }
        });
    }

    // ---------------------------------------------------------------- the carrier

    private void carrierMain() {
        tryPin(); // the first carrier, or a replacement
        LaneEvents.start(cpu, Thread.currentThread().getName(), pinProblem);
        started.countDown();
        try {
            carrierLoop();
        } catch (Throwable t) {
            replaceCarrier(t);
            return;
        }
        LaneEvents.stop(cpu, completed(), failed(), continuations());
        control.laneTerminated(this);
    }

    /** Pins the carrier and records the outcome for the statistics. */
    private void tryPin() {
        carrierTid = Affinity.isSupported() ? Affinity.currentThreadId() : 0;
        pinProblem = pin ? pinCurrentThread()
                : Affinity.unsupportedReason().orElse("pinning is off for this manager");
    }

    /** Pins the calling platform thread to this lane's CPU: null on success, else why not. */
    private String pinCurrentThread() {
        String problem;
        try {
            Affinity.pin(cpu);
            problem = null;
        } catch (RuntimeException e) {
            problem = e.getMessage();
        }
        LaneEvents.pin(cpu, Thread.currentThread().getName(), problem);
        return problem;
    }

    /**
     * Polls and runs in batches of up to {@value #BATCH}: statistics are published once per batch.
     * The clock is read only when a busy period starts or ends (after the quick spins), so a hot
     * lane reads it rarely.
     */
    private void carrierLoop() {
        counters.seenState = control.state();
        long busySince = System.nanoTime();
        while (true) {
            int ran = runBatch();
            if (ran > 0) {
                continue;
            }
            counters.seenState = control.state();
            if (counters.seenState != RUNNING && liveVirtualThreads.get() == 0 && queue.closeIfEmpty()) {
                addBusy(System.nanoTime() - busySince);
                return;
            }
            counters.setIdle(true);
            if (quickSpin()) {
                counters.setIdle(false);
                continue;
            }
            addBusy(System.nanoTime() - busySince);
            idle();
            counters.setIdle(false);
            busySince = System.nanoTime();
        }
    }

    /** Runs up to {@value #BATCH} queued elements; how many ran. */
    private int runBatch() {
        int ran = 0;
        long ok = 0;
        long bad = 0;
        long steps = 0;
        CarrierCounters c = counters;
        Object element;
        try {
            while (ran < BATCH && (element = queue.poll()) != null) {
                ran++;
                c.markStarted(); // the watchdog's sign of progress
                if (element instanceof UserTask task) {
                    if (!task.claimToRun()) {
                        continue; // shutdownNow handed it back
                    }
                    Throwable failure = task.runCatching();
                    if (failure == null) {
                        ok++;
                    } else {
                        bad++;
                        if (!(task instanceof SubmittedTask<?>)) {
                            control.report(this, Thread.currentThread(), failure);
                        }
                    }
                    Thread.interrupted(); // a task's interrupt must not leak into the next one
                } else {
                    steps++;
                    ((Runnable) element).run();
                }
            }
        } finally {
            // Published even if a continuation threw and the carrier is about to be replaced.
            if (ok != 0) {
                c.completed += ok;
            }
            if (bad != 0) {
                c.failed += bad;
            }
            if (steps != 0) {
                c.continuations += steps;
            }
        }
        return ran;
    }

    private void addBusy(long nanos) {
        counters.busyNanos += nanos;
    }

    /**
     * Work to do, news from the manager, or (while shutting down) the last tracked thread gone: the
     * carrier's reasons to stop waiting. Each has a waker that writes, then reads the parked flag.
     */
    private boolean workOrNews() {
        int seen = counters.seenState;
        return queue.hasPublished() || control.state() != seen
                || seen != RUNNING && liveVirtualThreads.get() == 0;
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

    /** Spins for the idle strategy's time, then parks until work or news arrives. */
    private void idle() {
        if (spinNanos > 0) {
            long deadline = System.nanoTime() + spinNanos;
            for (int i = 1; ; i++) {
                if (workOrNews.getAsBoolean()) {
                    return;
                }
                Thread.onSpinWait();
                if ((i & 255) == 0 && spinNanos != Long.MAX_VALUE && System.nanoTime() - deadline >= 0) {
                    break;
                }
            }
        }
        parking.park(workOrNews, claimed);
    }

    /**
     * The loop itself failed (not a task: those are caught). A new carrier takes over the same
     * queue and pins itself again; this thread touches nothing after starting it.
     */
    private void replaceCarrier(Throwable failure) {
        replacements.incrementAndGet();
        counters.setIdle(true);
        control.report(this, Thread.currentThread(), failure);
        control.warnOnce("replaced-" + cpu + "-" + System.identityHashCode(failure),
                "the carrier of cpu " + cpu + " failed (" + failure + "); a new carrier takes over its queue");
        startCarrier();
    }

    // ---------------------------------------------------------------- statistics

    /** The Linux thread id of the current carrier (a replacement's after a replacement); 0 before it starts or where unknown. */
    public int carrierTid() {
        return carrierTid;
    }

    /** Waits for the carrier to start (and pin) before the first statistics. */
    public Thread carrier() {
        return carrier;
    }

    public String pinProblem() {
        return pinProblem;
    }

    /**
     * Whether the carrier is pinned to exactly this lane's CPU now, asked of the kernel
     * ({@code sched_getaffinity} of the carrier's thread id).
     */
    public boolean pinnedNow() {
        int tid = carrierTid;
        if (tid == 0 || !Affinity.isSupported()) {
            return false;
        }
        try {
            return Affinity.getOfThread(tid).equals(CpuSet.of(cpu));
        } catch (RuntimeException e) {
            return false; // the carrier has exited
        }
    }

    public long submitted() {
        return submitted.sum();
    }

    public long completed() {
        return counters.completed;
    }

    public long failed() {
        return counters.failed;
    }

    public long continuations() {
        return counters.continuations;
    }

    public long queued() {
        return queue.size();
    }

    public int liveVirtualThreads() {
        return liveVirtualThreads.get();
    }

    public long virtualThreadsStarted() {
        return virtualThreadsStarted.sum();
    }

    /** Elements the carrier has begun: the stall watchdog compares two readings. */
    public long elementsStarted() {
        return counters.startedOpaque();
    }

    /** Whether the carrier is between elements (waiting for work) rather than in one. */
    public boolean isIdle() {
        return counters.idleOpaque();
    }

    /**
     * The watchdog saw this lane stalled for {@code nanos} so far; {@code newStall} the first time
     * for this stall.
     */
    public void recordStall(long nanos, boolean newStall) {
        if (newStall) {
            stalls.incrementAndGet();
        }
        longestStallNanos.accumulateAndGet(nanos, Math::max);
    }

    /** Stalls the watchdog reported. */
    public long stalls() {
        return stalls.get();
    }

    /** The longest stall seen, in nanoseconds. */
    public long longestStallNanos() {
        return longestStallNanos.get();
    }

    /** How many times the carrier's loop failed and a new carrier took over. */
    public long carrierReplacements() {
        return replacements.get();
    }

    public long busyNanos() {
        return counters.busyNanos;
    }

    /** The tracked live threads (for diagnostics). */
    public List<Thread> liveThreads() {
        return new ArrayList<>(liveThreads);
    }

    @Override
    public String toString() {
        return name;
    }
}
