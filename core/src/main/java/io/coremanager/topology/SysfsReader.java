package io.coremanager.topology;

import io.coremanager.CpuSet;
import io.coremanager.internal.CgroupLimits;
import io.coremanager.internal.SysFiles;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.Arrays;

/**
 * Builds a {@link CpuTopology} from a root folder holding {@code sys/} and {@code proc/}.
 *
 * <p>Groups CPUs by the kernel's sibling lists ({@code core_cpus}/{@code thread_siblings},
 * {@code package_cpus}/{@code core_siblings}, a cache's {@code shared_cpu_list}, a node's
 * {@code cpulist}), list or mask form, never by ids alone: ids repeat across packages on some
 * platforms and are -1 on others. Never throws for what it reads: a missing, unreadable or
 * malformed file becomes a warning and the topology degrades around it.
 *
 * <p>Where sysfs is odd, hwloc's rules ({@code topology-linux.c}) decide:
 * <ul>
 *   <li>A cache whose {@code shared_cpu_map} is all zeros (old ia64 kernels, for L3 and L2i)
 *       belongs to the CPU's core: its thread siblings.</li>
 *   <li>A {@code shared_cpu_list} that does not contain its own CPU is wrong on its face: the
 *       {@code shared_cpu_map} (which hwloc reads) is taken instead, and a warning says so.</li>
 *   <li>Thread siblings whose {@code core_id}s differ within one package are separate cores (AMD
 *       Bulldozer-family compute units): each is a core of its own and the sibling set becomes
 *       their cluster, unless the kernel's {@code cluster_cpus} already names a larger one.</li>
 * </ul>
 * Where the kernel names no cluster, a cache below the last level shared by more than one core (the
 * L2 of a group of Intel E-cores on kernels before {@code cluster_cpus}) is the cluster.
 *
 * <p>Not thread-safe; one instance reads one tree once.
 */
final class SysfsReader {

    private static final Pattern CPU_DIR = Pattern.compile("cpu(\\d{1,6})");
    private static final Pattern NODE_DIR = Pattern.compile("node(\\d{1,6})");
    private static final Pattern CACHE_DIR = Pattern.compile("index(\\d{1,4})");

    private final Path root;
    private final Path cpuDir;
    private final Path nodeDir;
    private final CpuSet liveAllowed;
    private final List<String> warnings = new ArrayList<>();
    private CpuInfo cpuInfo;

    /** Per-CPU facts gathered before grouping. */
    private static final class Facts {
        final int cpu;
        boolean online = true;
        boolean hasTopology;
        CpuSet coreSet;
        CpuSet packageSet;
        CpuSet dieSet;
        CpuSet clusterSet;
        int kernelPackageId = -1;
        /** {@code core_id}, -1 when absent: only used to tell compute units from SMT siblings. */
        int kernelCoreId = -1;
        /** The thread siblings when they turned out to be a compute unit of several cores, else null. */
        CpuSet unitSet;
        List<Cache> caches = List.of();

        Facts(int cpu) {
            this.cpu = cpu;
        }
    }

    /**
     * @param root the folder holding {@code sys/} and {@code proc/}
     * @param liveAllowed the process's allowed CPUs when reading the live machine (from
     *     {@code sched_getaffinity}), or {@code null} to read them from the tree's cgroup and
     *     {@code proc/self/status}
     */
    SysfsReader(Path root, CpuSet liveAllowed) {
        this.root = root;
        this.cpuDir = root.resolve("sys/devices/system/cpu");
        this.nodeDir = root.resolve("sys/devices/system/node");
        this.liveAllowed = liveAllowed;
    }

    CpuTopology read() {
        try {
            return readOrDegrade();
        } catch (RuntimeException e) {
            // A reader bug must not take the caller down: report it and fall back to the minimum.
            warnings.add("topology reader failed (" + e + "); assuming one package of "
                    + Runtime.getRuntime().availableProcessors() + " cpus");
            return degraded(CpuSet.empty());
        }
    }

    private CpuTopology readOrDegrade() {
        CpuSet dirs = listNumbered(cpuDir, CPU_DIR);
        CpuSet present = optionalList(cpuDir.resolve("present"));
        CpuSet possible = optionalList(cpuDir.resolve("possible"));
        CpuSet known = dirs.union(present == null ? CpuSet.empty() : present);
        if (known.isEmpty() && possible != null) {
            known = possible;
        }
        if (known.isEmpty()) {
            known = cpuInfoProcessors();
        }
        if (known.isEmpty()) {
            warnings.add(cpuDir + ": no cpus found in sysfs or proc/cpuinfo; assuming one package of "
                    + Runtime.getRuntime().availableProcessors() + " cpus");
            return degraded(possible == null ? CpuSet.empty() : possible);
        }
        Map<Integer, Facts> facts = new TreeMap<>();
        known.forEachCpu(c -> facts.put(c, new Facts(c)));
        CpuSet online = readOnline(facts);
        if (online.isEmpty()) {
            warnings.add(cpuDir + ": no cpu is online; assuming cpus " + known + " are");
            online = known;
            for (Facts f : facts.values()) {
                f.online = true;
            }
        }
        CpuSet withTopology = CpuSet.empty();
        for (Facts f : facts.values()) {
            if (f.online && readTopology(f)) {
                withTopology = withTopology.with(f.cpu);
            }
        }
        adoptSiblingsClaimedByOthers(facts);
        splitComputeUnits(facts);
        Map<Cache, Cache> cacheInterner = new HashMap<>();
        for (Facts f : facts.values()) {
            if (f.online) {
                // After the core sets are final: an all-zero shared_cpu_map means "the core's".
                f.caches = readCaches(f, online, withTopology, cacheInterner);
            }
        }
        return assemble(facts, online, withTopology, possible == null ? known : possible.union(known));
    }

    // ---------------------------------------------------------------- assembling

    private CpuTopology assemble(Map<Integer, Facts> facts, CpuSet online, CpuSet withTopology, CpuSet possible) {
        Map<Integer, Object> coreKeys = new LinkedHashMap<>();
        Map<Integer, Object> packageKeys = new LinkedHashMap<>();
        Map<Integer, Object> dieKeys = new LinkedHashMap<>();
        Map<Integer, Object> clusterKeys = new LinkedHashMap<>();
        Map<Integer, Object> llcKeys = new LinkedHashMap<>();
        boolean anyPackageInfo = false;
        for (Facts f : facts.values()) {
            if (!f.online) {
                continue;
            }
            coreKeys.put(f.cpu, coreKey(f, withTopology));
            Object packageKey = packageKey(f, withTopology);
            anyPackageInfo |= packageKey != null;
            packageKeys.put(f.cpu, packageKey);
            dieKeys.put(f.cpu, f.dieSet == null ? null : closed(f.dieSet, f.cpu, withTopology));
            CpuSet cluster = clusterOf(f);
            if (cluster == null) {
                cluster = sharedMidLevelCache(f, withTopology);
            }
            clusterKeys.put(f.cpu, cluster == null ? null : closed(cluster, f.cpu, withTopology));
            Cache llc = lastLevelCache(f.caches);
            llcKeys.put(f.cpu, llc == null ? null : llc.sharedBy());
        }
        if (!anyPackageInfo) {
            // The kernel says nothing of packages: a machine of one package.
            packageKeys.replaceAll((cpu, key) -> "the one package");
        }
        Map<Integer, Integer> coreIds = Groups.ids(coreKeys);
        Map<Integer, Integer> packageIds = Groups.kernelIdsOr(Groups.ids(packageKeys), kernelPackageIds(facts));
        Map<Integer, Integer> dieIds = Groups.ids(dieKeys);
        Map<Integer, Integer> clusterIds = Groups.ids(clusterKeys);
        Map<Integer, Integer> llcIds = Groups.ids(llcKeys);
        Map<Integer, CpuSet> cores = Groups.byId(coreIds);
        checkConsistent("core", coreKeys, coreIds, cores);
        checkConsistent("package", packageKeys, packageIds, Groups.byId(packageIds));

        List<NumaNode> nodes = new NumaReader().read(online);
        Map<Integer, Integer> nodeOf = new HashMap<>();
        for (NumaNode node : nodes) {
            node.cpus().forEachCpu(c -> nodeOf.putIfAbsent(c, node.id()));
        }
        CpuSet isolated = readIsolated();
        Map<Integer, CoreKind> kinds = readKinds(online);
        CgroupLimits cgroup = CgroupLimits.read(root);
        warnings.addAll(cgroup.warnings());
        CpuSet allowed = allowed(cgroup, online);

        List<Cpu> cpus = new ArrayList<>();
        for (Facts f : facts.values()) {
            int c = f.cpu;
            CpuSet siblings = f.online ? cores.getOrDefault(coreIds.get(c), CpuSet.of(c)) : CpuSet.empty();
            cpus.add(new Cpu(c, f.online, f.online && allowed.contains(c), isolated.contains(c),
                    idOrUnknown(coreIds, c), idOrUnknown(packageIds, c), idOrUnknown(dieIds, c),
                    idOrUnknown(clusterIds, c), nodeOf.getOrDefault(c, Cpu.UNKNOWN), idOrUnknown(llcIds, c),
                    kinds.getOrDefault(c, CoreKind.UNKNOWN), siblings, f.caches));
        }
        return new CpuTopology(cpus, nodes, possible, allowed, cgroup.hasQuota() ? cgroup.quotaCpus() : Double.NaN,
                warnings);
    }

    private static int idOrUnknown(Map<Integer, Integer> ids, int cpu) {
        Integer id = ids.get(cpu);
        return id == null ? Cpu.UNKNOWN : id;
    }

    /**
     * A CPU whose own sibling list is unreadable takes the list of another CPU that names it: the
     * kernel writes the same list for every sibling, so one good copy is enough.
     */
    private static void adoptSiblingsClaimedByOthers(Map<Integer, Facts> facts) {
        Map<Integer, CpuSet> coreClaims = new HashMap<>();
        Map<Integer, CpuSet> packageClaims = new HashMap<>();
        for (Facts f : facts.values()) {
            if (f.coreSet != null) {
                f.coreSet.forEachCpu(c -> coreClaims.putIfAbsent(c, f.coreSet));
            }
            if (f.packageSet != null) {
                f.packageSet.forEachCpu(c -> packageClaims.putIfAbsent(c, f.packageSet));
            }
        }
        for (Facts f : facts.values()) {
            if (f.online && f.hasTopology) {
                if (f.coreSet == null) {
                    f.coreSet = coreClaims.get(f.cpu);
                }
                if (f.packageSet == null) {
                    f.packageSet = packageClaims.get(f.cpu);
                }
            }
        }
    }

    /**
     * AMD Bulldozer-family compute units, as hwloc reads them: two thread siblings whose
     * {@code core_id}s differ in one package are two cores sharing a unit, not SMT threads of one
     * core. Each CPU's core becomes the siblings with its own {@code core_id}; the whole sibling set
     * is kept as {@link Facts#unitSet}, the cluster above them. Siblings whose {@code core_id} is
     * unknown stay in the core (no evidence to split on). Reads only {@code kernelCoreId} and
     * {@code kernelPackageId} of the siblings, so the order of the loop does not matter.
     */
    private static void splitComputeUnits(Map<Integer, Facts> facts) {
        for (Facts f : facts.values()) {
            if (!f.online || f.coreSet == null || f.coreSet.size() < 2 || f.kernelCoreId < 0) {
                continue;
            }
            CpuSet.Builder sameCore = CpuSet.builder().add(f.cpu);
            boolean split = false;
            for (int s : f.coreSet.toArray()) {
                Facts sibling = facts.get(s);
                if (sibling == null || s == f.cpu) {
                    continue;
                }
                if (sibling.kernelCoreId >= 0 && sibling.kernelCoreId != f.kernelCoreId
                        && sibling.kernelPackageId == f.kernelPackageId) {
                    split = true;
                } else {
                    sameCore.add(s);
                }
            }
            if (split) {
                f.unitSet = f.coreSet;
                f.coreSet = sameCore.build();
            }
        }
    }

    /** The kernel's cluster, or the compute unit where that is larger (or the kernel names none). */
    private static CpuSet clusterOf(Facts f) {
        if (f.unitSet != null && (f.clusterSet == null || !f.clusterSet.containsAll(f.unitSet))) {
            return f.unitSet;
        }
        return f.clusterSet;
    }

    /**
     * Where the kernel names no cluster (before {@code cluster_cpus}, Linux 5.16): the CPUs of the
     * highest cache below the last level that more than the core shares (an L2 of four Intel
     * E-cores), or {@code null}. Such a cache is what a cluster is on x86.
     */
    private static CpuSet sharedMidLevelCache(Facts f, CpuSet withTopology) {
        Cache llc = lastLevelCache(f.caches);
        CpuSet core = f.coreSet == null ? CpuSet.of(f.cpu) : closed(f.coreSet, f.cpu, withTopology);
        CpuSet best = null;
        int bestLevel = 0;
        for (Cache cache : f.caches) {
            if (cache != llc && cache.holdsData() && cache.level() > bestLevel && llc != null
                    && cache.level() < llc.level() && cache.sharedBy().containsAll(core)
                    && cache.sharedBy().size() > core.size()) {
                best = cache.sharedBy();
                bestLevel = cache.level();
            }
        }
        return best;
    }

    /** The CPUs of {@code f}'s physical core, or a cpuinfo key, or the CPU alone. */
    private Object coreKey(Facts f, CpuSet withTopology) {
        if (f.coreSet != null) {
            return closed(f.coreSet, f.cpu, withTopology);
        }
        CpuInfo.Entry entry = cpuInfo().entry(f.cpu);
        if (entry != null && entry.physicalId() >= 0 && entry.coreId() >= 0) {
            return "cpuinfo core " + entry.physicalId() + "/" + entry.coreId();
        }
        return CpuSet.of(f.cpu);
    }

    private Object packageKey(Facts f, CpuSet withTopology) {
        if (f.packageSet != null) {
            return closed(f.packageSet, f.cpu, withTopology);
        }
        if (f.kernelPackageId >= 0) {
            return "package id " + f.kernelPackageId;
        }
        CpuInfo.Entry entry = cpuInfo().entry(f.cpu);
        if (entry != null && entry.physicalId() >= 0) {
            return "package id " + entry.physicalId();
        }
        return null;
    }

    /** A sibling list as a group key: the CPU itself always belongs; CPUs not read are left out. */
    private static CpuSet closed(CpuSet siblings, int cpu, CpuSet withTopology) {
        return siblings.intersect(withTopology).with(cpu);
    }

    private static Map<Integer, Integer> kernelPackageIds(Map<Integer, Facts> facts) {
        Map<Integer, Integer> ids = new HashMap<>();
        for (Facts f : facts.values()) {
            if (f.online) {
                ids.put(f.cpu, f.kernelPackageId);
            }
        }
        return ids;
    }

    /** Warns where a CPU's sibling list names CPUs that another group claims. */
    private void checkConsistent(String what, Map<Integer, Object> keys, Map<Integer, Integer> ids,
                                 Map<Integer, CpuSet> groups) {
        for (Map.Entry<Integer, Object> e : keys.entrySet()) {
            if (e.getValue() instanceof CpuSet set) {
                CpuSet group = groups.get(ids.get(e.getKey()));
                if (!group.equals(set)) {
                    warnings.add("cpu " + e.getKey() + ": its " + what + " siblings " + set
                            + " disagree with theirs; grouped with " + group);
                    return; // one line says the tree is inconsistent; more would be noise
                }
            }
        }
    }

    private static Cache lastLevelCache(List<Cache> caches) {
        Cache best = null;
        for (Cache cache : caches) {
            if (cache.holdsData() && (best == null || cache.level() > best.level())) {
                best = cache;
            }
        }
        return best;
    }

    private CpuSet allowed(CgroupLimits cgroup, CpuSet online) {
        if (liveAllowed != null) {
            return liveAllowed.intersect(online);
        }
        if (cgroup.cpuset() != null) {
            return cgroup.cpuset().intersect(online);
        }
        String status = SysFiles.readOptional(root.resolve("proc/self/status"));
        if (status != null) {
            for (String line : status.split("\n")) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    CpuSet listed = parseOrWarn(line.substring(line.indexOf(':') + 1), "proc/self/status Cpus_allowed_list");
                    if (listed != null) {
                        return listed.intersect(online);
                    }
                }
            }
        }
        return online;
    }

    /** The minimum when nothing can be read: {@code availableProcessors()} CPUs in one package. */
    private CpuTopology degraded(CpuSet possible) {
        int n = Runtime.getRuntime().availableProcessors();
        List<Cpu> cpus = new ArrayList<>();
        for (int c = 0; c < n; c++) {
            cpus.add(new Cpu(c, true, true, false, c, 0, Cpu.UNKNOWN, Cpu.UNKNOWN, 0, Cpu.UNKNOWN,
                    CoreKind.UNKNOWN, CpuSet.of(c), List.of()));
        }
        CpuSet all = n == 0 ? CpuSet.empty() : CpuSet.range(0, n - 1);
        NumaNode node = new NumaNode(0, all, Map.of(0, 10));
        return new CpuTopology(cpus, List.of(node), possible.union(all), all, Double.NaN, warnings);
    }

    // ---------------------------------------------------------------- cpus

    private CpuSet readOnline(Map<Integer, Facts> facts) {
        CpuSet listed = optionalList(cpuDir.resolve("online"));
        if (listed != null) {
            for (Facts f : facts.values()) {
                f.online = listed.contains(f.cpu);
            }
            return listed.intersect(keys(facts));
        }
        CpuSet online = CpuSet.empty();
        for (Facts f : facts.values()) {
            Path file = cpuDir.resolve("cpu" + f.cpu).resolve("online");
            String text = SysFiles.readOptional(file);
            // No per-cpu online file: that cpu cannot be taken offline (cpu0 on most machines).
            f.online = text == null || !text.equals("0");
            if (text != null && !text.equals("0") && !text.equals("1")) {
                warnings.add(rel(file) + ": \"" + text + "\" is not 0 or 1; taking the cpu as online");
            }
            if (f.online) {
                online = online.with(f.cpu);
            }
        }
        return online;
    }

    private static CpuSet keys(Map<Integer, Facts> facts) {
        return CpuSet.of(facts.keySet().stream().mapToInt(Integer::intValue).toArray());
    }

    /** Reads {@code cpuN/topology}; false when the folder is missing or says nothing usable. */
    private boolean readTopology(Facts f) {
        Path dir = cpuDir.resolve("cpu" + f.cpu).resolve("topology");
        if (!Files.isDirectory(dir)) {
            if (cpuInfo().entry(f.cpu) == null) {
                warnings.add(rel(dir) + ": missing for online cpu " + f.cpu + "; taking it as a core of its own");
            }
            return false;
        }
        f.hasTopology = true;
        f.coreSet = siblingList(dir, "core_cpus", "thread_siblings");
        f.packageSet = siblingList(dir, "package_cpus", "core_siblings");
        f.dieSet = siblingList(dir, "die_cpus", null);
        f.clusterSet = siblingList(dir, "cluster_cpus", null);
        f.kernelPackageId = optionalInt(dir.resolve("physical_package_id"));
        f.kernelCoreId = optionalInt(dir.resolve("core_id"));
        if (f.coreSet == null && f.packageSet == null) {
            warnings.add(rel(dir) + ": no sibling lists for cpu " + f.cpu + "; taking it as a core of its own");
        }
        return true;
    }

    /**
     * A sibling list in any of its forms: {@code NAME_list}, {@code NAME} (mask), then the older
     * name's two forms.
     */
    private CpuSet siblingList(Path dir, String name, String olderName) {
        for (String base : olderName == null ? new String[] {name} : new String[] {name, olderName}) {
            for (Path file : new Path[] {dir.resolve(base + "_list"), dir.resolve(base)}) {
                if (!Files.exists(file)) {
                    continue;
                }
                CpuSet set = file.getFileName().toString().endsWith("_list") ? readList(file) : readMask(file);
                if (set != null && set.isEmpty()) {
                    // Every sibling list holds at least its own CPU: an empty one is damage.
                    warnings.add(rel(file) + ": empty; ignored");
                } else if (set != null) {
                    return set;
                }
            }
        }
        return null;
    }

    private CpuSet cpuInfoProcessors() {
        return CpuSet.of(cpuInfo().entries().keySet().stream()
                .filter(p -> p <= CpuSet.MAX_CPU).mapToInt(Integer::intValue).toArray());
    }

    private CpuInfo cpuInfo() {
        if (cpuInfo == null) {
            Path file = root.resolve("proc/cpuinfo");
            String text = SysFiles.readOptional(file);
            cpuInfo = text == null ? CpuInfo.empty() : CpuInfo.parse(text);
        }
        return cpuInfo;
    }

    // ---------------------------------------------------------------- caches

    private List<Cache> readCaches(Facts f, CpuSet online, CpuSet withTopology, Map<Cache, Cache> interner) {
        Path dir = cpuDir.resolve("cpu" + f.cpu).resolve("cache");
        CpuSet core = f.coreSet == null ? CpuSet.of(f.cpu) : closed(f.coreSet, f.cpu, withTopology);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Cache> caches = new ArrayList<>();
        for (int index : listNumbered(dir, CACHE_DIR).toArray()) {
            Cache cache = readCache(dir.resolve("index" + index), f.cpu, core, online);
            if (cache != null) {
                caches.add(interner.computeIfAbsent(cache, c -> c));
            }
        }
        caches.sort((a, b) -> a.level() != b.level() ? Integer.compare(a.level(), b.level())
                : a.type().compareTo(b.type()));
        return caches;
    }

    private Cache readCache(Path dir, int cpu, CpuSet core, CpuSet online) {
        int level = optionalInt(dir.resolve("level"));
        String typeText = SysFiles.readOptional(dir.resolve("type"));
        Cache.Type type = typeText == null ? null : switch (typeText) {
            case "Data" -> Cache.Type.DATA;
            case "Instruction" -> Cache.Type.INSTRUCTION;
            case "Unified" -> Cache.Type.UNIFIED;
            default -> null;
        };
        if (level < 1 || type == null) {
            warnings.add(rel(dir) + ": no usable level or type (" + level + ", " + typeText + "); cache skipped");
            return null;
        }
        CpuSet shared = sharedBy(dir, cpu, core).intersect(online).with(cpu);
        return new Cache(level, type, parseSize(dir.resolve("size")), shared);
    }

    /**
     * The CPUs sharing the cache of {@code dir}: the list, else the mask. Invariant of the kernel:
     * both name the cache's own CPU. A list that does not is damage (the mask is read instead, and
     * a warning says so); an all-zero mask is an old ia64 kernel's way of saying "this core's".
     */
    private CpuSet sharedBy(Path dir, int cpu, CpuSet core) {
        Path listFile = dir.resolve("shared_cpu_list");
        Path maskFile = dir.resolve("shared_cpu_map");
        CpuSet list = Files.exists(listFile) ? readList(listFile) : null;
        if (list != null && list.contains(cpu)) {
            return list;
        }
        CpuSet mask = Files.exists(maskFile) ? readMask(maskFile) : null;
        if (list != null && !list.isEmpty()) {
            warnings.add(rel(listFile) + ": " + list + " does not contain cpu " + cpu + " itself; "
                    + (mask == null ? "no shared_cpu_map to read instead, taking the list with cpu " + cpu
                            : "read shared_cpu_map instead (" + (mask.isEmpty() ? "all zeros: the core's cpus "
                                    + core : mask.with(cpu).toString()) + ")"));
            if (mask == null) {
                return list;
            }
        }
        if (mask == null) {
            return CpuSet.empty(); // the cache is the CPU's own: the caller adds the CPU
        }
        // hwloc: "ia64 returning empty L3 and L2i? use the core set instead".
        return mask.isEmpty() ? core : mask;
    }

    /** {@code 32K}, {@code 1024K}, {@code 8M}: the kernel's cache size format; -1 when absent or odd. */
    private long parseSize(Path file) {
        String text = SysFiles.readOptional(file);
        if (text == null || text.isEmpty()) {
            return -1;
        }
        Matcher m = Pattern.compile("(\\d{1,12})\\s*([KMG]?)i?B?").matcher(text);
        if (!m.matches()) {
            warnings.add(rel(file) + ": \"" + text + "\" is not a size like 32K; size unknown");
            return -1;
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "K" -> n << 10;
            case "M" -> n << 20;
            case "G" -> n << 30;
            default -> n;
        };
    }

    // ---------------------------------------------------------------- numa

    /** Reads {@code sys/devices/system/node}: node CPU lists and distance rows. */
    private final class NumaReader {
        List<NumaNode> read(CpuSet online) {
            CpuSet ids = listNumbered(nodeDir, NODE_DIR);
            if (ids.isEmpty()) {
                // A kernel without NUMA support: one node holding every CPU.
                return List.of(new NumaNode(0, online, Map.of(0, 10)));
            }
            CpuSet order = optionalList(nodeDir.resolve("online"));
            if (order == null || !order.containsAll(ids)) {
                order = ids;
            }
            List<NumaNode> nodes = new ArrayList<>();
            for (int id : ids.toArray()) {
                Path dir = nodeDir.resolve("node" + id);
                CpuSet cpus = null;
                if (Files.exists(dir.resolve("cpulist"))) {
                    cpus = readList(dir.resolve("cpulist"));
                }
                if (cpus == null && Files.exists(dir.resolve("cpumap"))) {
                    cpus = readMask(dir.resolve("cpumap"));
                }
                nodes.add(new NumaNode(id, cpus == null ? CpuSet.empty() : cpus, distances(dir, order)));
            }
            return nodes;
        }

        /** Row i of nodeN/distance is the distance to the i-th online node. */
        private Map<Integer, Integer> distances(Path dir, CpuSet order) {
            Path file = dir.resolve("distance");
            String text = SysFiles.readOptional(file);
            if (text == null || text.isEmpty()) {
                return Map.of();
            }
            String[] fields = text.split("\\s+");
            if (fields.length != order.size()) {
                warnings.add(rel(file) + ": " + fields.length + " distances for " + order.size()
                        + " nodes (" + order + "); distances unknown");
                return Map.of();
            }
            Map<Integer, Integer> row = new HashMap<>();
            for (int i = 0; i < fields.length; i++) {
                try {
                    row.put(order.get(i), Integer.parseInt(fields[i]));
                } catch (NumberFormatException e) {
                    warnings.add(rel(file) + ": \"" + fields[i] + "\" is not a distance; distances unknown");
                    return Map.of();
                }
            }
            return row;
        }
    }

    // ---------------------------------------------------------------- isolation and kinds

    private CpuSet readIsolated() {
        CpuSet isolated = optionalList(cpuDir.resolve("isolated"));
        CpuSet nohzFull = optionalList(cpuDir.resolve("nohz_full"));
        if (isolated == null || nohzFull == null) {
            String cmdline = SysFiles.readOptional(root.resolve("proc/cmdline"));
            if (cmdline != null) {
                for (String arg : cmdline.split("\\s+")) {
                    if (isolated == null && arg.startsWith("isolcpus=")) {
                        isolated = cmdlineList(arg.substring("isolcpus=".length()));
                    } else if (nohzFull == null && arg.startsWith("nohz_full=")) {
                        nohzFull = cmdlineList(arg.substring("nohz_full=".length()));
                    }
                }
            }
        }
        CpuSet result = isolated == null ? CpuSet.empty() : isolated;
        return nohzFull == null ? result : result.union(nohzFull);
    }

    /** {@code isolcpus=[flag,...,]list}: flags are words (domain, nohz, managed_irq). */
    private CpuSet cmdlineList(String value) {
        String[] parts = value.split(",");
        int first = 0;
        while (first < parts.length && !parts[first].isEmpty() && Character.isLetter(parts[first].charAt(0))) {
            first++;
        }
        String list = String.join(",", Arrays.copyOfRange(parts, first, parts.length));
        return Objects.requireNonNullElse(parseOrWarn(list, "proc/cmdline " + value), CpuSet.empty());
    }

    private Map<Integer, CoreKind> readKinds(CpuSet online) {
        CpuSet pCores = optionalList(root.resolve("sys/devices/cpu_core/cpus"));
        CpuSet eCores = optionalList(root.resolve("sys/devices/cpu_atom/cpus"));
        Map<String, Map<Integer, Long>> metrics = new LinkedHashMap<>();
        metrics.put("cpu_capacity", perCpu(online, "cpu_capacity"));
        metrics.put("base_frequency", perCpu(online, "cpufreq/base_frequency"));
        metrics.put("cpuinfo_max_freq", perCpu(online, "cpufreq/cpuinfo_max_freq"));
        return HybridKinds.classify(pCores, eCores, metrics, online);
    }

    private Map<Integer, Long> perCpu(CpuSet online, String file) {
        Map<Integer, Long> values = new TreeMap<>();
        for (int cpu : online.toArray()) {
            String text = SysFiles.readOptional(cpuDir.resolve("cpu" + cpu).resolve(file));
            if (text == null) {
                return Map.of(); // the metric must cover every online CPU to compare them
            }
            try {
                values.put(cpu, Long.parseLong(text));
            } catch (NumberFormatException e) {
                warnings.add(rel(cpuDir.resolve("cpu" + cpu).resolve(file)) + ": \"" + text + "\" is not a number");
                return Map.of();
            }
        }
        return values;
    }

    // ---------------------------------------------------------------- file helpers

    /** The numbers N of the entries named like {@code pattern} (cpuN, nodeN) that are folders. */
    private CpuSet listNumbered(Path dir, Pattern pattern) {
        if (!Files.isDirectory(dir)) {
            return CpuSet.empty();
        }
        List<Integer> numbers = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                Matcher m = pattern.matcher(entry.getFileName().toString());
                if (m.matches() && Files.isDirectory(entry)) {
                    int n = Integer.parseInt(m.group(1));
                    if (n <= CpuSet.MAX_CPU) {
                        numbers.add(n);
                    } else {
                        warnings.add(rel(entry) + ": number past the largest supported cpu " + CpuSet.MAX_CPU + "; skipped");
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            warnings.add(rel(dir) + ": cannot list (" + e.getMessage() + ")");
        }
        return CpuSet.of(numbers.stream().mapToInt(Integer::intValue).toArray());
    }

    /** A list file that may be absent; a present but malformed one is a warning and {@code null}. */
    private CpuSet optionalList(Path file) {
        return Files.exists(file) ? readList(file) : null;
    }

    private CpuSet readList(Path file) {
        try {
            return parseOrWarn(SysFiles.read(file).strip(), rel(file));
        } catch (IOException e) {
            warnings.add(rel(file) + ": cannot read (" + e.getMessage() + ")");
            return null;
        }
    }

    private CpuSet readMask(Path file) {
        try {
            return CpuSet.parseMask(SysFiles.read(file).strip());
        } catch (IOException e) {
            warnings.add(rel(file) + ": cannot read (" + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {
            warnings.add(rel(file) + ": " + e.getMessage());
        }
        return null;
    }

    private CpuSet parseOrWarn(String text, String where) {
        try {
            return CpuSet.parse(text);
        } catch (IllegalArgumentException e) {
            warnings.add(where + ": " + e.getMessage());
            return null;
        }
    }

    /** An integer file that may be absent; -1 when absent or malformed. */
    private int optionalInt(Path file) {
        String text = SysFiles.readOptional(file);
        if (text == null) {
            return -1;
        }
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            warnings.add(rel(file) + ": \"" + text + "\" is not a number");
            return -1;
        }
    }

    private String rel(Path file) {
        return file.startsWith(root) ? root.relativize(file).toString() : file.toString();
    }
}
