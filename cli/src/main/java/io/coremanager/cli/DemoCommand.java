package io.coremanager.cli;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.LaneStats;
import io.coremanager.affinity.Affinity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code coremanager demo}: the promise, shown. On every managed CPU: run-to-completion tasks and
 * core-affine virtual threads that block in every way, the CPU checked after every step; then the
 * same virtual-thread workload on the JDK's default scheduler, for contrast.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        header = "Show that work stays on its CPU, and that default virtual threads do not.",
        description = {"Runs tasks and core-affine virtual threads on every managed CPU, checking the CPU "
            + "(sched_getcpu) after every sleep, park, yield, contended lock, socket and file read; then runs the "
            + "same virtual threads on the JDK's default scheduler and counts their CPU changes.",
            "Exits 1 if any core-affine work was ever seen off its CPU."})
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--cpus", paramLabel = "LIST", converter = CpuSetConverter.class,
            description = "CPUs to manage, e.g. 0-3,8 (default: every usable CPU).")
    CpuSet cpus;

    @Option(names = "--tasks", paramLabel = "N", defaultValue = "20000",
            description = "Run-to-completion tasks per CPU (default: ${DEFAULT-VALUE}).")
    int tasks;

    @Option(names = "--vthreads", paramLabel = "N", defaultValue = "8",
            description = "Core-affine virtual threads per CPU (default: ${DEFAULT-VALUE}).")
    int vthreads;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "40",
            description = "Rounds of the blocking workload per virtual thread (default: ${DEFAULT-VALUE}).")
    int rounds;

    /** Per-CPU results. */
    private static final class Row {
        final AtomicLong tasks = new AtomicLong();
        final AtomicLong taskOff = new AtomicLong();
        final List<DemoWorkload.Seen> threads = new ArrayList<>();
        long nanos;
    }

    @Override
    public Integer call() throws Exception {
        if (tasks < 0 || vthreads < 0 || rounds < 1) {
            throw new Main.UsageException("--tasks and --vthreads must be 0 or more and --rounds 1 or more");
        }
        PrintWriter out = spec.commandLine().getOut();
        CoreManager.Builder builder = CoreManager.builder();
        if (cpus != null) {
            builder.cpus(cpus);
        }
        CoreManager cores;
        try {
            cores = builder.build();
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        out.printf("CoreManager demo: %d cpus (%s); per cpu %d tasks and %d core-affine virtual threads x %d rounds%n",
                cores.cpus().size(), cores.cpus(), tasks, vthreads, rounds);
        warnAboutSetup(out, cores);
        out.flush();
        long totalUnits = (long) cores.cpus().size() * (tasks + (long) vthreads * rounds) + (long) cores.cpus().size() * vthreads * rounds;
        Progress progress = new Progress(spec.commandLine().getErr(), totalUnits);
        ConcurrentHashMap<Integer, Row> rows = new ConcurrentHashMap<>();
        DemoWorkload.Seen[] contrast;
        try (DemoWorkload workload = new DemoWorkload()) {
            runCoreAffine(cores, workload, rows, progress);
            cores.close();
            contrast = runDefaultScheduler(workload, cores.cpus().size() * vthreads, progress);
        } finally {
            cores.close();
            progress.done();
        }
        return report(out, cores, rows, contrast);
    }

    private void warnAboutSetup(PrintWriter out, CoreManager cores) {
        if (cores.quotaDecision().quota().isPresent()) {
            out.println("note: " + cores.quotaDecision().describe());
        }
        if (!Affinity.isSupported()) {
            out.println("note: " + Affinity.unsupportedReason().orElse("") + " - lanes are not pinned");
        }
        for (LaneStats s : cores.stats()) {
            if (!cores.pinnedNow(s.cpu())) {
                out.println("note: cpu " + s.cpu() + " is not pinned: " + s.pinProblem());
            }
        }
    }

    private void runCoreAffine(CoreManager cores, DemoWorkload workload, ConcurrentHashMap<Integer, Row> rows,
                               Progress progress) throws Exception {
        List<CompletableFuture<?>> pending = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int cpu : cores.cpus().toArray()) {
            Row row = rows.computeIfAbsent(cpu, c -> new Row());
            long start = System.nanoTime();
            for (int i = 0; i < tasks; i++) {
                pending.add(cores.submit(cpu, () -> {
                    row.tasks.incrementAndGet();
                    if (Affinity.currentCpu() != cpu) {
                        row.taskOff.incrementAndGet();
                    }
                    progress.step();
                    return null;
                }));
            }
            for (int i = 0; i < vthreads; i++) {
                threads.add(cores.go(cpu, () -> {
                    DemoWorkload.Seen seen = workload.run(rounds, cpu, progress::step);
                    synchronized (row) {
                        row.threads.add(seen);
                        row.nanos = Math.max(row.nanos, System.nanoTime() - start);
                    }
                }));
            }
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
        for (Thread t : threads) {
            t.join();
        }
    }

    private DemoWorkload.Seen[] runDefaultScheduler(DemoWorkload workload, int count, Progress progress)
            throws InterruptedException {
        DemoWorkload.Seen[] seen = new DemoWorkload.Seen[count];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int index = i;
            threads.add(Thread.ofVirtual().start(() -> seen[index] = workload.run(rounds, -1, progress::step)));
        }
        for (Thread t : threads) {
            t.join();
        }
        return seen;
    }

    private int report(PrintWriter out, CoreManager cores, ConcurrentHashMap<Integer, Row> rows,
                       DemoWorkload.Seen[] contrast) {
        out.printf("%5s %10s %9s %10s %9s %12s%n", "cpu", "tasks", "vthreads", "checks", "off-cpu", "steps/s");
        long allChecks = 0;
        long allOff = 0;
        for (int cpu : cores.cpus().toArray()) {
            Row row = rows.get(cpu);
            long checks = row.tasks.get();
            long off = row.taskOff.get();
            long steps = 0;
            for (DemoWorkload.Seen s : row.threads) {
                checks += s.checks;
                off += s.offCpu;
                steps += s.checks;
            }
            allChecks += checks;
            allOff += off;
            double perSecond = row.nanos == 0 ? 0 : steps * 1e9 / row.nanos;
            out.printf("%5d %10d %9d %10d %9d %12.0f%n", cpu, row.tasks.get(), row.threads.size(), checks, off, perSecond);
        }
        long moved = 0;
        long changes = 0;
        long checks = 0;
        for (DemoWorkload.Seen s : contrast) {
            if (s != null) {
                moved += s.cpusSeen() > 1 ? 1 : 0;
                changes += s.cpuChanges;
                checks += s.checks;
            }
        }
        out.printf("default scheduler: %d of %d virtual threads were seen on more than one cpu (%d cpu changes in %d checks)%n",
                moved, contrast.length, changes, checks);
        if (allOff == 0) {
            out.printf("core-affine: 0 off-cpu observations in %d checks: every task and virtual thread stayed on its cpu%n",
                    allChecks);
            return 0;
        }
        out.printf("core-affine: %d OFF-CPU observations in %d checks: the promise was broken%n", allOff, allChecks);
        return 1;
    }

    /** Counts demo steps into the shared progress bar. */
    private static final class Progress {
        private final ProgressBar bar;
        private final long total;
        private final AtomicLong done = new AtomicLong();

        Progress(PrintWriter err, long total) {
            this.bar = new ProgressBar(err);
            this.total = Math.max(1, total);
        }

        void step() {
            bar.show((double) done.incrementAndGet() / total, "");
        }

        void done() {
            bar.done();
        }
    }
}
