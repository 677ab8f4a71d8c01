package io.coremanager.cli;

import io.coremanager.CoreAffineThreads;
import io.coremanager.CpuQuotaDecision;
import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import io.coremanager.isolation.JvmThread;
import io.coremanager.isolation.JvmThreads;
import io.coremanager.isolation.ThreadKind;
import io.coremanager.reservation.CpuReservations;
import io.coremanager.topology.CoreKind;
import io.coremanager.topology.CpuTopology;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code coremanager check}: is this machine and JVM set up for pinned work? Each finding says what to do. */
@Command(name = "check", mixinStandardHelpOptions = true,
        header = "Check this JVM and machine for pinned work; each finding says what to do.",
        description = {"Checks the JDK, native access, the virtual-thread hook, affinity, the allowed CPUs against "
            + "the cgroup quota, SMT siblings, isolated CPUs, timer slack, frequency governors and the reservation "
            + "folder.",
            "With --cpus or --pid it also lists which threads of a JVM may run on those CPUs (by default, a running "
            + "manager's lane CPUs: those of its carriers, cm-cpu-N or coremanager-cpu-N pinned to one CPU).",
            "Exit code 0 when nothing needs attention, 1 when a warning was printed."})
final class CheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--cpus", paramLabel = "LIST", converter = CpuSetConverter.class,
            description = "List the threads of the JVM that may run on these CPUs.")
    CpuSet cpus;

    @Option(names = "--pid", paramLabel = "PID",
            description = "The JVM to look at (default: this one); without --cpus, its lane carriers' CPUs.")
    Long pid;

    enum Level { OK, INFO, WARN }

    record Finding(Level level, String what, String advice) {
    }

    @Override
    public Integer call() {
        List<Finding> findings = new ArrayList<>(findings(CpuTopology.current()));
        if (cpus != null || pid != null) {
            findings.addAll(threadsOnCpus(pid, cpus));
        }
        PrintWriter out = spec.commandLine().getOut();
        for (Finding f : findings) {
            out.printf("%-4s %s%n", f.level(), f.what());
            if (f.advice() != null) {
                out.println("     -> " + f.advice());
            }
        }
        long warnings = findings.stream().filter(f -> f.level() == Level.WARN).count();
        out.println(warnings == 0 ? "no warnings" : warnings + (warnings == 1 ? " warning" : " warnings"));
        out.flush();
        return warnings == 0 ? 0 : 1;
    }

    static List<Finding> findings(CpuTopology topology) {
        List<Finding> f = new ArrayList<>();
        jdk(f);
        nativeAccess(f);
        virtualThreads(f);
        affinity(f);
        budget(f, topology);
        smt(f, topology);
        isolation(f, topology);
        hybrid(f, topology);
        timerSlack(f);
        governors(f, topology);
        reservations(f);
        for (String warning : topology.warnings()) {
            f.add(new Finding(Level.WARN, "topology: " + warning, "the topology degraded around it; placements may be less precise"));
        }
        return f;
    }

    /**
     * Which threads of a JVM (this one, or {@code pid}) may run on {@code cpus} (by default its lane
     * carriers' CPUs): one finding per CPU, a warning where threads other than the CPU's carrier may.
     */
    static List<Finding> threadsOnCpus(Long pid, CpuSet cpus) {
        if (pid == null && !JvmThreads.isSupported()) {
            throw new Main.UsageException("--cpus: cannot list this JVM's threads: "
                    + JvmThreads.unsupportedReason().orElse("?"));
        }
        List<JvmThread> threads;
        try {
            threads = pid == null ? JvmThreads.snapshot() : JvmThreads.snapshotOf(pid);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("--pid " + pid + ": no such process here");
        }
        String who = pid == null ? "this JVM" : "pid " + pid;
        CpuSet chosen = cpus;
        if (chosen == null) {
            CpuSet.Builder lanes = CpuSet.builder();
            threads.stream().filter(t -> t.kind() == ThreadKind.LANE_CARRIER && t.allowedCpus().size() == 1)
                    .forEach(t -> lanes.addAll(t.allowedCpus()));
            chosen = lanes.build();
            if (chosen.isEmpty()) {
                return List.of(new Finding(Level.INFO, who + " has no lane carriers (cm-cpu-N, coremanager-cpu-N pinned "
                        + "to one cpu); name the cpus with --cpus", null));
            }
        }
        List<Finding> f = new ArrayList<>();
        for (int cpu : chosen.toArray()) {
            List<JvmThread> there = threads.stream().filter(t -> t.allowedCpus().contains(cpu)).toList();
            List<JvmThread> others = there.stream().filter(t -> !(t.kind() == ThreadKind.LANE_CARRIER
                    && t.allowedCpus().size() == 1)).toList();
            TreeMap<ThreadKind, List<String>> byKind = new TreeMap<>();
            others.forEach(t -> byKind.computeIfAbsent(t.kind(), k -> new ArrayList<>()).add(t.tid() + " " + t.name()));
            String listed = byKind.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                    .collect(java.util.stream.Collectors.joining("; "));
            f.add(others.isEmpty()
                    ? new Finding(Level.OK, "cpu " + cpu + ": no thread of " + who + " but its lane may run there", null)
                    : new Finding(Level.WARN, "cpu " + cpu + ": " + others.size() + " of " + threads.size() + " threads of "
                            + who + " may run there: " + listed,
                            "build the manager with isolate(true) to keep them off its lanes (coremanager jitter "
                            + "--isolate shows the difference)"));
        }
        return f;
    }

    private static void jdk(List<Finding> f) {
        Runtime.Version v = Runtime.version();
        f.add(v.feature() >= 25
                ? new Finding(Level.OK, "java " + v + " (" + System.getProperty("java.vm.vendor") + ")", null)
                : new Finding(Level.WARN, "java " + v + " is older than 25", "install a JDK 25 or newer"));
    }

    private static void nativeAccess(List<Finding> f) {
        // The module that makes the downcalls: io.coremanager on the module path, where the CLI is a
        // module of its own; on the class path both are the unnamed module.
        boolean enabled = Affinity.class.getModule().isNativeAccessEnabled();
        f.add(enabled ? new Finding(Level.OK, "native access is enabled for CoreManager's module", null)
                : new Finding(Level.WARN, "native access is not enabled: JDK 25 warns on the first affinity call, "
                        + "and --illegal-native-access=deny makes affinity unavailable",
                        "add --enable-native-access=ALL-UNNAMED (or =io.coremanager on the module path)"));
    }

    private static void virtualThreads(List<Finding> f) {
        f.add(CoreAffineThreads.isSupported()
                ? new Finding(Level.OK, "core-affine virtual threads are available", null)
                : new Finding(Level.WARN, "core-affine virtual threads are unavailable: go() will use pinned platform threads",
                        "add --add-opens java.base/java.lang=ALL-UNNAMED (or =io.coremanager)"));
    }

    private static void affinity(List<Finding> f) {
        if (!Affinity.isSupported()) {
            f.add(new Finding(Level.WARN, "cpu affinity is unsupported: " + Affinity.unsupportedReason().orElse("?"),
                    "lanes will run unpinned; run on Linux (x86-64 or aarch64) for pinning"));
            return;
        }
        f.add(new Finding(Level.OK, "cpu affinity works (sched_getaffinity, sched_setaffinity, sched_getcpu): "
                + "this thread runs on cpu " + Affinity.currentCpu() + ", may use cpus " + Affinity.get(), null));
    }

    private static void budget(List<Finding> f, CpuTopology t) {
        CpuSet allowed = t.allowedCpus();
        f.add(new Finding(Level.OK, "this process may use cpus " + allowed + " (" + allowed.size() + " of "
                + t.onlineCpus().size() + " online)", null));
        CpuQuotaDecision decision = CpuQuotaDecision.forDefaultPlacement(t);
        switch (decision.outcome()) {
            case SIZED_TO_QUOTA -> f.add(new Finding(Level.INFO, "CoreManager.create(): " + decision.describe(),
                    String.format(Locale.ROOT, "a placement or explicit cpus of more than %d lanes get throttled "
                            + "together when busy; raise the quota to use every allowed cpu", decision.lanes())));
            case QUOTA_COVERS_LANES -> f.add(new Finding(Level.OK, "CoreManager.create(): " + decision.describe(), null));
            default -> { } // no quota: nothing to say
        }
    }

    private static void smt(List<Finding> f, CpuTopology t) {
        List<CpuSet> shared = new ArrayList<>();
        for (CpuSet core : t.cores()) {
            CpuSet usable = core.intersect(t.usableCpus());
            if (usable.size() > 1) {
                shared.add(usable);
            }
        }
        if (!shared.isEmpty()) {
            f.add(new Finding(Level.INFO, shared.size() + " cores offer more than one usable SMT sibling (e.g. cpus "
                    + shared.getFirst() + "): lanes on siblings share one core's execution units and caches",
                    "use Placement.onePerCore() for one lane per physical core"));
        }
    }

    private static void isolation(List<Finding> f, CpuTopology t) {
        CpuSet isolated = t.isolatedCpus();
        f.add(isolated.isEmpty()
                ? new Finding(Level.INFO, "no cpu is isolated", "for the least jitter, set aside cores with isolcpus= and "
                        + "nohz_full= on the kernel command line and manage them with includeIsolated(true)")
                : new Finding(Level.INFO, "cpus " + isolated + " are isolated (isolcpus/nohz_full)",
                        "CoreManager skips them unless the builder says includeIsolated(true): the place for busySpin lanes"));
        CpuSet offline = t.allCpus().minus(t.onlineCpus());
        if (!offline.isEmpty()) {
            f.add(new Finding(Level.INFO, "cpus " + offline + " are offline", null));
        }
    }

    private static void hybrid(List<Finding> f, CpuTopology t) {
        if (t.isHybrid()) {
            f.add(new Finding(Level.INFO, "hybrid cpu: performance cpus " + t.cpusWhere(c -> c.kind() == CoreKind.PERFORMANCE)
                    + ", efficiency cpus " + t.cpusWhere(c -> c.kind() == CoreKind.EFFICIENCY),
                    "use Placement.performanceCores() for latency-critical lanes"));
        }
    }

    private static void timerSlack(List<Finding> f) {
        Path file = Path.of("/proc/self/timerslack_ns");
        try {
            long nanos = Long.parseLong(Files.readString(file).strip());
            if (nanos > 1_000) {
                f.add(new Finding(Level.INFO, "timer slack is " + nanos / 1000 + " µs: timed parks and sleeps (a parked "
                        + "carrier's timeouts, sleep in a virtual thread) may wake that much late",
                        "for latency-critical processes lower it (prctl PR_SET_TIMERSLACK, or run under a real-time policy); "
                                + "spinning idle strategies avoid timed waits altogether"));
            } else {
                f.add(new Finding(Level.OK, "timer slack is " + nanos + " ns", null));
            }
        } catch (Exception e) {
            // not Linux, or an old kernel: nothing to say
        }
    }

    private static void governors(List<Finding> f, CpuTopology t) {
        TreeMap<String, CpuSet> byGovernor = new TreeMap<>();
        for (int cpu : t.allowedCpus().toArray()) {
            Path file = Path.of("/sys/devices/system/cpu/cpu" + cpu + "/cpufreq/scaling_governor");
            try {
                String governor = Files.readString(file).strip();
                byGovernor.merge(governor, CpuSet.of(cpu), CpuSet::union);
            } catch (Exception e) {
                // no cpufreq (virtual machines, often)
            }
        }
        byGovernor.forEach((governor, cpus) -> f.add(governor.equals("performance")
                ? new Finding(Level.OK, "cpus " + cpus + " use the performance frequency governor", null)
                : new Finding(Level.INFO, "cpus " + cpus + " use the " + governor + " frequency governor: an idle core "
                        + "slows down, and the first hand-offs after a pause are slower",
                        "for steady latency set the performance governor (cpupower frequency-set -g performance)")));
    }

    private static void reservations(List<Finding> f) {
        try {
            CpuReservations folder = CpuReservations.defaultFolder();
            long held = folder.list().stream().filter(i -> i.held()).count();
            f.add(new Finding(Level.OK, "cpu reservations: folder " + folder.folder() + " (" + held + " held)", null));
        } catch (RuntimeException e) {
            f.add(new Finding(Level.WARN, "cpu reservations: " + e.getMessage(),
                    "fix the folder, or give CpuReservations.privateFolder(dir) a folder of your own"));
        }
    }
}
