package io.coremanager;

import io.coremanager.topology.CpuTopology;

import java.util.ArrayList;
import java.util.List;

/**
 * Chooses a manager's CPUs: checks an explicit set against the topology, or applies a placement
 * to the usable CPUs. Every refusal names the CPUs, the reason, and what would be valid.
 */
final class CpuChoice {

    private CpuChoice() {
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
        CpuSet all = topology.allCpus();
        CpuSet missing = requested.minus(all);
        CpuSet offline = requested.minus(missing).minus(topology.onlineCpus());
        CpuSet notAllowed = requested.minus(missing).minus(offline).minus(topology.allowedCpus());
        CpuSet isolated = includeIsolated ? CpuSet.empty()
                : requested.intersect(topology.isolatedCpus()).minus(offline).minus(notAllowed);
        List<String> problems = new ArrayList<>();
        if (!missing.isEmpty()) {
            problems.add("cpus " + missing + " do not exist on this machine (cpus: " + all + ")");
        }
        if (!offline.isEmpty()) {
            problems.add("cpus " + offline + " are offline");
        }
        if (!notAllowed.isEmpty()) {
            problems.add("cpus " + notAllowed + " are not allowed for this process (allowed cpus: "
                    + topology.allowedCpus() + "; see taskset, the cgroup cpuset or the container's cpu limits)");
        }
        if (!isolated.isEmpty()) {
            problems.add("cpus " + isolated + " are isolated (isolcpus/nohz_full); call includeIsolated(true) "
                    + "to manage them");
        }
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
