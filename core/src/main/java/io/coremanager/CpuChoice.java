package io.coremanager;

import io.coremanager.internal.CpuRefusals;
import io.coremanager.topology.CpuTopology;

import java.util.List;

/**
 * Chooses a manager's CPUs: checks an explicit set against the topology, or applies a placement
 * to the usable CPUs. Every refusal names the CPUs, the reason, and what would be valid.
 *
 * <p>Under a cgroup CPU quota the default placement ({@link Placement#allUsable()}) is sized to
 * ⌈quota⌉ lanes placed by {@link Placement#spread}; see {@link CpuQuotaDecision} for why. Explicit
 * CPUs and other placements are kept as asked; the log says when they exceed the quota.
 */
final class CpuChoice {

    private static final System.Logger LOG = System.getLogger("io.coremanager");

    private CpuChoice() {
    }

    /**
     * The CPUs chosen and what the quota did.
     *
     * @param cpus the CPUs to manage
     * @param quota the quota decision behind their number
     */
    record Choice(CpuSet cpus, CpuQuotaDecision quota) {
    }

    /**
     * {@link #choose(CpuTopology, CpuSet, Placement, boolean)}, sized by the quota when
     * {@code sizeByQuota} and the placement is the default; logs the decision where a quota applies.
     */
    static Choice chooseForLanes(CpuTopology topology, CpuSet explicit, Placement placement, boolean includeIsolated,
                                 boolean sizeByQuota) {
        CpuSet candidates = candidates(topology, includeIsolated);
        double quota = topology.cpuQuota().orElse(Double.NaN);
        boolean isDefault = explicit == null && placement == PlacementOrder.ALL_USABLE;
        Placement effective = placement;
        if (isDefault && sizeByQuota && !Double.isNaN(quota)
                && CpuQuotaDecision.lanesFor(quota) < candidates.size()) {
            effective = Placement.spread(CpuQuotaDecision.lanesFor(quota));
        }
        CpuSet chosen = choose(topology, explicit, effective, includeIsolated);
        CpuQuotaDecision decision = new CpuQuotaDecision(quota, candidates.size(), chosen.size(),
                outcome(quota, chosen.size(), isDefault, sizeByQuota, effective != placement));
        log(decision);
        return new Choice(chosen, decision);
    }

    private static CpuQuotaDecision.Outcome outcome(double quota, int lanes, boolean isDefault, boolean sizeByQuota,
                                                    boolean sized) {
        if (Double.isNaN(quota)) {
            return CpuQuotaDecision.Outcome.NO_QUOTA;
        }
        if (sized) {
            return CpuQuotaDecision.Outcome.SIZED_TO_QUOTA;
        }
        if (lanes <= CpuQuotaDecision.lanesFor(quota)) {
            return CpuQuotaDecision.Outcome.QUOTA_COVERS_LANES;
        }
        return isDefault && !sizeByQuota ? CpuQuotaDecision.Outcome.SIZING_OFF
                : CpuQuotaDecision.Outcome.CHOSEN_ABOVE_QUOTA;
    }

    private static void log(CpuQuotaDecision decision) {
        switch (decision.outcome()) {
            case NO_QUOTA, QUOTA_COVERS_LANES -> { } // nothing a reader of the log must know
            case SIZED_TO_QUOTA -> LOG.log(System.Logger.Level.INFO, decision.describe());
            case SIZING_OFF, CHOSEN_ABOVE_QUOTA -> LOG.log(System.Logger.Level.WARNING, decision.describe());
        }
    }

    /** The usable CPUs: online, allowed, and not isolated unless {@code includeIsolated}. */
    static CpuSet candidates(CpuTopology topology, boolean includeIsolated) {
        return topology.cpusWhere(c -> c.online() && c.allowed() && (includeIsolated || !c.isolated()));
    }

    static CpuSet choose(CpuTopology topology, CpuSet explicit, Placement placement, boolean includeIsolated) {
        CpuSet candidates = candidates(topology, includeIsolated);
        if (explicit != null) {
            check(topology, explicit, candidates, includeIsolated);
            return explicit;
        }
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no usable cpu: " + describe(topology));
        }
        CpuSet chosen = placement.select(topology, candidates);
        if (chosen == null || chosen.isEmpty()) {
            throw new IllegalArgumentException("the placement chose no cpu (usable cpus: " + candidates + ")");
        }
        if (!candidates.containsAll(chosen)) {
            throw new IllegalArgumentException("the placement chose cpus " + chosen.minus(candidates)
                    + " that are not usable (usable cpus: " + candidates + ")");
        }
        return chosen;
    }

    private static void check(CpuTopology topology, CpuSet requested, CpuSet candidates, boolean includeIsolated) {
        if (requested.isEmpty()) {
            throw new IllegalArgumentException("cpus: empty set (expected: at least one cpu; usable cpus: "
                    + candidates + ")");
        }
        List<String> problems = new CpuRefusals(topology.allCpus(), "cpus", topology.onlineCpus(),
                topology.allowedCpus(), "allowed cpus: " + topology.allowedCpus()
                        + "; see taskset, the cgroup cpuset or the container's cpu limits",
                includeIsolated ? CpuSet.empty() : topology.isolatedCpus()).reasons(requested);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("cpus " + requested + " cannot be managed: " + String.join("; ", problems)
                    + " (usable cpus: " + candidates + ")");
        }
    }

    private static String describe(CpuTopology topology) {
        return "online " + topology.onlineCpus() + ", allowed " + topology.allowedCpus() + ", isolated "
                + topology.isolatedCpus() + " (call includeIsolated(true) to manage isolated cpus)";
    }
}
