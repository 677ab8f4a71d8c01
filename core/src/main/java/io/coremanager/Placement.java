package io.coremanager;

import io.coremanager.topology.CoreKind;
import io.coremanager.topology.Cpu;
import io.coremanager.topology.CpuTopology;
import io.coremanager.topology.MeasuredTopology;
import io.coremanager.topology.NumaNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link CoreManager} chooses its CPUs from the machine's topology. A placement narrows a set
 * of candidate CPUs: the usable ones (online, allowed for the process, and not isolated unless
 * the builder includes isolated CPUs). Placements compose left to right with {@link #then}:
 *
 * <pre>{@code
 * Placement.performanceCores().then(Placement.onePerCore()).then(Placement.spread(8))
 * }</pre>
 *
 * <p>Orders: {@link #spread(int)} takes CPUs round-robin over packages, then NUMA nodes, then
 * last-level caches, then cores, first SMT siblings before second ones: lanes as far apart as the
 * machine allows (most cache and memory bandwidth). {@link #pack(int)} fills one last-level cache
 * (one CPU per core first, then the siblings) before the next, in package order: lanes as close as
 * possible (cheapest hand-offs between them).
 *
 * <p>Where sysfs cannot be trusted (a virtual machine whose vCPUs share host cores unseen),
 * {@link #measuredOnePerCore} and {@link #measuredSpread} place by a {@link MeasuredTopology}
 * instead: the groups the core-to-core round trips show.
 */
@FunctionalInterface
public interface Placement {

    /**
     * The CPUs this placement keeps of {@code candidates}.
     *
     * @param topology the machine
     * @param candidates the CPUs to choose from: usable ones, or what an earlier placement kept
     * @return the CPUs kept, a subset of {@code candidates}
     * @throws IllegalArgumentException if the placement cannot be met (naming what it needs and
     *     what the candidates were)
     */
    CpuSet select(CpuTopology topology, CpuSet candidates);

    /**
     * This placement, then {@code next} on what it kept.
     *
     * @param next the placement applied to what this one kept
     * @return the composed placement
     * @throws NullPointerException if {@code next} is {@code null}
     */
    default Placement then(Placement next) {
        Objects.requireNonNull(next, "next");
        return (topology, candidates) -> next.select(topology, select(topology, candidates));
    }

    /**
     * Every candidate: one lane per usable CPU. The default. Under a cgroup CPU quota below the
     * usable CPUs, {@link CoreManager.Builder#build()} sizes this placement to ⌈quota⌉ lanes placed
     * by {@link #spread(int)} (see {@link CoreManager.Builder#sizeByCpuQuota(boolean)}).
     *
     * @return the placement that keeps every candidate (always the same instance)
     */
    static Placement allUsable() {
        return PlacementOrder.ALL_USABLE;
    }

    /**
     * One CPU per physical core (its lowest candidate): no two lanes share a core's SMT siblings.
     *
     * @return the placement
     */
    static Placement onePerCore() {
        return (topology, candidates) -> {
            CpuSet.Builder kept = CpuSet.builder();
            for (CpuSet core : topology.cores()) {
                int first = core.intersect(candidates).first();
                if (first >= 0) {
                    kept.add(first);
                }
            }
            // CPUs the topology places in no core (degraded readings) stay: better a lane than none.
            CpuSet placed = topology.cores().stream().reduce(CpuSet.empty(), CpuSet::union);
            return kept.addAll(candidates.minus(placed)).build();
        };
    }

    /**
     * {@code count} CPUs spread as far apart as possible (see the class notes).
     *
     * @param count how many CPUs to keep
     * @return the placement; it throws {@link IllegalArgumentException} when fewer candidates remain
     * @throws IllegalArgumentException if {@code count} is not positive
     */
    static Placement spread(int count) {
        checkCount(count, "spread");
        return (topology, candidates) -> PlacementOrder.take(PlacementOrder.spread(topology, candidates), count,
                "spread(" + count + ")", candidates);
    }

    /**
     * {@code count} CPUs packed into as few last-level caches as possible (see the class notes).
     *
     * @param count how many CPUs to keep
     * @return the placement; it throws {@link IllegalArgumentException} when fewer candidates remain
     * @throws IllegalArgumentException if {@code count} is not positive
     */
    static Placement pack(int count) {
        checkCount(count, "pack");
        return (topology, candidates) -> PlacementOrder.take(PlacementOrder.pack(topology, candidates), count,
                "pack(" + count + ")", candidates);
    }

    /**
     * The candidates of NUMA node {@code node}.
     *
     * @param node the node number, as in {@code nodeN}
     * @return the placement; it throws {@link IllegalArgumentException} when the node does not exist or none of its CPUs is a candidate
     */
    static Placement numaNode(int node) {
        return (topology, candidates) -> {
            List<Integer> ids = new ArrayList<>();
            for (NumaNode n : topology.nodes()) {
                ids.add(n.id());
                if (n.id() == node) {
                    CpuSet kept = n.cpus().intersect(candidates);
                    if (kept.isEmpty()) {
                        throw new IllegalArgumentException("numaNode(" + node + "): none of its cpus (" + n.cpus()
                                + ") is usable (usable cpus: " + candidates + ")");
                    }
                    return kept;
                }
            }
            throw new IllegalArgumentException("numaNode(" + node + "): no such node (nodes: " + ids + ")");
        };
    }

    /**
     * The candidates on performance cores of a hybrid machine (Intel P-cores, ARM big cores); every
     * candidate on a machine that is not hybrid, so one configuration serves both.
     *
     * @return the placement; it throws {@link IllegalArgumentException} on a hybrid machine where no
     *     candidate is a performance core
     */
    static Placement performanceCores() {
        return (topology, candidates) -> {
            if (!topology.isHybrid()) {
                return candidates;
            }
            CpuSet kept = topology.cpusWhere(c -> c.kind() == CoreKind.PERFORMANCE).intersect(candidates);
            if (kept.isEmpty()) {
                throw new IllegalArgumentException("performanceCores(): no usable cpu is a performance core "
                        + "(performance cpus: " + topology.cpusWhere(c -> c.kind() == CoreKind.PERFORMANCE)
                        + "; usable cpus: " + candidates + ")");
            }
            return kept;
        };
    }

    /**
     * One CPU per measured core (its lowest candidate): where sysfs hides SMT siblings (a virtual
     * machine's vCPUs on one host core), the measurement does not. Candidates that were not
     * measured stay.
     *
     * @param measured a measurement of this machine ({@link CpuTopology#measure})
     * @return the placement
     * @throws NullPointerException if {@code measured} is {@code null}
     */
    static Placement measuredOnePerCore(MeasuredTopology measured) {
        Objects.requireNonNull(measured, "measured");
        return (topology, candidates) -> {
            CpuSet.Builder kept = CpuSet.builder();
            for (CpuSet core : measured.cores()) {
                int first = core.intersect(candidates).first();
                if (first >= 0) {
                    kept.add(first);
                }
            }
            return kept.addAll(candidates.minus(measured.cpus())).build();
        };
    }

    /**
     * {@code count} CPUs spread across the measured cache clusters: round-robin over the clusters,
     * within each over the measured cores, first siblings before second ones. Candidates that were
     * not measured come last.
     *
     * @param measured a measurement of this machine ({@link CpuTopology#measure})
     * @param count how many CPUs to keep
     * @return the placement
     * @throws IllegalArgumentException if {@code count} is not positive
     * @throws NullPointerException if {@code measured} is {@code null}
     */
    static Placement measuredSpread(MeasuredTopology measured, int count) {
        Objects.requireNonNull(measured, "measured");
        checkCount(count, "measuredSpread");
        return (topology, candidates) -> PlacementOrder.take(PlacementOrder.measuredSpread(measured, candidates), count,
                "measuredSpread(" + count + ")", candidates);
    }

    private static void checkCount(int count, String name) {
        if (count < 1) {
            throw new IllegalArgumentException(name + ": " + count + " (expected: 1 or more lanes)");
        }
    }
}
