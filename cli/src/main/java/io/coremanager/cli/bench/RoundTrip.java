package io.coremanager.cli.bench;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.IdleStrategy;
import io.coremanager.affinity.Affinity;
import io.coremanager.cli.bench.Jitter.Mode;
import io.coremanager.isolation.LaneIsolator;
import io.coremanager.topology.CpuTopology;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Lane round trips under the allocating load of {@link Jitter}: a {@link CoreManager} with a lane per
 * CPU, and one caller thread pinned to a CPU outside them that hands each lane in turn a task which
 * stores a sequence number, spins until it sees it, and records the elapsed {@link System#nanoTime()}
 * in the current mode's {@link LatencyHistogram}. With isolation the run alternates one-second rounds,
 * shared (every thread of the JVM may run on the lanes' CPUs) and isolated (a {@link LaneIsolator}
 * keeps all but the carriers and the caller off the lanes' CPUs and the caller's, sweeping every
 * 100 ms; off the lanes' alone where the caller's CPU is the last one the JVM has), so both modes
 * see the same machine, as in {@link Jitter}. A round trip that spans a switch of rounds is not recorded.
 *
 * <p>Optionally the caller spins (never sleeps) a pause between round trips; a pause longer than the
 * lanes' idle spin lets each carrier park, and each round trip then includes its wake-up. Each round
 * also adds up how long the caller and the carriers waited on a run queue ({@code schedstat}
 * run_delay). Whether a round trip overlaps a collection pause is not told: that would need every
 * sample's start and end kept, which the histogram exists to avoid; the collections are summed instead.
 *
 * <p>Threading: {@link #start}, {@link #run()} and {@link #close()} are called by one driver thread;
 * the caller thread records into the histogram the driver hands it through a volatile field, and the
 * driver reads the histograms after {@link #close()} has joined the caller.
 */
public final class RoundTrip implements AutoCloseable {

    /** What one mode's rounds saw. Its histogram is written by the caller thread; the rest by the driver. */
    public static final class Result {
        final Mode mode;
        final LatencyHistogram histogram = new LatencyHistogram();
        /** The caller's run_delay summed over this mode's rounds, ns. Driver only. */
        long callerRunDelayNanos;
        /** The carriers' run_delay, all lanes, summed over this mode's rounds, ns. Driver only. */
        long carriersRunDelayNanos;

        Result(Mode mode) {
            this.mode = mode;
        }
    }

    /**
     * The task a lane runs: it answers the caller's sequence number. Reused, one per lane: the caller
     * hands it over again only after it has seen the previous answer.
     */
    private static final class Probe implements Runnable {
        private static final VarHandle ANSWER;

        static {
            try {
                ANSWER = MethodHandles.lookup().findVarHandle(Probe.class, "answer", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** The number to answer. Plain: written by the caller before the hand-off, which publishes it. */
        long question;
        /** The last number answered: release-stored by the carrier, acquire-read by the caller. */
        @SuppressWarnings("unused") // through ANSWER
        private long answer;

        @Override
        public void run() {
            ANSWER.setRelease(this, question); // the only store: release is enough for the caller's acquire
        }

        long lvAnswer() {
            return (long) ANSWER.getAcquire(this);
        }
    }

    /** The caller thread's loop: round trips back to back, to each lane in turn. */
    private final class Caller implements Runnable {
        /** The histogram of the current round, null between rounds. Written by the driver, read by the caller. */
        volatile LatencyHistogram current;
        volatile boolean running = true;
        volatile int tid;
        volatile Throwable failure;
        final CountDownLatch ready = new CountDownLatch(1);

        @Override
        public void run() {
            try {
                Affinity.pin(callerCpu);
                Affinity.setCurrentThreadKernelName("cm-jitter-rt");
                tid = Affinity.currentThreadId();
            } catch (RuntimeException e) {
                failure = e;
                return;
            } finally {
                ready.countDown();
            }
            try {
                loop();
            } catch (RuntimeException e) {
                failure = e;
            } catch (Error e) {
                failure = e;
                throw e;
            }
        }

        private void loop() {
            long pauseNanos = RoundTrip.this.pauseNanos;
            long sequence = 0;
            int lane = 0;
            while (running) {
                Probe probe = probes[lane];
                int cpu = laneCpus[lane];
                lane = lane + 1 == probes.length ? 0 : lane + 1;
                LatencyHistogram h = current;
                probe.question = ++sequence;
                long start = System.nanoTime();
                cores.execute(cpu, probe);
                while (probe.lvAnswer() != sequence) {
                    if (!running) {
                        return; // the lane may be stuck: close() must not wait for it
                    }
                    Thread.onSpinWait();
                }
                long end = System.nanoTime();
                if (h != null && h == current) { // not across a switch of rounds
                    h.record(end - start);
                }
                while (pauseNanos > 0 && System.nanoTime() - end < pauseNanos) {
                    Thread.onSpinWait(); // spin, not sleep: the timer slack of a sleep would dwarf short pauses
                }
            }
        }
    }

    private final CpuSet cpus;
    /**
     * What isolation keeps the JVM's other threads off: the lanes' CPUs and the caller's, so that both
     * ends of a round trip have their CPU to themselves, as a requester that is itself a lane or a
     * pinned thread would; the lanes' CPUs alone when the caller's CPU is the last one left to the JVM.
     */
    private final CpuSet isolatedCpus;
    private final int[] laneCpus;
    private final int callerCpu;
    private final int seconds;
    private final long pauseNanos;
    private final boolean isolate;
    private final int loadThreads;
    private final CoreManager cores;
    private final Probe[] probes;
    /** The carriers' and the caller's kernel tids: what the isolator leaves alone. */
    private final Set<Integer> ownTids = ConcurrentHashMap.newKeySet();
    private final Caller caller = new Caller();
    private final Thread callerThread;
    private Jitter.GcPauses gcPauses;
    private boolean closed;

    private RoundTrip(CpuSet cpus, int callerCpu, int seconds, long pauseMicros, boolean isolate, int loadThreads) {
        this.cpus = cpus;
        CpuSet both = cpus.with(callerCpu);
        this.isolatedCpus = CpuTopology.current().allowedCpus().minus(both).isEmpty() ? cpus : both;
        this.laneCpus = cpus.toArray();
        this.callerCpu = callerCpu;
        this.seconds = seconds;
        this.pauseNanos = TimeUnit.MICROSECONDS.toNanos(pauseMicros);
        this.isolate = isolate;
        this.loadThreads = loadThreads;
        this.probes = new Probe[laneCpus.length];
        for (int i = 0; i < probes.length; i++) {
            probes[i] = new Probe();
        }
        this.cores = CoreManager.builder().cpus(cpus).requirePinning(true).build();
        this.callerThread = Thread.ofPlatform().name("jitter-caller-" + callerCpu).daemon(true).unstarted(caller);
    }

    /**
     * Builds the lanes (default idle strategy, pinning required), learns their carriers' tids, and
     * starts the caller, which runs round trips unrecorded until {@link #run()}.
     *
     * @param cpus the CPUs of the lanes
     * @param callerCpu the caller's CPU, not one of {@code cpus}
     * @param seconds seconds per mode
     * @param pauseMicros the caller's spin between two round trips, µs (0 for none)
     * @param isolate whether to compare with the JVM's other threads kept off the lanes' CPUs
     * @param loadThreads allocating background threads (0 for none)
     * @return the started measurement; the caller closes it
     * @throws IllegalArgumentException if {@code callerCpu} is one of {@code cpus}, or a lane cannot
     *     be built there (the message says why)
     * @throws IllegalStateException if a carrier or the caller cannot be pinned
     * @throws InterruptedException if interrupted while waiting for the lanes or the caller
     */
    public static RoundTrip start(CpuSet cpus, int callerCpu, int seconds, long pauseMicros, boolean isolate,
                                  int loadThreads) throws InterruptedException {
        if (cpus.contains(callerCpu)) {
            throw new IllegalArgumentException("callerCpu: " + callerCpu + " (expected: a cpu outside the lanes' "
                    + cpus + ")");
        }
        RoundTrip rt = new RoundTrip(cpus, callerCpu, seconds, pauseMicros, isolate, loadThreads);
        try {
            rt.startCaller();
        } catch (RuntimeException | InterruptedException e) {
            rt.close();
            throw e;
        }
        return rt;
    }

    private void startCaller() throws InterruptedException {
        for (int cpu : laneCpus) {
            ownTids.add(cores.submit(cpu, Affinity::currentThreadId).join());
        }
        callerThread.start();
        caller.ready.await();
        if (caller.failure != null) {
            throw new IllegalStateException("cannot pin the caller to cpu " + callerCpu + ": "
                    + caller.failure.getMessage(), caller.failure);
        }
        ownTids.add(caller.tid);
    }

    /**
     * The CPUs isolation keeps the JVM's other threads off: the lanes' and the caller's, or the lanes'
     * alone when the caller's CPU is the only one left to the rest of the JVM.
     *
     * @return the CPUs kept clear in the isolated rounds
     */
    public CpuSet isolatedCpus() {
        return isolatedCpus;
    }

    /**
     * The lanes' idle strategy.
     *
     * @return the strategy
     */
    public IdleStrategy idleStrategy() {
        return cores.idleStrategy();
    }

    /**
     * Runs the rounds, once: {@code seconds} per mode, alternating one-second rounds, under the load;
     * then closes this.
     *
     * @param safepoints where to mark each round's time for its mode, or null
     * @return one result per mode, shared first
     * @throws IllegalStateException if a round trip failed (a lane refused the task)
     * @throws InterruptedException if interrupted
     */
    public List<Result> run(SafepointWatch safepoints) throws InterruptedException {
        List<Result> results = new ArrayList<>();
        for (Mode m : isolate ? Mode.values() : new Mode[] {Mode.SHARED}) {
            results.add(new Result(m));
        }
        gcPauses = new Jitter.GcPauses();
        Jitter.Load load = new Jitter.Load(loadThreads);
        try {
            Thread.sleep(300); // warm-up: the loops compiled, the load running
            for (int round = 0; round < seconds; round++) {
                for (Result r : results) {
                    runRound(r, safepoints);
                    checkCaller();
                }
            }
        } finally {
            load.stop();
            close();
            gcPauses.close();
        }
        checkCaller();
        return results;
    }

    private void runRound(Result into, SafepointWatch safepoints) throws InterruptedException {
        LaneIsolator isolator = into.mode == Mode.ISOLATED
                ? LaneIsolator.start(isolatedCpus, ownTids::contains, Duration.ofMillis(100), true) : null;
        try {
            long callerBefore = Jitter.schedCounters(caller.tid)[0];
            long carriersBefore = carriersRunDelay();
            java.time.Instant from = java.time.Instant.now();
            caller.current = into.histogram;
            Thread.sleep(1000);
            caller.current = null;
            if (safepoints != null) {
                safepoints.mark(into.mode, from);
            }
            into.callerRunDelayNanos += Jitter.schedCounters(caller.tid)[0] - callerBefore;
            into.carriersRunDelayNanos += carriersRunDelay() - carriersBefore;
        } finally {
            if (isolator != null) {
                isolator.close();
            }
        }
    }

    private long carriersRunDelay() {
        long sum = 0;
        for (int tid : ownTids) {
            if (tid != caller.tid) {
                sum += Jitter.schedCounters(tid)[0];
            }
        }
        return sum;
    }

    private void checkCaller() {
        Throwable f = caller.failure;
        if (f != null) {
            throw new IllegalStateException("a round trip failed: " + f, f);
        }
    }

    /**
     * The collections' pauses seen during {@link #run()}.
     *
     * @return the pauses; null before {@link #run()}
     */
    public Jitter.GcPauses gcPauses() {
        return gcPauses;
    }

    /**
     * Stops the caller, waits for it, and closes the lanes. Idempotent.
     *
     * @throws IllegalStateException if interrupted while waiting for the caller (the flag is restored)
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        caller.running = false;
        try {
            if (callerThread.getState() != Thread.State.NEW) {
                callerThread.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the round-trip caller", e);
        } finally {
            cores.close();
        }
    }

    // ---------------------------------------------------------------- report

    /**
     * The table: one line per mode, the round trips' percentiles in microseconds and the run-queue
     * waits; then the collections during the run.
     *
     * @param results what {@link #run()} returned
     * @param pauses the collections' pauses during the run ({@link #gcPauses()})
     * @return the table
     */
    public static String table(List<Result> results, Jitter.GcPauses pauses) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%-8s %12s %9s %9s %9s %9s %9s %10s %15s %17s%n", "mode", "round trips", "p50 us", "p90", "p99",
                "p99.9", "p99.99", "max us", "caller runq ms", "carriers runq ms"));
        for (Result r : results) {
            LatencyHistogram h = r.histogram;
            out.append(String.format(Locale.ROOT, "%-8s %12d %9s %9s %9s %9s %9s %10s %15.3f %17.3f%n",
                    r.mode.name().toLowerCase(Locale.ROOT), h.count(), us(h.percentile(0.50)),
                    us(h.percentile(0.90)), us(h.percentile(0.99)), us(h.percentile(0.999)),
                    us(h.percentile(0.9999)), us(h.max()), r.callerRunDelayNanos / 1e6,
                    r.carriersRunDelayNanos / 1e6));
        }
        out.append("garbage collection during the run: ").append(pauses.summary())
                .append(" (round trips are not split by collection pause: the histograms keep no timestamps)\n");
        return out.toString();
    }

    private static String us(long nanos) {
        return nanos < 0 ? "-" : String.format(Locale.ROOT, "%.2f", nanos / 1e3);
    }
}
