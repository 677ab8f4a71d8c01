package io.coremanager;

import io.coremanager.topology.Cpu;
import io.coremanager.topology.CpuTopology;
import io.coremanager.topology.MeasuredTopology;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/** The orders behind {@link Placement#spread} and {@link Placement#pack}. */
final class PlacementOrder {

    private PlacementOrder() {
    }

    /** {@link Placement#allUsable()}: one instance, so the builder can tell the default placement by identity. */
    static final Placement ALL_USABLE = (topology, candidates) -> candidates;

    static CpuSet take(List<Integer> order, int count, String what, CpuSet candidates) {
        if (order.size() < count) {
            throw new IllegalArgumentException(what + ": only " + order.size() + " usable cpus (" + candidates + ")");
        }
        CpuSet.Builder kept = CpuSet.builder();
        order.subList(0, count).forEach(kept::add);
        return kept.build();
    }

    /** Round-robin at every level: package, node, last-level cache, core, sibling. */
    static List<Integer> spread(CpuTopology topology, CpuSet candidates) {
        return order(topology, candidates, true);
    }

    /** Caches one after another; within a cache, one CPU per core first, then the siblings. */
    static List<Integer> pack(CpuTopology topology, CpuSet candidates) {
        return order(topology, candidates, false);
    }

    /** Round-robin over measured clusters, within each over measured cores; unmeasured candidates last. */
    static List<Integer> measuredSpread(MeasuredTopology measured, CpuSet candidates) {
        List<List<Integer>> perCluster = new ArrayList<>();
        for (CpuSet cluster : measured.clusters()) {
            List<List<Integer>> perCore = new ArrayList<>();
            for (CpuSet core : measured.cores()) {
                // A core belongs to the cluster of its lowest CPU (siblings are never split by a level above them).
                if (cluster.contains(core.first())) {
                    perCore.add(new ArrayList<>(core.intersect(candidates).stream().boxed().toList()));
                }
            }
            perCluster.add(interleave(perCore));
        }
        List<Integer> ordered = interleave(perCluster);
        candidates.minus(measured.cpus()).forEachCpu(ordered::add);
        return ordered;
    }

    private static List<Integer> order(CpuTopology topology, CpuSet candidates, boolean spread) {
        List<Cpu> cpus = topology.cpus().stream().filter(c -> candidates.contains(c.cpu())).toList();
        List<Integer> ordered = orderLevel(cpus, 0, spread);
        // Candidates the topology does not know (a degraded reading) go last, in number order.
        CpuSet placed = CpuSet.of(ordered.stream().mapToInt(Integer::intValue).toArray());
        candidates.minus(placed).forEachCpu(ordered::add);
        return ordered;
    }

    private static final List<ToIntFunction<Cpu>> LEVELS =
            List.of(Cpu::pkg, Cpu::node, Cpu::llc, Cpu::core);

    private static List<Integer> orderLevel(List<Cpu> cpus, int level, boolean spread) {
        if (level == LEVELS.size()) {
            return new ArrayList<>(cpus.stream().map(Cpu::cpu).toList()); // siblings, in number order
        }
        Map<Integer, List<Cpu>> groups = new LinkedHashMap<>();
        for (Cpu cpu : cpus) {
            groups.computeIfAbsent(LEVELS.get(level).applyAsInt(cpu), k -> new ArrayList<>()).add(cpu);
        }
        List<List<Integer>> children = new ArrayList<>();
        for (List<Cpu> group : groups.values()) {
            children.add(orderLevel(group, level + 1, spread));
        }
        // Cores always interleave (first siblings first); higher levels interleave only to spread.
        boolean interleave = spread || level == LEVELS.size() - 1;
        return interleave ? interleave(children) : concat(children);
    }

    private static List<Integer> interleave(List<List<Integer>> lists) {
        List<Integer> result = new ArrayList<>();
        for (int round = 0; ; round++) {
            boolean any = false;
            for (List<Integer> list : lists) {
                if (round < list.size()) {
                    result.add(list.get(round));
                    any = true;
                }
            }
            if (!any) {
                return result;
            }
        }
    }

    private static List<Integer> concat(List<List<Integer>> lists) {
        List<Integer> result = new ArrayList<>();
        lists.forEach(result::addAll);
        return result;
    }
}
