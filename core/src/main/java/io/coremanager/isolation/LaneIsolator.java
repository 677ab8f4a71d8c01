package io.coremanager.isolation;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import io.coremanager.affinity.AffinityException;
import io.coremanager.topology.CpuTopology;

import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

/**
 * Keeps every other thread of the JVM off a set of lane CPUs for as long as it runs, and puts the
 * masks it changed back when closed.
 *
 * <pre>{@code
 * try (LaneIsolator isolator = LaneIsolator.start(CpuSet.of(3), tid -> tid == carrierTid,
 *         LaneIsolator.DEFAULT_INTERVAL, false)) {
 *     ... // nothing of this JVM but the carrier runs on cpu 3
 *     System.out.println(isolator.lastSweep());
 * }
 * }</pre>
 *
 * <h2>What it moves</h2>
 * Every thread whose mask intersects the lane CPUs goes to its mask minus the lane CPUs. Left alone:
 * the manager's own threads ({@code isManagersOwnTid}); threads whose masks do not touch the lane
 * CPUs (a {@code PinnedThreadFactory} thread pinned elsewhere). A thread pinned only onto lane CPUs,
 * on purpose by someone, is not moved: it competes with the lane, and the sweep reports it
 * ({@link KeepOffReport.Reason#PINNED_ONTO_CPUS}; logged once per thread, except for threads with a
 * lane carrier's default kernel name, {@code coremanager-cp…} or {@code cm-cpu-…}: the manager's own
 * pinned platform threads, such as {@code go()}'s fallback without {@code --add-opens}, whose tids the
 * manager does not track). No thread is ever left with an empty mask.
 *
 * <h2>When it sweeps</h2>
 * Threads keep appearing (G1 starts workers on demand, C2 compiler threads come and go, libraries
 * start pools; a new thread inherits its creator's mask, so most are born off the lanes already), so
 * it sweeps: once in {@link #start}, on the caller's thread, before it returns; then every
 * {@code interval} on its own daemon thread ({@code cm-isolator}, kept off the lane CPUs itself);
 * and right after each garbage collection (a {@code GarbageCollectorMXBean} notification). A sweep
 * lists {@code /proc/self/task} and makes one {@code sched_getaffinity} call per thread; it reads
 * names only of the threads it moves or reports. Measured: 150 µs a sweep for 18 threads (8 µs a
 * thread) on a 2-vCPU KVM guest under a load average of 9; at the default interval of
 * {@value #DEFAULT_INTERVAL_MILLIS} ms that is about 0.015% of one CPU, on a CPU off the lanes.
 *
 * <h2>When it cannot</h2>
 * Where affinity is unsupported, or the lane CPUs cover every CPU the process may use (there is
 * nowhere to move threads to), it does nothing, says so once in the log ({@code io.coremanager}) and
 * in {@link #inactiveReason()}, or, under {@code strict}, {@link #start} throws.
 *
 * <h2>Closing</h2>
 * {@link #close()} stops sweeping and restores, for each thread it moved that still exists (the same
 * tid with the same start time), the mask the thread had before, unless someone has changed the mask
 * since (then the newer choice stands). Idempotent.
 *
 * <p>Thread-safe. Sweeps are serialised by the isolator's lock; {@link #lastSweep()} is a volatile
 * read of the latest report.
 */
public final class LaneIsolator implements AutoCloseable {

    /** The default interval between two periodic sweeps, in milliseconds. */
    public static final long DEFAULT_INTERVAL_MILLIS = 1000;

    /** The default interval between two periodic sweeps: {@value #DEFAULT_INTERVAL_MILLIS} ms. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(DEFAULT_INTERVAL_MILLIS);

    private static final System.Logger LOG = System.getLogger("io.coremanager");
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();
    private static final Path TASKS = Path.of("/proc/self/task");

    /** A mask this isolator changed: what it was, what it was set to, and which thread (tid + start time). */
    private record Change(long startTime, CpuSet before, CpuSet setTo) {
    }

    private final CpuSet laneCpus;
    private final CpuSet elsewhere;
    private final IntPredicate managersOwn;
    private final long intervalNanos;
    private final String inactiveReason;
    /** Wakes the sweeper early: a GC notification or close. */
    private final Semaphore wake = new Semaphore(0);
    /** Guards changes, closed and the sweeps themselves. */
    private final Object lock = new Object();
    /** Guarded by lock. */
    private final Map<Integer, Change> changes = new HashMap<>();
    /** Guarded by lock. */
    private boolean closed;
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final NotificationListener onGc = (notification, handback) -> wake.release();
    /** Written by the sweeping thread, read by anyone. */
    private volatile KeepOffReport lastSweep;
    private volatile long sweeps;
    private volatile Thread sweeper;
    /** Tids already reported as competitors or refusals: each is logged once. Guarded by lock. */
    private final Set<Integer> reported = new java.util.HashSet<>();

    private LaneIsolator(CpuSet laneCpus, CpuSet elsewhere, IntPredicate managersOwn, long intervalNanos,
                         String inactiveReason) {
        this.laneCpus = laneCpus;
        this.elsewhere = elsewhere;
        this.managersOwn = managersOwn;
        this.intervalNanos = intervalNanos;
        this.inactiveReason = inactiveReason;
    }

    /**
     * Starts keeping the JVM's threads off {@code laneCpus}: sweeps once before returning, then every
     * {@code interval} and after each garbage collection, until closed.
     *
     * @param laneCpus the lanes' CPUs
     * @param isManagersOwnTid which Linux thread ids are the manager's own (carriers): never moved
     * @param interval the time between two periodic sweeps; at least one millisecond
     * @param strict whether to throw, rather than log once and do nothing, where isolation is impossible
     * @return the running isolator, or an inactive one ({@link #isActive()} false) that says why
     * @throws IllegalArgumentException if {@code laneCpus} is empty or {@code interval} is under 1 ms
     * @throws IllegalStateException under {@code strict}, if affinity is unsupported here or the lane
     *     CPUs cover every CPU the process may use
     */
    public static LaneIsolator start(CpuSet laneCpus, IntPredicate isManagersOwnTid, Duration interval,
                                     boolean strict) {
        Objects.requireNonNull(laneCpus, "laneCpus");
        Objects.requireNonNull(isManagersOwnTid, "isManagersOwnTid");
        Objects.requireNonNull(interval, "interval");
        if (laneCpus.isEmpty()) {
            throw new IllegalArgumentException("laneCpus: empty set (expected: the cpus of the lanes to isolate)");
        }
        if (interval.compareTo(Duration.ofMillis(1)) < 0) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: 1 ms or more)");
        }
        String reason = null;
        CpuSet elsewhere = CpuSet.empty();
        if (!JvmThreads.isSupported()) {
            reason = "lane isolation is unavailable: " + JvmThreads.unsupportedReason().orElse("?");
        } else {
            CpuSet allowed = CpuTopology.current().allowedCpus();
            elsewhere = allowed.minus(laneCpus);
            if (elsewhere.isEmpty()) {
                reason = "lane isolation is impossible: the lanes' cpus " + laneCpus
                        + " cover every cpu this process may use (" + allowed
                        + "); leave at least one cpu without a lane for the JVM's own threads";
            }
        }
        if (reason != null) {
            if (strict) {
                throw new IllegalStateException(reason + " (strict isolation is set)");
            }
            if (WARNED.add(reason)) {
                LOG.log(System.Logger.Level.WARNING, reason);
            }
            return new LaneIsolator(laneCpus, elsewhere, isManagersOwnTid, interval.toNanos(), reason);
        }
        LaneIsolator isolator = new LaneIsolator(laneCpus, elsewhere, isManagersOwnTid, interval.toNanos(), null);
        isolator.sweepNow();
        isolator.listenToGc();
        isolator.sweeper = Thread.ofPlatform().name("cm-isolator").daemon(true).start(isolator::run);
        return isolator;
    }

    /**
     * Sweeps now, on the calling thread.
     *
     * @return what the sweep did; an empty report when inactive or closed
     */
    public KeepOffReport sweepNow() {
        synchronized (lock) {
            if (closed || inactiveReason != null) {
                return new KeepOffReport(laneCpus, 0, List.of(), List.of(), List.of());
            }
            KeepOffReport report = JvmThreads.sweep(laneCpus, managersOwn, elsewhere, false, this::recordChange);
            reportOnce(report);
            lastSweep = report;
            sweeps++;
            return report;
        }
    }

    /**
     * The last sweep's report.
     *
     * @return the report, or empty before the first sweep and when inactive
     */
    public Optional<KeepOffReport> lastSweep() {
        return Optional.ofNullable(lastSweep);
    }

    /**
     * How many sweeps have run.
     *
     * @return the count
     */
    public long sweeps() {
        return sweeps;
    }

    /**
     * Whether this isolator is keeping threads off the lanes (false where it could not start).
     *
     * @return true while it works
     */
    public boolean isActive() {
        synchronized (lock) {
            return inactiveReason == null && !closed;
        }
    }

    /**
     * Why this isolator does nothing, when it could not start.
     *
     * @return the reason, or empty if it started
     */
    public Optional<String> inactiveReason() {
        return Optional.ofNullable(inactiveReason);
    }

    /**
     * The CPUs kept free of the JVM's other threads.
     *
     * @return the lane CPUs
     */
    public CpuSet laneCpus() {
        return laneCpus;
    }

    /**
     * Stops sweeping and restores the masks it changed, for threads that still exist and whose masks
     * nobody changed since. Idempotent; waits for a sweep in progress to end.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (NotificationEmitter emitter : emitters) {
            try {
                emitter.removeNotificationListener(onGc);
            } catch (ListenerNotFoundException e) {
                // never added to this one
            }
        }
        wake.release();
        Thread t = sweeper;
        if (t != null && t != Thread.currentThread()) {
            boolean interrupted = false;
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (lock) {
            restore();
        }
    }

    @Override
    public String toString() {
        return "LaneIsolator[cpus " + laneCpus + (inactiveReason != null ? ", inactive: " + inactiveReason
                : ", " + sweeps + " sweeps, " + (closed ? "closed" : "active")) + "]";
    }

    // ---------------------------------------------------------------- internals

    private void run() {
        try {
            Affinity.set(elsewhere); // the sweeper is one of the threads kept off the lanes
        } catch (RuntimeException e) {
            // the first sweep moves it, or reports why not
        }
        while (true) {
            try {
                wake.tryAcquire(intervalNanos, TimeUnit.NANOSECONDS);
                wake.drainPermits(); // several collections in a row: one sweep
            } catch (InterruptedException e) {
                // only close() ends the sweeper
            }
            synchronized (lock) {
                if (closed) {
                    return;
                }
            }
            try {
                sweepNow();
            } catch (RuntimeException e) {
                if (WARNED.add("sweep-failed")) {
                    LOG.log(System.Logger.Level.WARNING, "a lane isolation sweep failed; sweeping goes on", e);
                }
            }
        }
    }

    private void listenToGc() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(onGc, null, null);
                emitters.add(emitter);
            }
        }
    }

    /** Called by the sweep, under lock, before it moves {@code tid}. */
    private void recordChange(int tid, CpuSet before) {
        long start = startTime(tid);
        Change known = changes.get(tid);
        if (known != null && known.startTime() == start) {
            // moved again (someone widened its mask since): the original mask is still the one to restore
            changes.put(tid, new Change(start, known.before(), before.minus(laneCpus)));
            return;
        }
        CpuSet target = before.minus(laneCpus);
        changes.put(tid, new Change(start, before, target.isEmpty() ? elsewhere : target));
    }

    private void restore() {
        int restored = 0;
        List<String> problems = new ArrayList<>();
        for (Map.Entry<Integer, Change> e : changes.entrySet()) {
            int tid = e.getKey();
            Change c = e.getValue();
            if (startTime(tid) != c.startTime()) {
                continue; // ended, or its tid belongs to another thread now
            }
            try {
                if (Affinity.getOfThread(tid).equals(c.setTo())) {
                    Affinity.setOfThread(tid, c.before());
                    restored++;
                }
            } catch (AffinityException ex) {
                if (!"ESRCH".equals(ex.errnoName())) {
                    problems.add(tid + ": " + ex.errnoName());
                }
            }
        }
        changes.clear();
        LOG.log(System.Logger.Level.DEBUG, () -> "lane isolation of cpus " + laneCpus + " closed");
        if (!problems.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "lane isolation of cpus " + laneCpus
                    + ": could not restore the masks of threads " + String.join(", ", problems));
        }
        lastRestored = restored;
    }

    /** How many masks the last close restored; for tests and the log. Guarded by lock. */
    private int lastRestored;

    /**
     * How many thread masks {@link #close()} put back.
     *
     * @return the count; 0 before close
     */
    public int restoredOnClose() {
        synchronized (lock) {
            return lastRestored;
        }
    }

    private void reportOnce(KeepOffReport report) {
        for (KeepOffReport.Skipped s : report.skipped()) {
            if (s.reason() == KeepOffReport.Reason.PINNED_ONTO_CPUS && !JvmThreads.hasCarrierName(s.name())
                    && reported.add(s.tid())) {
                LOG.log(System.Logger.Level.WARNING, "thread " + s.tid() + " (" + s.name() + ") is pinned onto lane cpus "
                        + s.mask() + ": it competes with the lanes there; lane isolation leaves it where it is");
            }
        }
        for (KeepOffReport.Failed f : report.failed()) {
            if (reported.add(f.tid())) {
                LOG.log(System.Logger.Level.WARNING, "lane isolation could not move thread " + f.tid() + " ("
                        + f.name() + ") off cpus " + laneCpus + ": " + f.message());
            }
        }
    }

    private static long startTime(int tid) {
        JvmThreads.ProcTask task = JvmThreads.ProcTask.read(TASKS.resolve(Integer.toString(tid)));
        return task == null ? -2 : task.startTime();
    }
}
