package io.coremanager.engine;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 *
 * <p><b>Mesh.</b> A user task that another lane of the group hands over from its own code (see
 * {@link #offer}) goes through the {@link MeshPair} of that (source, destination) pair instead of
 * the queue. The source side of the pairs (the pairs it appended to and has not published yet,
 * its sections) is written by this lane's carrier thread only; the destination side (the inbound
 * pairs, {@link #meshOpen}) is read by the carrier and, for hand-back and statistics, by anyone.
 * The protocols are in the engine overview ("Mesh").
 */
final class Lane implements Executor {

    /**
     * Whether lane code hands tasks to other lanes through the mesh: {@code -Dio.coremanager.engine.mesh=false}
     * sends them through the destination's queue as any producer (for the before/after benchmarks).
     */
    static final boolean MESH = Boolean.parseBoolean(System.getProperty("io.coremanager.engine.mesh", "true"));

    private static final VarHandle MESH_PAIRS = MethodHandles.arrayElementVarHandle(MeshPair[].class);

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

    /** This lane's position in its group's list of lanes: the index of its pairs. */
    private int index;
    /** The carrier's side of the mesh (the pairs it sends through, its sections), on lines of its own. */
    private final MeshOutbox out = new MeshOutbox();
    /** The pairs other lanes send to this one through, by source index; set (release) by each source once. */
    private MeshPair[] inbound = new MeshPair[0];
    /** Whether other lanes may still hand tasks to this one through the mesh; cleared once, by the carrier. */
    private volatile boolean meshOpen = true;

    /** User tasks accepted: counted before publication, so no snapshot shows more finished than accepted. */
    private final LongAdder submitted = new LongAdder();
    private final AtomicLong replacements = new AtomicLong();
    private final AtomicLong stalls = new AtomicLong();
    private final AtomicLong longestStallNanos = new AtomicLong();
    /** Why the lane accepts no more user work after its carrier failed for good, or null. */
    private volatile RejectedExecutionException failure;
    /**
     * The cause of {@link #failure}, written before it and read after it: the refusals made from it
     * take the cause from here, because {@code Throwable.getCause()} is synchronized. Lane code that
     * blocked on that shared exception's monitor (a virtual thread unmounts there, and the JVM may
     * make it the monitor's successor) would leave the lane's own carrier blocked on the monitor
     * behind a thread only that carrier can run: a deadlock the fault-injection stress found.
     */
    private volatile Throwable failureCause;
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

    /** Sizes the mesh arrays once the group knows its lanes: called by the group before any carrier starts. */
    void meshInit(int index, int lanes) {
        this.index = index;
        out.pairs = new MeshPair[lanes];
        this.inbound = new MeshPair[lanes];
        out.dirty = new MeshPair[lanes];
        out.sectionSeen = new long[lanes];
        java.util.Arrays.fill(out.sectionSeen, -1);
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
            throw refusal(failed, "");
        }
        if (capacity > 0) {
            checkCapacity(); // a bounded lane takes its user tasks through its queue only, which it can count
        } else if (MESH && meshOpen) {
            MeshPair pair = pairFromCaller();
            if (pair != null) {
                pair.source.send(pair, task); // may throw: then nothing was appended
                return true;
            }
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
            throw refusal(failed, "");
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
    void wakeAfterPublication() {
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

    // ---------------------------------------------------------------- mesh: source side

    /**
     * The pair from the calling lane to this one, if the caller is the code of another lane of the
     * group (its carrier, or a virtual thread whose scheduler it is) running inside one of that
     * lane's sections; else null (the caller takes the queue). Makes the pair on first use: an
     * allocation, before anything is written.
     */
    private MeshPair pairFromCaller() {
        Thread t = Thread.currentThread();
        Lane source;
        if (t.isVirtual()) {
            source = VirtualThreadHook.schedulerOf(t) instanceof Lane l ? l : null;
        } else {
            source = Carrier.laneOfCurrentThread();
        }
        if (source == null || source == this || source.group != group || !source.inSection()) {
            return null;
        }
        MeshPair pair = source.out.pairs[index];
        if (pair == null) {
            pair = new MeshPair(source, this); // may throw: nothing done yet
            source.out.pairs[index] = pair;
            MESH_PAIRS.setRelease(inbound, source.index, pair); // before its first publication
        }
        return pair;
    }

    /** Whether this lane's carrier is in a section now (read by its own code). */
    boolean inSection() {
        return (out.section & 1) != 0;
    }

    /**
     * Appends {@code task} to {@code pair} (this lane is its source; the caller runs on this lane's
     * carrier): failure-atomic, and nothing throws once appended. Publishes when the pair's batch
     * is full or the destination is parked; otherwise the end of the element (or a wait for a
     * future, or the section's end) does: a running destination sees the element at once anyway.
     */
    private void send(MeshPair pair, LaneTask task) {
        pair.append(task); // may throw: nothing appended
        MeshOutbox o = out;
        try {
            if (!pair.listed) {
                pair.listed = true;
                o.dirty[o.dirtyCount++] = pair;
            }
            if (o.eager != 0 || pair.unpublished() >= MeshPair.PUBLISH_EVERY || pair.destination.parking.isParked()) {
                // A parked destination cannot see the element until published: wake it now, not at the
                // element's end (the sender may go on to block its carrier some other way).
                pair.publish();
            }
        } catch (Throwable t) {
            // Appended and listed (plain stores, before any call): the caller must not see a failure,
            // which would make it take the task for refused; the next flush publishes it.
        }
    }

    /** Whether this lane's code has appended elements it has not published: the carrier's check after each element. */
    boolean hasUnpublished() {
        return out.dirtyCount != 0;
    }

    /** Publishes every pair this lane's code appended to. Carrier thread only. */
    void flushMesh() {
        MeshOutbox o = out;
        while (o.dirtyCount > 0) {
            MeshPair pair = o.dirty[o.dirtyCount - 1];
            pair.publish(); // if it throws, the pair stays listed for the next flush
            o.dirty[--o.dirtyCount] = null;
            pair.listed = false;
        }
    }

    /**
     * The calling thread's lane, if it is lane code inside a section of a lane of any group, flushes
     * its mesh: lane code about to block its carrier (a wait for a future) must not hold back what it
     * handed over, or the wait could be for ever.
     */
    static void flushCallersMesh() {
        Thread t = Thread.currentThread();
        Lane lane = t.isVirtual() ? (VirtualThreadHook.schedulerOf(t) instanceof Lane l ? l : null)
                : Carrier.laneOfCurrentThread();
        if (lane != null && lane.inSection() && lane.hasUnpublished()) {
            lane.flushMesh();
        }
    }

    /**
     * The calling thread's lane, if it is lane code inside a section, publishes every mesh hand-off
     * at once from now until {@link #endEagerMesh}: for calls that hand tasks over and then wait in
     * a way no flush point sees ({@code invokeAny}). Returns that lane, or null.
     */
    static Lane eagerMeshOfCaller() {
        Thread t = Thread.currentThread();
        Lane lane = t.isVirtual() ? (VirtualThreadHook.schedulerOf(t) instanceof Lane l ? l : null)
                : Carrier.laneOfCurrentThread();
        if (lane == null) {
            return null;
        }
        lane.out.eager++;
        return lane;
    }

    static void endEagerMesh(Lane lane) {
        if (lane != null) {
            lane.out.eager--;
        }
    }

    /** The carrier enters a section: its code may append to the mesh from now on. */
    void enterSection() {
        out.section = out.section + 1; // a volatile write (one writer), before any read of a destination's meshOpen: see meshQuiet
    }

    /**
     * The carrier leaves its section: everything appended is published first (retried until it is:
     * a section must not end with unpublished elements, or a closing destination could miss them),
     * then the section's end is written, then closing lanes are woken so they re-check.
     */
    void exitSection() {
        while (true) {
            try {
                flushMesh();
                break;
            } catch (Throwable t) {
                // Retry: publish() has no failure of its own (see MeshPair); this is a stray error.
            }
        }
        out.section = out.section + 1;
        if (group.meshClosing()) {
            group.wakeLanesClosingMesh();
        }
    }

    // ---------------------------------------------------------------- mesh: destination side

    /** The inbound pair from the source at {@code i}, or null if that lane never sent here. */
    MeshPair inbound(int i) {
        return (MeshPair) MESH_PAIRS.getAcquire(inbound, i);
    }

    /** The number of pair slots: the group's lanes. */
    int meshWidth() {
        return inbound.length;
    }

    /** Whether any inbound pair holds a published element (a volatile read each). */
    boolean inboundPublished() {
        MeshPair[] in = inbound;
        for (int i = 0; i < in.length; i++) {
            MeshPair pair = (MeshPair) MESH_PAIRS.getAcquire(in, i);
            if (pair != null && pair.hasPublished()) {
                return true;
            }
        }
        return false;
    }

    boolean meshOpen() {
        return meshOpen;
    }

    /**
     * Closes the inbound mesh (once) and says whether it is quiet: no other lane can publish to it
     * any more, and no inbound pair holds anything. Carrier only; called when the lane may leave.
     * Protocol (Dekker, on volatile accesses): this carrier writes {@code meshOpen = false}, then reads
     * each source's section; a source writes its section (odd) on entering, then reads
     * {@code meshOpen} at each send. So a source seen between sections, or seen again after the
     * section it was in, sees the mesh closed from then on and takes the queue, and everything it
     * appended before was published when its section ended (before the section's write this
     * carrier read). A source's section end wakes closing lanes (see {@link #exitSection()}).
     */
    boolean meshQuiet() {
        if (meshOpen) {
            meshOpen = false;
            group.meshClosed();
        }
        List<Lane> all = group.lanes();
        for (int i = 0; i < all.size(); i++) {
            if (i == index) {
                continue;
            }
            long s = all.get(i).out.section;
            if ((s & 1) != 0) {
                if (out.sectionSeen[i] == -1) {
                    out.sectionSeen[i] = s; // in a section that may have read meshOpen before it closed
                    return false;
                }
                if (out.sectionSeen[i] == s) {
                    return false; // still that section
                }
            }
        }
        return !inboundPublished();
    }

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
        failureCause = reason.getCause(); // not shared yet: no one else can hold its monitor
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

    /**
     * A new refusal that says why the lane failed: {@code failed}'s message and cause, without calling
     * the synchronized {@code getCause()} of the shared failure (see {@link #failureCause}).
     *
     * @param failed the lane's failure, as read by the caller
     * @param prefix put before the failure's message ("" for none)
     * @return a new exception of the caller's own
     */
    RejectedExecutionException refusal(RejectedExecutionException failed, String prefix) {
        return new RejectedExecutionException(prefix + failed.getMessage(), failureCause);
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
        java.util.function.Consumer<Object> take = e -> {
            if (e instanceof LaneTask t && (owner == null || t.owner() == owner) && t.claimToHandBack()) {
                Runnable r = t.handBack(reason);
                if (r != null) {
                    into.add(r);
                }
            }
        };
        queue.takeEach(take);
        for (int i = 0; i < inbound.length; i++) {
            MeshPair pair = inbound(i);
            if (pair != null) {
                pair.takeEach(take); // published ones; those still unpublished reach the carrier, which claims first
            }
        }
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
        long n = submitted.sum();
        for (int i = 0; i < inbound.length; i++) {
            MeshPair pair = inbound(i);
            if (pair != null) {
                n += pair.appended(); // counted when appended, before the publication
            }
        }
        return n;
    }

    long queued() {
        long n = queue.size();
        for (int i = 0; i < inbound.length; i++) {
            MeshPair pair = inbound(i);
            if (pair != null) {
                n += pair.size();
            }
        }
        return n;
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
