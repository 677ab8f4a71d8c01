package io.coremanager.topology;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import io.coremanager.affinity.AffinityException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.function.DoubleConsumer;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import java.util.Arrays;

/**
 * What this machine has and what this process may use: every CPU the kernel knows, with its
 * physical core, package, die, cluster, NUMA node, caches, SMT siblings and core kind, whether it
 * is online, allowed and isolated; the NUMA nodes and their distances; and the process's CPU budget
 * (allowed CPUs and cgroup quota).
 *
 * <pre>{@code
 * CpuTopology topology = CpuTopology.current();
 * for (CpuSet core : topology.cores()) { ... }         // one set of SMT siblings per physical core
 * topology.packageOf(5);                                // OptionalInt[1]
 * topology.cpusWhere(c -> c.kind() == CoreKind.PERFORMANCE && c.usable());
 * }</pre>
 *
 * <p>Read from sysfs, as hwloc does: {@link #current()} for the live machine,
 * {@link #read(Path)} for a snapshot folder holding {@code sys/} and {@code proc/}. Neither ever
 * throws for what it reads: a missing, unreadable or malformed file degrades the topology (down to
 * {@code Runtime.availableProcessors()} CPUs in one package) and {@link #warnings()} says what was
 * skipped and why.
 *
 * <p>Ids ({@code core}, {@code pkg}, {@code node}, {@code llc}, ...) are unique across the machine;
 * see {@link Cpu}. Queries about a CPU the kernel does not know throw
 * {@link IllegalArgumentException} naming the CPUs it does know.
 *
 * <p>Immutable and thread-safe. A topology is a snapshot: CPU hot-plug, cgroup changes and
 * {@code taskset} after it was read are not seen; read it again to see them.
 */
public final class CpuTopology {

    private final List<Cpu> cpus;
    private final Map<Integer, Cpu> byNumber;
    private final List<NumaNode> nodes;
    private final CpuSet possible;
    private final CpuSet allowed;
    private final double quotaCpus;
    private final List<String> warnings;

    CpuTopology(List<Cpu> cpus, List<NumaNode> nodes, CpuSet possible, CpuSet allowed, double quotaCpus,
                List<String> warnings) {
        this.cpus = List.copyOf(cpus);
        Map<Integer, Cpu> index = new TreeMap<>();
        for (Cpu cpu : this.cpus) {
            index.put(cpu.cpu(), cpu);
        }
        this.byNumber = Collections.unmodifiableMap(index);
        this.nodes = List.copyOf(nodes);
        this.possible = possible;
        this.allowed = allowed;
        this.quotaCpus = quotaCpus;
        this.warnings = List.copyOf(warnings);
    }

    // ---------------------------------------------------------------- sources

    /**
     * The live machine: {@code /sys/devices/system/cpu}, {@code /sys/devices/system/node}, the
     * hybrid device lists and {@code /proc/cpuinfo} as a fallback; the allowed CPUs from
     * {@code sched_getaffinity} of the process (which already reflects cgroup cpusets,
     * {@code taskset} and container CPU managers), the quota from the process's cgroup.
     *
     * @return this machine's topology, degraded where sysfs is damaged (see {@link #warnings()})
     */
    public static CpuTopology current() {
        CpuSet live = null;
        String problem = null;
        if (Affinity.isSupported()) {
            try {
                live = Affinity.getOfThread((int) ProcessHandle.current().pid());
            } catch (AffinityException | UnsupportedOperationException e) {
                problem = "sched_getaffinity of the process failed (" + e.getMessage()
                        + "); allowed cpus read from the cgroup instead";
            }
        }
        CpuTopology topology = new SysfsReader(Path.of("/"), live).read();
        return problem == null ? topology : topology.withWarning(problem);
    }

    /**
     * The topology described by a snapshot folder holding {@code sys/} and {@code proc/} (like
     * hwloc's {@code HWLOC_FSROOT}). There "allowed" comes from the cgroup of
     * {@code proc/self/cgroup} (v2 {@code cpuset.cpus.effective}; v1 {@code cpuset.effective_cpus},
     * else {@code cpuset.cpus}, under the cpuset mount of {@code proc/mounts}, or
     * {@code proc/self/cpuset}), else {@code proc/self/status} {@code Cpus_allowed_list}, else every
     * online CPU.
     *
     * <p>On cgroup v1 this departs from hwloc on purpose: where {@code cpuset.cpus} and
     * {@code cpuset.effective_cpus} differ (a parent's cpuset shrank, a CPU went offline), hwloc
     * reports {@code cpuset.cpus} while the reader takes {@code cpuset.effective_cpus}, what the
     * kernel enforces: a lane placed on a CPU outside it would be refused by
     * {@code sched_setaffinity}, so for scheduling the effective set is the right answer.
     *
     * @param root the folder holding {@code sys/} and {@code proc/}
     * @return the topology the folder describes, degraded where it is damaged (see {@link #warnings()})
     * @throws NullPointerException if {@code root} is {@code null}
     */
    public static CpuTopology read(Path root) {
        Objects.requireNonNull(root, "root");
        return new SysfsReader(root, null).read();
    }

    /**
     * Measures the topology instead of reading it: the core-to-core round-trip matrix of
     * {@code cpus} (for every ordered pair, a thread pinned to one bounces a cache line with a
     * thread pinned to the other; the cell is the median round trip), grouped into measured SMT
     * siblings, cache clusters and outliers (see {@link MeasuredTopology}). The SMT width assumed
     * is the widest core sysfs reports, at least 2.
     *
     * <p>Takes about {@code n·(n-1)·1.25·perPair} for {@code n} CPUs and keeps two of them busy at a
     * time: measure on a quiet machine. The figures are only as good as the machine is quiet; the
     * groups are what to trust, not single cells. Where affinity is unsupported (not Linux) the
     * threads run unpinned: the result is well-formed but says little.
     *
     * @param cpus the CPUs to measure: two or more, each allowed for this process
     * @param perPair how long to measure each ordered pair (a quarter more warms it up)
     * @param progress told the fraction done, 0 to 1, on the calling thread
     * @return the measured matrix and its groups
     * @throws IllegalArgumentException if {@code cpus} has fewer than two CPUs or CPUs this process
     *     may not use, or {@code perPair} is not positive
     * @throws InterruptedException if the calling thread is interrupted while it waits for a pair
     * @throws IllegalStateException if a measuring thread cannot be pinned (a CPU went offline or
     *     left the cpuset during the measurement); the cause says why
     * @throws NullPointerException if an argument is {@code null}
     */
    public static MeasuredTopology measure(CpuSet cpus, Duration perPair, DoubleConsumer progress)
            throws InterruptedException {
        Objects.requireNonNull(cpus, "cpus");
        Objects.requireNonNull(perPair, "perPair");
        Objects.requireNonNull(progress, "progress");
        CpuTopology sysfs = current();
        if (cpus.size() < 2 || !sysfs.allowedCpus().containsAll(cpus)) {
            throw new IllegalArgumentException("cpus: " + cpus + " (expected: two or more cpus this process may use: "
                    + sysfs.allowedCpus() + ")");
        }
        if (perPair.isNegative() || perPair.isZero()) {
            throw new IllegalArgumentException("perPair: " + perPair + " (expected: more than zero)");
        }
        int smtWidth = Math.max(2, sysfs.cores().stream().mapToInt(CpuSet::size).max().orElse(1));
        double[][] nanos = RoundTrips.measure(cpus, perPair.toNanos(), progress);
        return MeasuredTopology.of(cpus.toArray(), nanos, smtWidth);
    }

    /**
     * {@link #measure(CpuSet, Duration, DoubleConsumer)} without progress reports.
     *
     * @param cpus the CPUs to measure: two or more, each allowed for this process
     * @param perPair how long to measure each ordered pair
     * @return the measured matrix and its groups
     * @throws IllegalArgumentException as for {@link #measure(CpuSet, Duration, DoubleConsumer)}
     * @throws InterruptedException if the calling thread is interrupted while it waits for a pair
     * @throws IllegalStateException if a measuring thread cannot be pinned
     * @throws NullPointerException if an argument is {@code null}
     */
    public static MeasuredTopology measure(CpuSet cpus, Duration perPair) throws InterruptedException {
        return measure(cpus, perPair, done -> { });
    }

    private CpuTopology withWarning(String warning) {
        List<String> more = new ArrayList<>(warnings);
        more.add(warning);
        return new CpuTopology(cpus, nodes, possible, allowed, quotaCpus, more);
    }

    // ---------------------------------------------------------------- cpus

    /**
     * Every CPU the kernel knows (present, online or not), in ascending order.
     *
     * @return every CPU, ascending
     */
    public List<Cpu> cpus() {
        return cpus;
    }

    /**
     * The CPU numbered {@code cpu}.
     *
     * @param cpu the kernel's CPU number
     * @return the CPU
     * @throws IllegalArgumentException if the kernel does not know it
     */
    public Cpu cpu(int cpu) {
        Cpu found = byNumber.get(cpu);
        if (found == null) {
            throw new IllegalArgumentException("cpu " + cpu + " is not on this machine (cpus: " + allCpus() + ")");
        }
        return found;
    }

    /**
     * Every CPU the kernel knows.
     *
     * @return every CPU the kernel knows
     */
    public CpuSet allCpus() {
        return cpusWhere(c -> true);
    }

    /**
     * Every CPU the kernel could bring up ({@code possible}): may exceed {@link #allCpus()}.
     *
     * @return the possible CPUs
     */
    public CpuSet possibleCpus() {
        return possible;
    }

    /**
     * The online CPUs.
     *
     * @return the online CPUs
     */
    public CpuSet onlineCpus() {
        return cpusWhere(Cpu::online);
    }

    /**
     * The CPUs this process may run on now: online and in its affinity mask (cgroup, taskset).
     *
     * @return the allowed CPUs
     */
    public CpuSet allowedCpus() {
        return allowed;
    }

    /**
     * The CPUs isolated from the scheduler ({@code isolcpus}, {@code nohz_full}).
     *
     * @return the isolated CPUs; empty when none
     */
    public CpuSet isolatedCpus() {
        return cpusWhere(Cpu::isolated);
    }

    /**
     * The CPUs work may be placed on by default: online, allowed and not isolated.
     *
     * @return the usable CPUs
     */
    public CpuSet usableCpus() {
        return cpusWhere(Cpu::usable);
    }

    /**
     * The CPUs that satisfy {@code filter}.
     *
     * @param filter which CPUs to keep
     * @return the CPUs it accepts
     * @throws NullPointerException if {@code filter} is {@code null}
     */
    public CpuSet cpusWhere(Predicate<Cpu> filter) {
        CpuSet.Builder result = CpuSet.builder();
        for (Cpu cpu : cpus) {
            if (filter.test(cpu)) {
                result.add(cpu.cpu());
            }
        }
        return result.build();
    }

    // ---------------------------------------------------------------- groups

    /**
     * One set per physical core (the SMT siblings of each), online CPUs, by lowest CPU.
     *
     * @return the physical cores
     */
    public List<CpuSet> cores() {
        return groups(Cpu::core);
    }

    /**
     * One set per package (socket), online CPUs, by lowest CPU.
     *
     * @return the packages
     */
    public List<CpuSet> packages() {
        return groups(Cpu::pkg);
    }

    /**
     * One set per cluster that holds more than one core, online CPUs, by lowest CPU: cores sharing
     * an L2 (a group of Intel E-cores), an ARM cluster ({@code cluster_cpus}), an AMD
     * Bulldozer-family compute unit. Empty when the machine has none (a cluster of one core, as
     * recent kernels report for every Intel P-core, is no level of its own).
     *
     * @return the clusters of several cores; empty when there are none
     */
    public List<CpuSet> clusters() {
        List<CpuSet> result = new ArrayList<>();
        for (CpuSet cluster : groups(Cpu::cluster)) {
            if (coresIn(cluster) > 1) {
                result.add(cluster);
            }
        }
        return result;
    }

    private int coresIn(CpuSet group) {
        return (int) Arrays.stream(group.toArray()).map(c -> cpu(c).core()).distinct().count();
    }

    /**
     * One set per last-level cache, online CPUs, by lowest CPU; empty when the kernel gives no caches.
     *
     * @return the last-level caches; empty when unknown
     */
    public List<CpuSet> lastLevelCaches() {
        return groups(Cpu::llc);
    }

    /**
     * The NUMA nodes, by node number.
     *
     * @return the NUMA nodes; one node holding every CPU on a kernel without NUMA
     */
    public List<NumaNode> nodes() {
        return nodes;
    }

    private List<CpuSet> groups(ToIntFunction<Cpu> id) {
        Map<Integer, CpuSet.Builder> byId = new TreeMap<>();
        List<Integer> order = new ArrayList<>();
        for (Cpu cpu : cpus) {
            int group = id.applyAsInt(cpu);
            if (cpu.online() && group != Cpu.UNKNOWN) {
                byId.computeIfAbsent(group, g -> {
                    order.add(g);
                    return CpuSet.builder();
                }).add(cpu.cpu());
            }
        }
        return order.stream().map(g -> byId.get(g).build()).toList();
    }

    // ---------------------------------------------------------------- queries for placement

    /**
     * The SMT siblings of {@code cpu}: the online CPUs of its physical core, itself included; empty
     * for an offline CPU.
     *
     * @param cpu a CPU the kernel knows
     * @return its siblings
     * @throws IllegalArgumentException if the kernel does not know {@code cpu}
     */
    public CpuSet siblingsOf(int cpu) {
        return cpu(cpu).siblings();
    }

    /**
     * The id of {@code cpu}'s physical core; empty when offline.
     *
     * @param cpu a CPU the kernel knows
     * @return the core id, or empty when offline
     * @throws IllegalArgumentException for an unknown CPU
     */
    public OptionalInt coreOf(int cpu) {
        return optional(cpu(cpu).core());
    }

    /**
     * The id of {@code cpu}'s package.
     *
     * @param cpu a CPU the kernel knows
     * @return the package id, or empty when offline or unknown
     * @throws IllegalArgumentException for an unknown CPU
     */
    public OptionalInt packageOf(int cpu) {
        return optional(cpu(cpu).pkg());
    }

    /**
     * The NUMA node of {@code cpu}.
     *
     * @param cpu a CPU the kernel knows
     * @return the node, or empty when unknown
     * @throws IllegalArgumentException for an unknown CPU
     */
    public OptionalInt nodeOf(int cpu) {
        return optional(cpu(cpu).node());
    }

    /**
     * The id of {@code cpu}'s last-level cache.
     *
     * @param cpu a CPU the kernel knows
     * @return the last-level cache id, or empty when the kernel gives no caches
     * @throws IllegalArgumentException for an unknown CPU
     */
    public OptionalInt llcOf(int cpu) {
        return optional(cpu(cpu).llc());
    }

    /**
     * Whether {@code cpu} is a performance or efficiency core.
     *
     * @param cpu a CPU the kernel knows
     * @return its kind; {@link CoreKind#UNKNOWN} on a machine that is not hybrid
     * @throws IllegalArgumentException for an unknown CPU
     */
    public CoreKind kindOf(int cpu) {
        return cpu(cpu).kind();
    }

    /**
     * Whether the machine has both performance and efficiency cores.
     *
     * @return true when both kinds are present
     */
    public boolean isHybrid() {
        return cpus.stream().anyMatch(c -> c.kind() == CoreKind.EFFICIENCY)
                && cpus.stream().anyMatch(c -> c.kind() == CoreKind.PERFORMANCE);
    }

    /**
     * The NUMA distance from {@code nodeA} to {@code nodeB} (10 is local); empty when the kernel
     * does not say.
     *
     * @param nodeA the node the distance is from
     * @param nodeB the node the distance is to
     * @return the distance, or empty
     * @throws IllegalArgumentException if {@code nodeA} is not a node of this machine
     */
    public OptionalInt distance(int nodeA, int nodeB) {
        for (NumaNode node : nodes) {
            if (node.id() == nodeA) {
                return node.distanceTo(nodeB);
            }
        }
        throw new IllegalArgumentException("node " + nodeA + " is not on this machine (nodes: "
                + nodes.stream().map(n -> Integer.toString(n.id())).toList() + ")");
    }

    /**
     * The cgroup CPU quota as a number of CPUs ({@code 2.5}: 250 ms of CPU time per 100 ms period),
     * the tightest along the process's cgroup path; empty when unlimited or unknown.
     *
     * @return the quota in CPUs, or empty
     */
    public OptionalDouble cpuQuota() {
        return Double.isNaN(quotaCpus) ? OptionalDouble.empty() : OptionalDouble.of(quotaCpus);
    }

    /**
     * What was skipped while reading and why; empty when everything read cleanly.
     *
     * @return the warnings, in the order they arose
     */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * One line: {@code 2 packages, 2 NUMA nodes, 16 cores, 32 CPUs; this process may use 0-7
     * (cgroup quota 4.0 CPUs)}.
     *
     * @return the summary line
     */
    public String summary() {
        int cpuCount = cpus.size();
        CpuSet offline = allCpus().minus(onlineCpus());
        String hybrid = isHybrid() ? " (" + cpusWhere(c -> c.kind() == CoreKind.PERFORMANCE && c.online()).size()
                + " performance, " + cpusWhere(c -> c.kind() == CoreKind.EFFICIENCY && c.online()).size()
                + " efficiency)" : "";
        return plural(packages().size(), "package") + ", " + plural(nodes.size(), "NUMA node") + ", "
                + plural(cores().size(), "core") + ", " + plural(cpuCount, "CPU")
                + hybrid
                + (offline.isEmpty() ? "" : " (offline: " + offline + ")")
                + "; this process may use " + (allowed.isEmpty() ? "no cpu" : allowed.toString())
                + (isolatedCpus().isEmpty() ? "" : ", isolated " + isolatedCpus())
                + cpuQuota().stream().mapToObj(q -> String.format(Locale.ROOT, " (cgroup quota %.1f CPUs)", q))
                        .findFirst().orElse("");
    }

    private static String plural(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    private static OptionalInt optional(int id) {
        return id == Cpu.UNKNOWN ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public String toString() {
        return "CpuTopology[" + summary() + "]";
    }
}
