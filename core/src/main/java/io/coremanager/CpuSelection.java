package io.coremanager;

import io.coremanager.topology.CpuTopology;

import java.util.Objects;

/**
 * The CPU choice both builders ({@link CoreManager.Builder}, {@link PinnedThreadFactory.Builder})
 * embed: an explicit set or a placement, the topology, and whether isolated CPUs may be used. Their
 * public methods delegate here, so the choice and its refusals are written once ({@link CpuChoice}).
 * Not thread-safe, like the builders.
 */
final class CpuSelection {

    /** Explicit CPUs, or null to use {@link #placement}. */
    private CpuSet cpus;
    private Placement placement = Placement.allUsable();
    /** Null for {@link CpuTopology#current()}, read when the choice is made. */
    private CpuTopology topology;
    private boolean includeIsolated;

    void cpus(CpuSet cpus) {
        this.cpus = Objects.requireNonNull(cpus, "cpus");
    }

    void placement(Placement placement) {
        this.placement = Objects.requireNonNull(placement, "placement");
        this.cpus = null;
    }

    void topology(CpuTopology topology) {
        this.topology = Objects.requireNonNull(topology, "topology");
    }

    void includeIsolated(boolean includeIsolated) {
        this.includeIsolated = includeIsolated;
    }

    /** The topology to choose from: the one given, or the live machine's now. */
    CpuTopology resolveTopology() {
        return topology != null ? topology : CpuTopology.current();
    }

    /**
     * Chooses the CPUs on {@code t}, unsized by any quota; see {@link CpuChoice#choose}.
     *
     * @throws IllegalArgumentException if a chosen CPU cannot be used
     */
    CpuSet chooseCpus(CpuTopology t) {
        return CpuChoice.choose(t, cpus, placement, includeIsolated);
    }

    /**
     * Chooses the CPUs of lanes on {@code t}, sized by the quota; see {@link CpuChoice#chooseForLanes}.
     *
     * @throws IllegalArgumentException if a chosen CPU cannot be used (the message says which, why,
     *     and which CPUs can)
     */
    CpuChoice.Choice choose(CpuTopology t, boolean sizeByQuota) {
        return CpuChoice.chooseForLanes(t, cpus, placement, includeIsolated, sizeByQuota);
    }
}
