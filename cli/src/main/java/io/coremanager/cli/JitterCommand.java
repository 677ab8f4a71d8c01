package io.coremanager.cli;

import io.coremanager.CpuSet;
import io.coremanager.cli.bench.Jitter;
import io.coremanager.cli.bench.RoundTrip;
import io.coremanager.cli.bench.SafepointWatch;
import io.coremanager.isolation.JvmThreads;
import io.coremanager.topology.CpuTopology;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code coremanager jitter}: how much of a CPU is taken from a pinned spinning thread, or with
 * {@code --round-trip} how long a lane round trip takes, with and without isolation.
 */
@Command(name = "jitter", mixinStandardHelpOptions = true,
        header = "Measure CPU jitter: the gaps a pinned spinning thread sees (or, with --round-trip, lane round trips), "
            + "with and without the JVM's threads kept off.",
        description = {"A pinned thread per CPU spins reading the clock and records every gap above the threshold "
            + "(like sysjitter): per CPU the gaps counted, the time stolen, and the gap distribution.",
            "Allocating background threads keep the garbage collector busy. With --isolate the run alternates "
            + "one-second rounds with every JVM thread allowed on the CPUs (shared) and with them kept off (isolated), "
            + "N seconds each, so both see the same machine.",
            "With --round-trip there are no samplers: one lane per CPU (default idle strategy) and a caller thread "
            + "pinned to the first allowed CPU outside them hand each lane in turn a task and spin until it answers; "
            + "per mode the round trips' p50 to max and the caller's and carriers' run-queue wait. --pause-us makes "
            + "the caller spin between round trips; a pause longer than the lanes' idle spin lets the carriers park, "
            + "and each round trip then includes a wake-up. With --isolate the caller's CPU is kept clear too, "
            + "unless it is the last CPU left to the JVM.",
            "--safepoints adds what JFR says of each safepoint, by mode: the time until every Java thread stopped "
            + "and the operation done there (a collection's pause); both stop the lanes too, wherever they run."})
final class JitterCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--cpus", paramLabel = "LIST", converter = CpuSetConverter.class,
            description = "CPUs to sample, or with --round-trip the lanes' CPUs (default: every allowed CPU but "
                    + "the first).")
    CpuSet cpus;

    @Option(names = "--seconds", paramLabel = "N", defaultValue = "10",
            description = "Seconds of sampling per mode (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--threshold-ns", paramLabel = "N", defaultValue = "1000",
            description = "Smallest gap recorded, in nanoseconds (default: ${DEFAULT-VALUE}; "
                    + "not used with --round-trip).")
    long thresholdNanos;

    @Option(names = "--png", paramLabel = "FILE",
            description = "Also draw the gap histograms as a PNG (not with --round-trip: nothing is drawn).")
    Path png;

    @Option(names = "--isolate", description = "Compare with the JVM's other threads kept off the CPUs, side by side.")
    boolean isolate;

    @Option(names = "--load-threads", paramLabel = "N",
            description = "Allocating background threads (default: one per allowed CPU; 0 for none).")
    Integer loadThreads;

    @Option(names = "--round-trip",
            description = "Measure lane round trips from a caller on another CPU instead of spinning samplers.")
    boolean roundTrip;

    @Option(names = "--safepoints",
            description = "Also record through JFR how long each safepoint took to reach (every Java thread stopped), "
                    + "by mode: with the JVM's threads squeezed onto fewer CPUs, they may take longer to stop.")
    boolean watchSafepoints;

    @Option(names = "--pause-us", paramLabel = "N", defaultValue = "0",
            description = "With --round-trip: microseconds the caller spins between round trips "
                    + "(default: ${DEFAULT-VALUE}).")
    long pauseMicros;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (!JvmThreads.isSupported()) {
            throw new Main.UsageException("jitter needs cpu affinity: " + JvmThreads.unsupportedReason().orElse("?"));
        }
        CpuSet allowed = CpuTopology.current().allowedCpus();
        CpuSet chosen = cpus != null ? cpus : allowed.size() > 1 ? allowed.minus(CpuSet.of(allowed.first())) : allowed;
        check(chosen, allowed);
        int load = loadThreads != null ? loadThreads : allowed.size();
        PrintWriter out = spec.commandLine().getOut();
        if (roundTrip) {
            return roundTrips(chosen, allowed, load, out);
        }
        out.printf("jitter on cpus %s: %d s per mode, gaps over %d ns, %d allocating threads%s%n", chosen, seconds,
                thresholdNanos, load, isolate ? ", shared and isolated in alternating 1-s rounds" : "");
        out.flush();
        Jitter jitter = new Jitter(chosen, seconds, thresholdNanos, isolate, load);
        try (SafepointWatch safepoints = watchSafepoints ? new SafepointWatch() : null) {
            List<Jitter.Recorder> recorders = jitter.run(safepoints);
            out.print(Jitter.table(recorders, thresholdNanos, jitter.gcPauses()));
            printSafepoints(safepoints, out);
            if (png != null) {
                Jitter.writePng(recorders, thresholdNanos, png);
                out.println("histograms written to " + png + " (red: shared, green: isolated)");
            }
        }
        out.flush();
        return 0;
    }

    /** The safepoint table, by mode, if it was asked for. */
    private void printSafepoints(SafepointWatch safepoints, PrintWriter out) {
        if (safepoints != null) {
            out.print(safepoints.table(isolate ? List.of(Jitter.Mode.values()) : List.of(Jitter.Mode.SHARED)));
        }
    }

    private int roundTrips(CpuSet chosen, CpuSet allowed, int load, PrintWriter out) throws InterruptedException {
        int callerCpu = allowed.minus(chosen).first();
        try (RoundTrip rt = RoundTrip.start(chosen, callerCpu, seconds, pauseMicros, isolate, load)) {
            out.printf("jitter --round-trip to lanes on cpus %s (idle strategy %s) from a caller on cpu %d: %d s per "
                    + "mode, %d us pause between round trips, %d allocating threads%s%n", chosen, rt.idleStrategy(),
                    callerCpu, seconds, pauseMicros, load,
                    isolate ? ", shared and isolated (cpus " + rt.isolatedCpus() + " kept clear) in alternating 1-s rounds"
                            : "");
            out.flush();
            try (SafepointWatch safepoints = watchSafepoints ? new SafepointWatch() : null) {
                List<RoundTrip.Result> results = rt.run(safepoints);
                out.print(RoundTrip.table(results, rt.gcPauses()));
                printSafepoints(safepoints, out);
            }
        }
        if (png != null) {
            out.println("--png: round trips are not drawn; " + png + " not written");
        }
        out.flush();
        return 0;
    }

    private void check(CpuSet chosen, CpuSet allowed) {
        if (seconds < 1 || seconds > 3600) {
            throw new Main.UsageException("--seconds: " + seconds + " (expected: 1 to 3600)");
        }
        if (thresholdNanos < 1 || thresholdNanos > 1_000_000_000L) {
            throw new Main.UsageException("--threshold-ns: " + thresholdNanos + " (expected: 1 to 1000000000)");
        }
        if (loadThreads != null && (loadThreads < 0 || loadThreads > 1024)) {
            throw new Main.UsageException("--load-threads: " + loadThreads + " (expected: 0 to 1024)");
        }
        if (chosen.isEmpty() || !allowed.containsAll(chosen)) {
            throw new Main.UsageException("--cpus " + chosen + ": expected cpus this process may use (allowed cpus: "
                    + allowed + ")");
        }
        if (pauseMicros < 0 || pauseMicros > 1_000_000) {
            throw new Main.UsageException("--pause-us: " + pauseMicros + " (expected: 0 to 1000000)");
        }
        if (pauseMicros != 0 && !roundTrip) {
            throw new Main.UsageException("--pause-us: " + pauseMicros + " (expected: only with --round-trip)");
        }
        if (roundTrip && allowed.minus(chosen).isEmpty()) {
            throw new Main.UsageException("--round-trip: cpus " + chosen + " cover every cpu this process may use ("
                    + allowed + "); leave at least one for the caller");
        }
        if (isolate && allowed.minus(chosen).isEmpty()) {
            throw new Main.UsageException("--isolate: cpus " + chosen + " cover every cpu this process may use ("
                    + allowed + "); leave at least one for the JVM's other threads");
        }
    }
}
