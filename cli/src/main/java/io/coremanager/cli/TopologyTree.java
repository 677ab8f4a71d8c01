package io.coremanager.cli;

import io.coremanager.CpuSet;
import io.coremanager.topology.Cache;
import io.coremanager.topology.CoreKind;
import io.coremanager.topology.Cpu;
import io.coremanager.topology.CpuTopology;
import io.coremanager.topology.NumaNode;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Prints a topology as a tree a person reads at a glance: package, NUMA node, last-level cache,
 * cluster, core, CPUs. A level with a single child shares its line with that child, so a machine of
 * one package stays short and a 256-CPU machine takes a line per core. The cluster level appears
 * only for clusters of more than one core (an L2 shared by four Intel E-cores, an ARM cluster, an
 * AMD compute unit); a cluster of one core is no level of its own:
 *
 * <pre>
 * package 0 &gt; NUMA node 0 &gt; L3 32 MiB  cpus 0-7
 *   core 0  cpus 0,4  SMT
 *   core 1  cpus 1,5[isolated]  SMT
 * offline: cpus 8-15
 * 1 package, 1 NUMA node, 4 cores, 16 CPUs (offline: 8-15); this process may use 0-7
 * </pre>
 *
 * CPUs that this process may not use carry {@code [not allowed]}, isolated ones {@code [isolated]}.
 */
final class TopologyTree {

    /** One level of the tree: how CPUs group at it and how a group is labelled. */
    private record Level(ToIntFunction<Cpu> key, Function<Cpu, String> label) {
    }

    private final PrintWriter out;
    private List<Level> levels;

    TopologyTree(PrintWriter out) {
        this.out = out;
    }

    /**
     * The levels for {@code topology}. A CPU in a cluster of one core gets a key of its own core
     * (negative, so never equal to a cluster id) and an empty label: that level then never shows.
     */
    private static List<Level> levels(CpuTopology topology) {
        CpuSet inClusters = topology.clusters().stream().reduce(CpuSet.empty(), CpuSet::union);
        return List.of(
                new Level(Cpu::pkg, cpu -> "package " + id(cpu.pkg())),
                new Level(Cpu::node, cpu -> "NUMA node " + id(cpu.node())),
                new Level(Cpu::llc, TopologyTree::cacheLabel),
                new Level(cpu -> inClusters.contains(cpu.cpu()) ? cpu.cluster() : -2 - cpu.core(),
                        cpu -> inClusters.contains(cpu.cpu()) ? clusterLabel(cpu) : ""),
                new Level(Cpu::core, cpu -> "core " + id(cpu.core())));
    }

    void print(CpuTopology topology) {
        levels = levels(topology);
        List<Cpu> online = topology.cpus().stream().filter(Cpu::online).toList();
        printGroup(online, 0, "", "");
        CpuSet offline = topology.allCpus().minus(topology.onlineCpus());
        if (!offline.isEmpty()) {
            out.println("offline: cpus " + offline);
        }
        printDistances(topology.nodes());
        for (String warning : topology.warnings()) {
            out.println("warning: " + warning);
        }
        out.println(topology.summary());
    }

    /** Prints the groups of {@code cpus} at {@code level}; {@code head} is a collapsed parent's label. */
    private void printGroup(List<Cpu> cpus, int level, String indent, String head) {
        if (level == levels.size()) {
            out.println(indent + head + "  cpus " + cpuList(cpus) + coreTraits(cpus));
            return;
        }
        Map<Integer, List<Cpu>> groups = groupBy(cpus, levels.get(level).key());
        for (List<Cpu> group : groups.values()) {
            String label = levels.get(level).label().apply(group.getFirst());
            String line = label.isEmpty() ? head : head.isEmpty() ? label : head + " > " + label;
            if (level + 1 < levels.size() && groupBy(group, levels.get(level + 1).key()).size() > 1) {
                out.println(indent + line + "  cpus " + numbers(group));
                printGroup(group, level + 1, indent + "  ", "");
            } else {
                printGroup(group, level + 1, indent, line);
            }
        }
    }

    private void printDistances(List<NumaNode> nodes) {
        if (nodes.size() < 2 || nodes.stream().anyMatch(n -> n.distances().isEmpty())) {
            return;
        }
        out.println("NUMA distances:");
        StringBuilder row = new StringBuilder("  node");
        for (NumaNode n : nodes) {
            row.append(String.format("%5d", n.id()));
        }
        out.println(row);
        for (NumaNode from : nodes) {
            row = new StringBuilder(String.format("  %4d", from.id()));
            for (NumaNode to : nodes) {
                row.append(String.format("%5s", from.distanceTo(to.id()).isPresent()
                        ? Integer.toString(from.distanceTo(to.id()).getAsInt()) : "?"));
            }
            out.println(row);
        }
    }

    private static Map<Integer, List<Cpu>> groupBy(List<Cpu> cpus, ToIntFunction<Cpu> key) {
        Map<Integer, List<Cpu>> groups = new LinkedHashMap<>();
        for (Cpu cpu : cpus) {
            groups.computeIfAbsent(key.applyAsInt(cpu), k -> new ArrayList<>()).add(cpu);
        }
        return groups;
    }

    private static String id(int id) {
        return id == Cpu.UNKNOWN ? "?" : Integer.toString(id);
    }

    private static String cacheLabel(Cpu cpu) {
        Cache llc = cpu.lastLevelCache();
        if (llc == null) {
            return "no cache information";
        }
        return "L" + llc.level() + (llc.sizeBytes() >= 0 ? " " + Cache.formatSize(llc.sizeBytes()) : "");
    }

    /** {@code cluster 2 L2 2 MiB}: with the first cache below the last level that is shared beyond the core. */
    private static String clusterLabel(Cpu cpu) {
        Cache llc = cpu.lastLevelCache();
        for (Cache cache : cpu.caches()) {
            if (cache != llc && cache.holdsData() && cache.level() > 1
                    && cache.sharedBy().size() > cpu.siblings().size() && llc != null && cache.level() < llc.level()) {
                return "cluster " + id(cpu.cluster()) + " L" + cache.level()
                        + (cache.sizeBytes() >= 0 ? " " + Cache.formatSize(cache.sizeBytes()) : "");
            }
        }
        return "cluster " + id(cpu.cluster());
    }

    private static String coreTraits(List<Cpu> core) {
        String traits = core.size() > 1 ? "  SMT" : "";
        CoreKind kind = core.getFirst().kind();
        if (kind != CoreKind.UNKNOWN) {
            traits += kind == CoreKind.PERFORMANCE ? "  P-core" : "  E-core";
        }
        return traits;
    }

    /** {@code 0,16} with a mark on each CPU that this process may not use: {@code 5[not allowed]}. */
    private static String cpuList(List<Cpu> cpus) {
        StringBuilder list = new StringBuilder();
        for (Cpu cpu : cpus) {
            if (!list.isEmpty()) {
                list.append(',');
            }
            list.append(cpu.cpu());
            if (!cpu.allowed()) {
                list.append("[not allowed]");
            }
            if (cpu.isolated()) {
                list.append("[isolated]");
            }
        }
        return list.toString();
    }

    private static String numbers(List<Cpu> cpus) {
        return CpuSet.of(cpus.stream().mapToInt(Cpu::cpu).toArray()).toString();
    }
}
