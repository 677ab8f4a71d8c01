package io.coremanager.isolation;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import io.coremanager.affinity.AffinityException;
import io.coremanager.topology.CpuTopology;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;

/**
 * Every thread of this process, as the kernel sees it, and a way to move them off CPUs.
 *
 * <pre>{@code
 * for (JvmThread t : JvmThreads.snapshot()) {
 *     System.out.println(t.tid() + " " + t.name() + " " + t.kind() + " may run on " + t.allowedCpus());
 * }
 * KeepOffReport r = JvmThreads.keepOff(CpuSet.of(3));   // nothing of this JVM but lanes on cpu 3
 * }</pre>
 *
 * <h2>Which Java thread a kernel thread is</h2>
 * JDK 25 has no public accessor for a thread's Linux id, so the match is by name, and approximate:
 * HotSpot gives each Java platform thread the first 15 bytes of its Java name as its kernel name when
 * it starts. A kernel thread is matched to a Java thread when exactly one live platform thread has that
 * 15-byte prefix and exactly one kernel thread has that name; the calling thread is matched exactly
 * (by {@code gettid}). Not matched, so {@link JvmThread#javaName()} is empty: threads whose names share
 * 15 bytes ({@code ForkJoinPool-1-worker-1} and {@code -2}), a thread renamed by another thread after it
 * started (the kernel name is not updated), a thread whose kernel name was set through
 * {@link Affinity#setCurrentThreadKernelName(String)}. The JVM's main thread is named {@code java} in
 * the kernel, like the launcher's primordial thread (whose tid is the pid); it is matched as the
 * one other {@code java}. The {@link ThreadKind} comes from the names and is reliable for the JVM's own
 * threads, whose names are fixed; a Java thread that could not be matched but whose kernel name is a
 * live Java thread's prefix is still {@link ThreadKind#OTHER_PLATFORM}. Enumerating Java threads
 * ({@link ThreadGroup#enumerate(Thread[])}) needs no safepoint, so a snapshot does not stop the JVM.
 *
 * <h2>Cost</h2>
 * A snapshot reads three small {@code /proc} files per thread (four with the name match) and makes one
 * {@code sched_getaffinity} call per thread: measured 6.4 ms for 18 threads on a 2-vCPU KVM guest
 * under a load average of 9, a diagnostic's cost, not a hot path's. {@link #keepOff(CpuSet)} makes one
 * {@code sched_getaffinity} per thread and reads names only of the threads it moves or reports.
 *
 * <p>Threads come and go while this runs: a thread that ends before it is read is left out, and one
 * that starts after the directory was listed is not seen. All methods are thread-safe and static.
 * Linux only: elsewhere {@link #isSupported()} is false and the methods throw
 * {@link UnsupportedOperationException}.
 */
public final class JvmThreads {

    private static final Path TASKS = Path.of("/proc/self/task");
    private static final Pattern ZGC = Pattern.compile("Z[A-Z][A-Za-z]+(#\\d+)?");
    private static final Pattern DELAY_SCHEDULER = Pattern.compile("ForkJoinPool-\\d+-delayScheduler");

    private JvmThreads() {
    }

    /**
     * Whether snapshots and moves work here: Linux, with the native calls bound.
     *
     * @return true where supported
     */
    public static boolean isSupported() {
        return Affinity.isSupported() && Files.isDirectory(TASKS);
    }

    /**
     * Why snapshots and moves do not work here, or empty when they do.
     *
     * @return the reason, or empty
     */
    public static Optional<String> unsupportedReason() {
        if (!Affinity.isSupported()) {
            return Affinity.unsupportedReason();
        }
        return Files.isDirectory(TASKS) ? Optional.empty() : Optional.of(TASKS + " is not readable");
    }

    /**
     * Every thread of this process now, in tid order; lane carriers are recognised by their default
     * names ({@code cm-cpu-N}, {@code coremanager-cpu-N}).
     *
     * @return the threads
     * @throws UnsupportedOperationException where not supported ({@link #unsupportedReason()})
     * @throws UncheckedIOException if {@code /proc/self/task} cannot be listed
     */
    public static List<JvmThread> snapshot() {
        return snapshot(tid -> false);
    }

    /**
     * Every thread of this process now, in tid order.
     *
     * @param laneCarriers which tids are lane carriers (the manager's own pinned threads)
     * @return the threads
     * @throws UnsupportedOperationException where not supported ({@link #unsupportedReason()})
     * @throws UncheckedIOException if {@code /proc/self/task} cannot be listed
     */
    public static List<JvmThread> snapshot(IntPredicate laneCarriers) {
        Objects.requireNonNull(laneCarriers, "laneCarriers");
        requireSupported("snapshot");
        int pid = (int) ProcessHandle.current().pid();
        JavaNames names = JavaNames.now();
        List<JvmThread> threads = new ArrayList<>();
        for (int tid : taskIds(TASKS)) {
            ProcTask task = ProcTask.read(TASKS.resolve(Integer.toString(tid)));
            if (task == null) {
                continue; // ended
            }
            CpuSet mask;
            try {
                mask = Affinity.getOfThread(tid);
            } catch (AffinityException e) {
                continue; // ESRCH: ended since
            }
            String javaName = names.javaNameOf(tid, task.comm(), pid);
            ThreadKind kind = laneCarriers.test(tid) ? ThreadKind.LANE_CARRIER
                    : classify(task.comm(), javaName, names.isJavaPrefix(task.comm()) && tid != pid);
            threads.add(new JvmThread(tid, task.comm(), javaName, kind, mask, task.lastCpu(),
                    task.voluntarySwitches(), task.involuntarySwitches()));
        }
        return threads;
    }

    /**
     * The threads of another process on this host, from {@code /proc/<pid>/task}: kernel names,
     * kinds by name (Java names are not known from outside), allowed CPUs from
     * {@code Cpus_allowed_list}.
     *
     * @param pid the process
     * @return its threads, in tid order
     * @throws IllegalArgumentException if there is no such process (or it is not readable)
     * @throws UncheckedIOException if its task folder cannot be listed
     */
    public static List<JvmThread> snapshotOf(long pid) {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        if (!Files.isDirectory(tasks)) {
            throw new IllegalArgumentException("pid: " + pid + " (expected: a live process of this host; "
                    + tasks + " does not exist)");
        }
        List<JvmThread> threads = new ArrayList<>();
        for (int tid : taskIds(tasks)) {
            ProcTask task = ProcTask.read(tasks.resolve(Integer.toString(tid)));
            if (task == null || task.allowed() == null) {
                continue;
            }
            ThreadKind kind = classify(task.comm(), "", false);
            threads.add(new JvmThread(tid, task.comm(), "", tid == pid ? ThreadKind.UNKNOWN_NATIVE : kind,
                    task.allowed(), task.lastCpu(), task.voluntarySwitches(), task.involuntarySwitches()));
        }
        return threads;
    }

    /**
     * Moves every thread of this process off {@code cpus}, except lane carriers recognised by their
     * default names: {@link #keepOff(CpuSet, IntPredicate)} with none named.
     *
     * @param cpus the CPUs to keep threads off
     * @return what was moved, skipped and refused
     * @throws IllegalArgumentException if {@code cpus} is empty
     * @throws UnsupportedOperationException where not supported
     */
    public static KeepOffReport keepOff(CpuSet cpus) {
        return keepOff(cpus, tid -> false);
    }

    /**
     * Moves every thread of this process whose mask intersects {@code cpus} to its mask minus
     * {@code cpus}; a thread allowed only CPUs of {@code cpus} goes to the process's allowed CPUs minus
     * {@code cpus}, and stays (reported {@link KeepOffReport.Reason#NOWHERE_ELSE}) when that is empty:
     * no thread is ever left with an empty mask. Threads for which {@code leaveAlone} is true, and lane
     * carriers recognised by their names, are reported {@link KeepOffReport.Reason#MANAGERS_OWN} and
     * not touched. A refusal of the kernel is reported with its errno, and the pass goes on.
     *
     * @param cpus the CPUs to keep threads off
     * @param leaveAlone tids not to move (a manager's carriers)
     * @return what was moved, skipped and refused
     * @throws IllegalArgumentException if {@code cpus} is empty
     * @throws UnsupportedOperationException where not supported
     */
    public static KeepOffReport keepOff(CpuSet cpus, IntPredicate leaveAlone) {
        Objects.requireNonNull(cpus, "cpus");
        Objects.requireNonNull(leaveAlone, "leaveAlone");
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("cpus: empty set (expected: the cpus to keep threads off)");
        }
        requireSupported("keepOff");
        CpuSet allowed = CpuTopology.current().allowedCpus();
        return sweep(cpus, leaveAlone.or(JvmThreads::hasCarrierName), allowed.minus(cpus), true, (tid, before) -> {
        });
    }

    /** Told of each move before it is made, so that it can be undone. */
    interface MoveLog {
        void beforeMove(int tid, CpuSet before);
    }

    /**
     * One pass: the cheap walk shared by {@link #keepOff} and {@link LaneIsolator}. Reads names only of
     * threads it acts on or reports.
     *
     * @param moveThoseInside whether a thread pinned only onto {@code cpus} moves to {@code elsewhere}
     *     ({@code keepOff}) or is reported as {@link KeepOffReport.Reason#PINNED_ONTO_CPUS} (an isolator)
     */
    static KeepOffReport sweep(CpuSet cpus, IntPredicate leaveAlone, CpuSet elsewhere, boolean moveThoseInside,
                               MoveLog log) {
        List<KeepOffReport.Moved> moved = new ArrayList<>();
        List<KeepOffReport.Skipped> skipped = new ArrayList<>();
        List<KeepOffReport.Failed> failed = new ArrayList<>();
        int[] tids = taskIds(TASKS);
        for (int tid : tids) {
            CpuSet mask;
            try {
                mask = Affinity.getOfThread(tid);
            } catch (AffinityException e) {
                continue; // ended
            }
            if (!mask.intersects(cpus)) {
                continue;
            }
            if (leaveAlone.test(tid)) {
                skipped.add(new KeepOffReport.Skipped(tid, comm(tid), mask, KeepOffReport.Reason.MANAGERS_OWN));
                continue;
            }
            CpuSet target = mask.minus(cpus);
            if (target.isEmpty()) {
                if (!moveThoseInside || elsewhere.isEmpty()) {
                    skipped.add(new KeepOffReport.Skipped(tid, comm(tid), mask, elsewhere.isEmpty()
                            ? KeepOffReport.Reason.NOWHERE_ELSE : KeepOffReport.Reason.PINNED_ONTO_CPUS));
                    continue;
                }
                target = elsewhere;
            }
            log.beforeMove(tid, mask);
            try {
                Affinity.setOfThread(tid, target);
                moved.add(new KeepOffReport.Moved(tid, comm(tid), mask, target));
            } catch (AffinityException e) {
                if (!"ESRCH".equals(e.errnoName())) {
                    failed.add(new KeepOffReport.Failed(tid, comm(tid), target, e.errnoName(), e.getMessage()));
                }
            }
        }
        return new KeepOffReport(cpus, tids.length, moved, skipped, failed);
    }

    /**
     * The kind of a thread from its kernel name and, when known, its Java name.
     *
     * @param comm the kernel name
     * @param javaName the Java name, or empty
     * @param knownJava whether the thread is known to be a Java thread though its Java name is not known
     */
    static ThreadKind classify(String comm, String javaName, boolean knownJava) {
        String n = javaName.isEmpty() ? comm : javaName;
        if (hasCarrierName(comm) || hasCarrierName(javaName)) {
            return ThreadKind.LANE_CARRIER;
        }
        if (n.startsWith("GC Thread#") || n.startsWith("G1 ") || n.startsWith("Shenandoah ")
                || n.startsWith("RuntimeWorker#") || n.startsWith("Parallel GC") || ZGC.matcher(n).matches()) {
            return ThreadKind.GC;
        }
        if (n.startsWith("C1 CompilerThre") || n.startsWith("C2 CompilerThre") || n.startsWith("JVMCI")) {
            return ThreadKind.JIT_COMPILER;
        }
        if (n.startsWith("JFR ")) {
            return ThreadKind.JFR;
        }
        if (n.equals("MasterPoller") || n.endsWith("-Poller")) {
            return ThreadKind.JDK_IO_POLLER;
        }
        if (DELAY_SCHEDULER.matcher(n).matches() || n.startsWith("VirtualThread-u")) {
            return ThreadKind.JDK_TIMER;
        }
        if (isVm(n)) {
            return ThreadKind.VM;
        }
        return !javaName.isEmpty() || knownJava ? ThreadKind.OTHER_PLATFORM : ThreadKind.UNKNOWN_NATIVE;
    }

    private static boolean isVm(String n) {
        for (String vm : new String[] {"VM Thread", "VM Periodic Tas", "Service Thread", "Monitor Deflati",
            "Notification Th", "Signal Dispatch", "Attach Listener", "Reference Handl", "Finalizer",
            "Common-Cleaner", "Safepoint Clean", "Sweeper thread"}) {
            if (n.startsWith(vm)) {
                return true;
            }
        }
        return false;
    }

    /** The default names of lane carriers: {@code cm-cpu-N} (kernel) and {@code coremanager-cpu-N} (Java). */
    static boolean hasCarrierName(String name) {
        return name.startsWith("cm-cpu-") || name.startsWith("coremanager-cp");
    }

    private static boolean hasCarrierName(int tid) {
        return hasCarrierName(comm(tid));
    }

    /** The kernel name of {@code tid} of this process, or {@code ?} if it ended. */
    static String comm(int tid) {
        try {
            return Files.readString(TASKS.resolve(tid + "/comm"), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    /** The tids under {@code tasks}, ascending. */
    static int[] taskIds(Path tasks) {
        List<Integer> ids = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
            for (Path p : dir) {
                String name = p.getFileName().toString();
                if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
                    ids.add(Integer.parseInt(name));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + tasks, e);
        }
        return ids.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    private static void requireSupported(String method) {
        if (!isSupported()) {
            throw new UnsupportedOperationException("JvmThreads." + method + ": "
                    + unsupportedReason().orElse("?"));
        }
    }

    /** A thread's {@code stat} and {@code status}, or null if it ended while being read. */
    record ProcTask(String comm, int lastCpu, long startTime, long voluntarySwitches, long involuntarySwitches,
                    CpuSet allowed) {

        static ProcTask read(Path dir) {
            try {
                String stat = Files.readString(dir.resolve("stat"), StandardCharsets.UTF_8);
                String status = Files.readString(dir.resolve("status"), StandardCharsets.UTF_8);
                String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
                // f[0] is field 3 (state): field n is f[n - 3]
                int lastCpu = f.length > 36 ? Integer.parseInt(f[36]) : -1;
                long start = f.length > 19 ? Long.parseLong(f[19]) : -1;
                long voluntary = -1;
                long involuntary = -1;
                CpuSet allowed = null;
                for (String line : status.split("\n")) {
                    if (line.startsWith("voluntary_ctxt_switches:")) {
                        voluntary = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                    } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                        involuntary = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                    } else if (line.startsWith("Cpus_allowed_list:")) {
                        allowed = CpuSet.parse(line.substring(line.indexOf(':') + 1).trim());
                    }
                }
                return new ProcTask(comm, lastCpu, start, voluntary, involuntary, allowed);
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                // ESRCH surfaces as an IOException on a task that ended between open and read
                return null;
            }
        }
    }

    /** The live Java platform threads, indexed by the kernel names they would have. */
    private static final class JavaNames {
        private final Map<String, List<String>> byComm = new HashMap<>();
        private final Map<String, Integer> tidsPerComm = new HashMap<>();
        private final int selfTid;
        private final String selfName;

        private JavaNames(int selfTid, String selfName) {
            this.selfTid = selfTid;
            this.selfName = selfName;
        }

        static JavaNames now() {
            Thread self = Thread.currentThread();
            JavaNames names = new JavaNames(self.isVirtual() ? -1 : Affinity.currentThreadId(), self.getName());
            ThreadGroup root = self.getThreadGroup();
            while (root != null && root.getParent() != null) {
                root = root.getParent();
            }
            Thread[] all = new Thread[256];
            int n = root == null ? 0 : root.enumerate(all, true);
            while (root != null && n == all.length) {
                all = new Thread[all.length * 2];
                n = root.enumerate(all, true);
            }
            for (int i = 0; i < n; i++) {
                String name = all[i].getName();
                names.byComm.computeIfAbsent(Affinity.cutToKernelName(name), k -> new ArrayList<>()).add(name);
            }
            for (int tid : taskIds(TASKS)) {
                names.tidsPerComm.merge(comm(tid), 1, Integer::sum);
            }
            return names;
        }

        boolean isJavaPrefix(String comm) {
            return byComm.containsKey(comm) || comm.equals("java");
        }

        String javaNameOf(int tid, String comm, int pid) {
            if (tid == selfTid) {
                return selfName;
            }
            if (comm.equals("java")) {
                // the launcher's primordial thread (tid == pid) and the JVM's main thread share the name
                List<String> main = byComm.get("main");
                return tid != pid && tidsPerComm.getOrDefault("java", 0) == 2 && main != null && main.size() == 1
                        ? "main" : "";
            }
            List<String> candidates = byComm.get(comm);
            return candidates != null && candidates.size() == 1 && tidsPerComm.getOrDefault(comm, 0) == 1
                    ? candidates.get(0) : "";
        }
    }
}
