package io.coremanager.cli;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.IdleStrategy;
import io.coremanager.bench.harness.Contender;
import io.coremanager.bench.harness.Contenders;
import io.coremanager.bench.harness.IdleCost;
import io.coremanager.bench.harness.LaneProducers;
import io.coremanager.bench.harness.Pinned;
import io.coremanager.bench.harness.Rate;
import io.coremanager.bench.harness.Sampler;
import io.coremanager.bench.harness.Stats;
import io.coremanager.bench.harness.Throughput;
import io.coremanager.bench.harness.TimerLateness;
import io.coremanager.bench.harness.VirtualThreadBench;
import io.coremanager.cli.bench.CoreToCore;
import io.coremanager.topology.CpuTopology;
import io.coremanager.topology.MeasuredTopology;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * {@code coremanager bench}: a quick, side-by-side measurement of CoreManager against a pinned
 * {@code ThreadPoolExecutor}, a pinned {@code ForkJoinPool}, default virtual threads and the floor
 * (two pinned threads bouncing one cache line). The JMH suite in the {@code bench} module is the
 * thorough version, and adds OpenHFT's affinity library.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        subcommands = BenchCommand.CoreToCoreCommand.class,
        header = "Measure hand-offs side by side: CoreManager against the JDK's executors and the floor.",
        description = {"Measures, in one run: round trip, throughput (1 -> 1, n-1 -> 1, all to all, lanes as "
            + "producers), virtual threads (start+join, ping-pong), idle cost and timer lateness, for CoreManager (each idle "
            + "strategy), a pinned ThreadPoolExecutor, a pinned ForkJoinPool, default virtual threads and the floor "
            + "(two pinned threads bouncing one cache line). Prints the median and p99 and the ratios to CoreManager "
            + "and to the floor. The JMH suite (module bench) is the thorough version and adds OpenHFT."})
final class BenchCommand implements Callable<Integer> {

    private static final List<String> SECTIONS = List.of("roundtrip", "throughput", "vthreads", "idle", "timers");

    @Spec
    CommandSpec spec;

    @Option(names = "--warmup-ms", paramLabel = "MS", defaultValue = "200", description = "Warm-up per measurement (default: ${DEFAULT-VALUE}).")
    long warmupMillis;

    @Option(names = "--measure-ms", paramLabel = "MS", defaultValue = "700", description = "Measurement per contender (default: ${DEFAULT-VALUE}).")
    long measureMillis;

    @Option(names = "--caller", paramLabel = "CPU", description = "CPU of the calling thread (default: the first usable CPU).")
    Integer callerCpu;

    @Option(names = "--target", paramLabel = "CPU", description = "CPU the work goes to (default: the last usable CPU).")
    Integer targetCpu;

    @Option(names = "--only", split = ",", paramLabel = "SECTION",
            description = "Run only these sections: roundtrip, throughput, vthreads, idle, timers.")
    List<String> only;

    private ProgressBar bar;
    private int measurementsDone;
    private int measurements;

    @Override
    public Integer call() throws Exception {
        Set<String> sections = Set.copyOf(only == null ? SECTIONS : only);
        if (!SECTIONS.containsAll(sections)) {
            throw new Main.UsageException("--only: " + only + " (expected some of " + SECTIONS + ")");
        }
        if (warmupMillis < 0 || measureMillis < 10) {
            throw new Main.UsageException("--warmup-ms must be 0 or more and --measure-ms 10 or more");
        }
        CpuTopology topology = CpuTopology.current();
        CpuSet usable = topology.usableCpus();
        int caller = callerCpu != null ? callerCpu : usable.first();
        int target = targetCpu != null ? targetCpu : usable.last();
        for (int cpu : new int[] {caller, target}) {
            if (!usable.contains(cpu)) {
                throw new Main.UsageException("cpu " + cpu + " is not usable here (usable cpus: " + usable + ")");
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("CoreManager bench: caller cpu %d, target cpu %d, %d usable cpus (%s); %d ms per contender after %d ms warm-up%n",
                caller, target, usable.size(), usable, measureMillis, warmupMillis);
        out.println(topology.summary());
        out.flush();
        bar = new ProgressBar(spec.commandLine().getErr());
        measurements = countMeasurements(sections, usable);
        try {
            if (sections.contains("roundtrip")) {
                roundTrip(out, caller, target);
            }
            if (sections.contains("throughput")) {
                throughput(out, caller, target, usable);
            }
            if (sections.contains("vthreads")) {
                virtualThreads(out, caller, target);
            }
            if (sections.contains("idle")) {
                idleCost(out, usable);
            }
            if (sections.contains("timers")) {
                timerLateness(out, target);
            }
        } finally {
            bar.done();
        }
        return 0;
    }

    private int countMeasurements(Set<String> sections, CpuSet usable) {
        int n = 0;
        int contenders = Contenders.ALL.size();
        n += sections.contains("roundtrip") ? contenders : 0;
        n += sections.contains("throughput") ? contenders * (usable.size() > 2 ? 3 : 2) + 2 : 0;
        n += sections.contains("vthreads") ? 4 : 0;
        n += sections.contains("idle") ? 3 : 0;
        n += sections.contains("timers") ? 4 : 0;
        return n;
    }

    private Sampler.Progress progress(String label) {
        int base = measurementsDone;
        return f -> bar.show((base + f) / measurements, label);
    }

    private void finished() {
        measurementsDone++;
    }

    // ---------------------------------------------------------------- sections

    private void roundTrip(PrintWriter out, int caller, int target) throws Exception {
        Map<String, Stats> results = new LinkedHashMap<>();
        for (String name : Contenders.ALL) {
            try (Contender contender = Contenders.create(name, target)) {
                results.put(name, Pinned.call(caller, () ->
                        Sampler.sample(contender::roundTrip, warmupMillis, measureMillis, progress("round trip: " + name))));
            }
            finished();
        }
        printLatency(out, "Round trip: from cpu " + caller + ", run a no-op on cpu " + target + " and wait for it", results);
    }

    private void throughput(PrintWriter out, int caller, int target, CpuSet usable) throws Exception {
        printRates(out, "Throughput, 1 producer (cpu " + caller + ") -> 1 consumer (cpu " + target + ")",
                rates(new int[] {target}, new int[] {caller}, "1->1", true));
        if (usable.size() > 2) {
            int[] producers = usable.without(target).toArray();
            printRates(out, "Throughput, " + producers.length + " producers -> 1 consumer (cpu " + target + ")",
                    rates(new int[] {target}, producers, "n-1->1", false));
        }
        int[] all = usable.toArray();
        printRates(out, "Throughput, all to all: a producer on each of " + all.length
                + " cpus sends to every other cpu's consumer", rates(all, all, "all->all", false));
        lanesAsProducers(out, caller, target, all);
    }

    /** CoreManager only: the producers are core-affine virtual threads on the lanes themselves. */
    private void lanesAsProducers(PrintWriter out, int caller, int target, int[] all) throws Exception {
        Map<String, Rate> results = new LinkedHashMap<>();
        try (CoreManager cores = Contenders.manager(CpuSet.of(all), IdleStrategy.spinThenPark())) {
            results.put("1 lane (cpu " + caller + ") -> 1 lane (cpu " + target + ")", LaneProducers.run(cores,
                    new int[] {caller}, new int[] {target}, warmupMillis, measureMillis, progress("lanes as producers: 1->1")));
            finished();
            results.put("every lane -> every other lane (" + all.length + ")", LaneProducers.run(cores, all, all,
                    warmupMillis, measureMillis, progress("lanes as producers: all->all")));
            finished();
        }
        out.println();
        out.println("Throughput, CoreManager only, the lanes themselves producing (a core-affine virtual thread per lane)");
        out.printf("  %-36s %12s %12s %14s%n", "scenario", "median", "p1 (slow)", "÷ first row");
        Rate first = results.values().iterator().next();
        for (Map.Entry<String, Rate> e : results.entrySet()) {
            Rate r = e.getValue();
            out.printf("  %-36s %12s %12s %13.2fx%n", e.getKey(), Rate.format(r.median()), Rate.format(r.p1()),
                    r.median() / first.median());
        }
        out.flush();
    }

    /** {@code floorAllowed}: the floor's ring has a single producer and a single consumer. */
    private Map<String, Rate> rates(int[] targets, int[] producers, String label, boolean floorAllowed) throws Exception {
        Map<String, Rate> results = new LinkedHashMap<>();
        for (String name : Contenders.ALL) {
            if (name.equals(Contenders.FLOOR) && !(floorAllowed && producers.length == 1 && targets.length == 1)) {
                finished();
                continue;
            }
            Contender[] contenders = new Contender[targets.length];
            try {
                for (int t = 0; t < targets.length; t++) {
                    contenders[t] = Contenders.create(name, targets[t]);
                }
                results.put(name, Throughput.run(contenders, targets, producers, warmupMillis, measureMillis,
                        progress("throughput " + label + ": " + name)));
            } finally {
                for (Contender c : contenders) {
                    if (c != null) {
                        c.close();
                    }
                }
            }
            finished();
        }
        return results;
    }

    private void virtualThreads(PrintWriter out, int caller, int target) throws Exception {
        Map<String, Stats> start = new LinkedHashMap<>();
        Map<String, Stats> pingPong = new LinkedHashMap<>();
        try (CoreManager cores = Contenders.manager(CpuSet.of(target), IdleStrategy.spinThenPark())) {
            start.put("coremanager go(): core-affine", Pinned.call(caller, () ->
                    VirtualThreadBench.startJoin(cores, target, warmupMillis, measureMillis, progress("start+join: core-affine"))));
            finished();
            pingPong.put("coremanager: both on one lane", VirtualThreadBench.pingPong(cores, target, warmupMillis,
                    measureMillis, progress("ping-pong: core-affine")));
            finished();
        }
        start.put("virtual-threads: default scheduler", Pinned.call(caller, () ->
                VirtualThreadBench.startJoin(null, target, warmupMillis, measureMillis, progress("start+join: default"))));
        finished();
        pingPong.put("virtual-threads: default scheduler", VirtualThreadBench.pingPong(null, target, warmupMillis,
                measureMillis, progress("ping-pong: default")));
        finished();
        printLatency(out, "Virtual threads: start one and join it, from cpu " + caller, start);
        printLatency(out, "Virtual threads: two hand a turn back and forth (park/unpark), one exchange per op", pingPong);
    }

    private void idleCost(PrintWriter out, CpuSet usable) throws Exception {
        out.println();
        out.println("Idle cost: CPU time of an idle manager of " + usable.size() + " lanes, per lane, in % of one CPU");
        for (IdleStrategy idle : List.of(IdleStrategy.park(), IdleStrategy.spinThenPark(), IdleStrategy.busySpin())) {
            bar.show((double) measurementsDone / measurements, "idle: " + idle);
            double percent = IdleCost.percentPerLane(usable, idle, Math.max(500, measureMillis));
            out.printf("  %-24s %6.2f %%%n", idle, percent);
            finished();
        }
        out.flush();
    }

    /**
     * Timer lateness (fire time minus due time) of one-shot timers on an idle scheduler: the lane's
     * own timers ({@code scheduler(cpu)}, idle strategies park and spinThenPark) against a
     * {@code ScheduledThreadPoolExecutor} with one unpinned thread, and one whose thread is pinned to the
     * lane's CPU.
     */
    private void timerLateness(PrintWriter out, int target) throws Exception {
        int timers = (int) Math.max(100, Math.min(2_000, measureMillis * 2));
        long minDelayMicros = 200;
        Map<String, TimerLateness.Lateness> results = new LinkedHashMap<>();
        for (IdleStrategy idle : List.of(IdleStrategy.spinThenPark(), IdleStrategy.park())) {
            bar.show((double) measurementsDone / measurements, "timers: " + idle);
            try (CoreManager cores = Contenders.manager(CpuSet.of(target), idle)) {
                ScheduledExecutorService s = cores.scheduler(target);
                results.put("scheduler(" + target + "), " + idle, TimerLateness.measure(s, timers, minDelayMicros));
                s.shutdown();
            }
            finished();
        }
        bar.show((double) measurementsDone / measurements, "timers: ScheduledThreadPoolExecutor");
        ScheduledThreadPoolExecutor stpe = new ScheduledThreadPoolExecutor(1);
        try {
            results.put("ScheduledThreadPoolExecutor(1)", TimerLateness.measure(stpe, timers, minDelayMicros));
        } finally {
            stpe.shutdownNow();
        }
        finished();
        // The same JDK pool with its thread pinned to the lane's CPU: it separates what the lane's timer
        // path costs from what pinning costs (a pinned thread cannot move away from other load on its CPU).
        bar.show((double) measurementsDone / measurements, "timers: ScheduledThreadPoolExecutor, pinned");
        ScheduledThreadPoolExecutor pinned = new ScheduledThreadPoolExecutor(1, Pinned.factory(target, "stpe-pinned"));
        try {
            results.put("ScheduledThreadPoolExecutor(1), pinned to " + target,
                    TimerLateness.measure(pinned, timers, minDelayMicros));
        } finally {
            pinned.shutdownNow();
        }
        finished();
        out.println();
        out.println("Timer lateness: fire time minus due time, " + timers + " one-shot timers of " + minDelayMicros
                + "-" + 2 * minDelayMicros + " µs, one at a time (the scheduler idle when each comes due)");
        out.printf("  %-44s %10s %10s %10s %16s%n", "scheduler", "p50", "p99", "max", "p50, p99 ÷ STPE");
        TimerLateness.Lateness ref = results.get("ScheduledThreadPoolExecutor(1)");
        for (Map.Entry<String, TimerLateness.Lateness> e : results.entrySet()) {
            TimerLateness.Lateness l = e.getValue();
            out.printf("  %-44s %10s %10s %10s %7.2fx %7.2fx%n", e.getKey(), Stats.time(l.p50()), Stats.time(l.p99()),
                    Stats.time(l.max()), (double) l.p50() / ref.p50(), (double) l.p99() / ref.p99());
        }
        out.flush();
    }

    // ---------------------------------------------------------------- tables

    private void printLatency(PrintWriter out, String title, Map<String, Stats> results) {
        out.println();
        out.println(title);
        out.printf("  %-36s %10s %10s %14s %10s%n", "contender", "median", "p99", "÷ CoreManager", "÷ floor");
        Stats reference = results.getOrDefault(Contenders.COREMANAGER, results.values().iterator().next());
        Stats floor = results.get(Contenders.FLOOR);
        for (Map.Entry<String, Stats> e : results.entrySet()) {
            Stats s = e.getValue();
            out.printf("  %-36s %10s %10s %13.2fx %10s%n", e.getKey(), Stats.time(s.median()), Stats.time(s.p99()),
                    s.median() / reference.median(), floor == null ? "-" : String.format("%.2fx", s.median() / floor.median()));
        }
        out.flush();
    }

    private void printRates(PrintWriter out, String title, Map<String, Rate> results) {
        out.println();
        out.println(title);
        out.printf("  %-36s %12s %12s %14s %10s%n", "contender", "median", "p1 (slow)", "÷ CoreManager", "÷ floor");
        Rate reference = results.get(Contenders.COREMANAGER);
        Rate floor = results.get(Contenders.FLOOR);
        for (Map.Entry<String, Rate> e : results.entrySet()) {
            Rate r = e.getValue();
            out.printf("  %-36s %12s %12s %13.2fx %10s%n", e.getKey(), Rate.format(r.median()), Rate.format(r.p1()),
                    r.median() / reference.median(), floor == null ? "-" : String.format("%.2fx", r.median() / floor.median()));
        }
        out.flush();
    }

    /** {@code coremanager bench c2c}: the core-to-core latency matrix, as text and a heat map. */
    @Command(name = "c2c", mixinStandardHelpOptions = true,
            header = "Measure the core-to-core latency matrix of this machine.",
            description = {"For every pair of usable CPUs, two pinned threads bounce one cache line; prints the "
                + "median round trip and optionally writes a heat map. With --from, draws a matrix printed before."})
    static final class CoreToCoreCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--png", paramLabel = "FILE", description = "Also write the matrix as a PNG heat map.")
        Path png;

        @Option(names = "--cpus", paramLabel = "LIST", converter = CpuSetConverter.class,
                description = "CPUs to measure (default: every usable CPU).")
        CpuSet cpus;

        @Option(names = "--measure-ms", paramLabel = "MS", defaultValue = "100", description = "Measurement per pair (default: ${DEFAULT-VALUE}).")
        long measureMillis;

        @Option(names = "--from", paramLabel = "FILE",
                description = "Measure nothing: read a matrix this command printed (on another machine, say) and draw it.")
        Path from;

        @Override
        public Integer call() throws Exception {
            if (from != null) {
                return redraw();
            }
            CpuSet usable = CpuTopology.current().usableCpus();
            CpuSet chosen = cpus == null ? usable : cpus;
            if (!usable.containsAll(chosen) || chosen.size() < 2) {
                throw new Main.UsageException("--cpus " + chosen + ": expected two or more usable cpus (usable cpus: "
                        + usable + ")");
            }
            if (measureMillis < 1) {
                throw new Main.UsageException("--measure-ms " + measureMillis + ": expected 1 or more");
            }
            ProgressBar bar = new ProgressBar(spec.commandLine().getErr());
            MeasuredTopology matrix;
            try {
                matrix = CpuTopology.measure(chosen, Duration.ofMillis(measureMillis), f -> bar.show(f, "core to core"));
            } finally {
                bar.done();
            }
            PrintWriter out = spec.commandLine().getOut();
            out.print(matrix.table());
            if (png != null) {
                CoreToCore.of(matrix).writePng(png);
                out.println("heat map written to " + png);
            }
            out.flush();
            return 0;
        }

        private int redraw() throws java.io.IOException {
            if (png == null) {
                throw new Main.UsageException("--from needs --png FILE: the image to draw");
            }
            CoreToCore matrix;
            try {
                matrix = CoreToCore.of(MeasuredTopology.parse(java.nio.file.Files.readString(from), 2));
            } catch (java.nio.file.NoSuchFileException e) {
                throw new Main.UsageException("--from " + from + ": no such file");
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException("--from " + from + ": " + e.getMessage());
            }
            matrix.writePng(png);
            spec.commandLine().getOut().println("heat map written to " + png);
            return 0;
        }
    }

}
