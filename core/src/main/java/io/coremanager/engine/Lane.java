package io.coremanager.engine;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One managed CPU, seen from the producers: its queue, the wake-up of its carrier, its tracked
 * threads, its failure. The lane is also its virtual threads' scheduler ({@link Executor}). The
 * loop that consumes the queue is the {@link Carrier}; the protocols the two share are in the
 * engine overview ({@code package-info}).
 *
 * <p>Failure atomicity of the producer side: everything that can fail (the capacity check, the
 * claim of a queue slot, which may allocate a chunk) happens before the element is published, and
 * leaves nothing behind; after the publication nothing throws, because a caller that saw an
 * exception would take the element for refused while the carrier runs it (and the JDK retries a
 * continuation whose {@code execute} threw an {@code OutOfMemoryError}: it would run twice).
 */
final class Lane implements Executor {

    private final int cpu;
    private final String name;
    private final Lanes group;
    /** The most entries user tasks may find queued; 0 for unbounded. Continuations are never refused. */
    private final long capacity;
    /** How long a thread waiting for one of this lane's futures spins first: the idle spin, at most 100 µs. */
    private final long waitSpinNanos;

    final LaneQueue queue = new LaneQueue();
    final CarrierParking parking = new CarrierParking();
    /** Written by the carrier only: see CarrierCounters. */
    final CarrierCounters counters = new CarrierCounters();
    final LaneThreads threads = new LaneThreads(this);
    /** The lane's timers: the heap is the carrier's (see LaneTimers). */
    final LaneTimers timers = new LaneTimers(this);
    /** The lane's sockets and, once one waits, the selector its carrier polls: see LaneIo. */
    final LaneIo io = new LaneIo(this);
    private final LateCarrier late = new LateCarrier(this);
    private final Carrier carrier;

    /** User tasks accepted: counted before publication, so no snapshot shows more finished than accepted. */
    private final LongAdder submitted = new LongAdder();
    private final AtomicLong replacements = new AtomicLong();
    private final AtomicLong stalls = new AtomicLong();
    private final AtomicLong longestStallNanos = new AtomicLong();
    /** Why the lane accepts no more user work after its carrier failed for good, or null. */
    private volatile RejectedExecutionException failure;
    /** Set by the carrier as it leaves, for good. */
    private volatile boolean terminated;

    Lane(int cpu, String name, Lanes group, long spinNanos, long capacity) {
        this.cpu = cpu;
        this.name = name;
        this.group = group;
        this.capacity = capacity;
        this.waitSpinNanos = Math.min(spinNanos, 100_000);
        this.carrier = new Carrier(this, spinNanos);
    }

    int cpu() {
        return cpu;
    }

    String name() {
        return name;
    }

    Lanes group() {
        return group;
    }

    Carrier carrier() {
        return carrier;
    }

    long waitSpinNanos() {
        return waitSpinNanos;
    }

    // ---------------------------------------------------------------- producers

    /**
     * Queues a user task.
     *
     * @return false if the lane no longer accepts tasks (its queue is closed)
     * @throws RejectedExecutionException if the lane failed, or has a capacity and that many entries
     *     wait already; nothing was queued
     */
    boolean offer(LaneTask task) {
        RejectedExecutionException failed = failure;
        if (failed != null) {
            throw new RejectedExecutionException(failed.getMessage(), failed.getCause());
        }
        if (capacity > 0) {
            checkCapacity();
        }
        submitted.increment();
        boolean queued;
        try {
            queued = queue.offer(task);
        } catch (Throwable t) {
            submitted.decrement(); // nothing was claimed: see LaneQueue
            throw t;
        }
        if (!queued) {
            submitted.decrement();
            return false;
        }
        wakeAfterPublication();
        return true;
    }

    /**
     * Queues a timer for the carrier, which moves it to its heap (see LaneTimers). Not counted as a
     * user task, and never refused for capacity: its run is the carrier's, at its deadline.
     *
     * @return false if the lane no longer accepts work (its queue is closed)
     * @throws RejectedExecutionException if the lane failed; nothing was queued
     */
    boolean offerTimer(LaneTimer<?> timer) {
        RejectedExecutionException failed = failure;
        if (failed != null) {
            throw new RejectedExecutionException(failed.getMessage(), failed.getCause());
        }
        if (capacity > 0 && timer.owner.handsBack()) {
            checkCapacity(); // a view's timer is user work; a lane-local sleep is a wake-up, never refused
        }
        if (!queue.offer(timer)) {
            return false;
        }
        wakeAfterPublication();
        return true;
    }

    private void checkCapacity() {
        long queued = queue.size();
        if (queued >= capacity) {
            String reason = "the queue of cpu " + cpu + " is full: " + queued + " entries wait (capacity "
                    + capacity + "); the lane is overloaded or stuck (see stats(" + cpu + ") and the stall reports)";
            LaneEvents.rejection(cpu, reason);
            throw new RejectedExecutionException(reason);
        }
    }

    /**
     * The scheduler side: runs a virtual thread's continuation on this lane. Never blocks; throws
     * only before anything was queued (see the class notes); after the lane closed, a late carrier
     * runs it.
     */
    @Override
    public void execute(Runnable continuation) {
        if (queue.offer(continuation)) {
            wakeAfterPublication();
        } else {
            late.execute(continuation);
        }
    }

    /**
     * Wakes the carrier if it is parked. Called after a publication, so it must not throw: a failure
     * here (a stack overflow in the call to {@code unpark}) is absorbed, and the carrier's park
     * backstop (CarrierParking) wakes it within a second.
     */
    private void wakeAfterPublication() {
        try {
            if (Faults.ENABLED) {
                Faults.at(Faults.Point.PUBLISHED);
            }
            parking.wakeIfParked();
        } catch (Throwable t) {
            // See above: the element is queued, and throwing would refuse it in the caller's eyes.
        }
    }

    /** Wakes the carrier if it is parked: news from the group (a state change, the last thread gone). */
    void wake() {
        parking.wakeIfParked();
    }

    // ---------------------------------------------------------------- carrier-side hooks

    /** Whether {@code thread} is this lane's carrier now. */
    boolean isCarrier(Thread thread) {
        return carrier.thread() == thread;
    }

    /** The error for the carrier waiting for a task of its own lane. */
    IllegalStateException waitsForItself() {
        return new IllegalStateException("a task on cpu " + cpu + "'s lane waits for a task of the same lane, "
                + "which cannot start until this one returns: it would wait for ever. Wait in a core-affine "
                + "virtual thread instead (go(" + cpu + ", ...): it parks and frees the carrier), compose with "
                + "thenApply/thenCompose, or submit to another lane");
    }

    /** Reports a failure of an {@code execute} task, a continuation or the carrier itself. */
    void report(Thread thread, Throwable failure) {
        group.report(this, thread, failure);
    }

    /**
     * The carrier failed for good (its loop failed and no new carrier could start): from now on the
     * lane rejects user work with {@code reason}, and its carrier fails the user tasks it still
     * finds queued; it goes on running continuations until its tracked threads end.
     */
    void failClosed(RejectedExecutionException reason) {
        failure = reason; // first: from here on producers are refused, whatever the reports do
        try {
            LaneEvents.rejection(cpu, reason.getMessage());
            group.warnOnce("failed-" + cpu, reason.getMessage());
        } catch (Throwable t) {
            // The lane has failed closed; a report that fails changes nothing.
        }
        report(Thread.currentThread(), reason); // never throws
    }

    RejectedExecutionException failure() {
        return failure;
    }

    void markTerminated() {
        terminated = true;
    }

    boolean isTerminated() {
        return terminated;
    }

    void countReplacement() {
        replacements.incrementAndGet();
    }

    /**
     * Takes back the queued user tasks and the live timers that {@code owner} accepted (any owner if
     * null); internal timers (lane-local sleeps) are cancelled but not handed back.
     */
    void takeBack(TaskOwner owner, String reason, List<Runnable> into) {
        queue.takeEach(e -> {
            if (e instanceof LaneTask t && (owner == null || t.owner() == owner) && t.claimToHandBack()) {
                Runnable r = t.handBack(reason);
                if (r != null) {
                    into.add(r);
                }
            }
        });
        timers.takeBack(owner, reason, into);
    }

    /**
     * Interrupts the user task running on the carrier now, if {@code owner} accepted it (any owner
     * if null), and only while it runs: the task's own CAS decides (see LaneTask).
     */
    void interruptRunningTask(TaskOwner owner) {
        if (counters.runningVolatile() instanceof LaneTask task && (owner == null || task.owner() == owner)) {
            Thread thread = carrier.thread();
            if (thread != null) {
                task.interruptIfRunning(thread);
            }
        }
    }

    // ---------------------------------------------------------------- pinning

    /** Pins the calling platform thread to this lane's CPU: null on success, else why not. */
    String pinCurrentThread() {
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

    /** A fallback platform thread of {@code go} (no JDK hook) pins itself, saying once if it cannot. */
    void pinFallbackThread() {
        String problem = pinCurrentThread();
        if (problem != null) {
            group.warnOnce("fallback-pin-" + cpu, "a thread for cpu " + cpu + " runs unpinned: " + problem);
        }
    }

    /**
     * Gives the calling thread (a carrier of this lane) a kernel name that tells lanes apart:
     * Linux keeps 15 bytes of a thread's name, so {@code coremanager-cpu-12} and
     * {@code coremanager-cpu-13} both show as {@code coremanager-cpu} in {@code top -H}, {@code ps -L}
     * and {@code /proc}; the kernel name is {@code cm-cpu-12} (plus {@code suffix}) while the Java
     * name, which thread dumps show, stays the long one. Best effort: where it cannot be set, the
     * kernel keeps the truncated Java name.
     */
    void nameKernelThread(String suffix) {
        if (!Affinity.isSupported()) {
            return;
        }
        try {
            Affinity.setCurrentThreadKernelName("cm-cpu-" + cpu + suffix);
        } catch (RuntimeException e) {
            // See above: only the OS tools show less.
        }
    }

    /** A late carrier pins itself, if the group pins at all. */
    void pinLateCarrier() {
        if (group.pins()) {
            pinCurrentThread();
        }
    }

    /**
     * Whether the carrier is pinned to exactly this lane's CPU now, asked of the kernel
     * ({@code sched_getaffinity} of the carrier's thread id): a system call.
     */
    boolean pinnedNow() {
        CpuSet mask = carrierMask();
        return mask != null && mask.equals(CpuSet.of(cpu));
    }

    /** The carrier's affinity mask now, or null where it cannot be known (no affinity, carrier gone). */
    CpuSet carrierMask() {
        int tid = carrier.tid();
        if (tid == 0 || !Affinity.isSupported() || terminated) {
            return null;
        }
        try {
            return Affinity.getOfThread(tid);
        } catch (RuntimeException e) {
            return null; // the carrier has exited
        }
    }

    // ---------------------------------------------------------------- statistics

    long submitted() {
        return submitted.sum();
    }

    long queued() {
        return queue.size();
    }

    /**
     * The watchdog saw this lane stalled for {@code nanos} so far; {@code newStall} the first time
     * for this stall.
     */
    void recordStall(long nanos, boolean newStall) {
        if (newStall) {
            stalls.incrementAndGet();
        }
        longestStallNanos.accumulateAndGet(nanos, Math::max);
    }

    long stalls() {
        return stalls.get();
    }

    long longestStallNanos() {
        return longestStallNanos.get();
    }

    long carrierReplacements() {
        return replacements.get();
    }

    @Override
    public String toString() {
        return name;
    }
}
