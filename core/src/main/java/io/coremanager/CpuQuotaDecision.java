package io.coremanager;

import io.coremanager.topology.CpuTopology;

import java.util.Locale;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * What the cgroup CPU quota did to a manager's size: the quota, the usable CPUs, the lanes
 * managed, and why that many. {@link CoreManager#quotaDecision()} gives a manager's;
 * {@link #forDefaultPlacement(CpuTopology)} says what {@link CoreManager#create()} would decide.
 *
 * <p>Why a quota sizes a manager: a CFS quota ({@code cpu.max} on cgroup v2,
 * {@code cpu.cfs_quota_us}/{@code cpu.cfs_period_us} on v1) is time per period for the whole
 * cgroup. Eight busy lanes under a quota of 2 CPUs use the period's 200 ms of CPU time in 25 ms of
 * wall time and are then all throttled until the next period: a lane's 10 ms task can take 100 ms.
 * ⌈quota⌉ lanes, spread apart, are never throttled by their own work alone.
 *
 * @param quotaCpus the quota in CPUs ({@code 2.5} = 250 ms per 100 ms), {@code NaN} when none applies
 * @param usableCpus how many CPUs were candidates (online, allowed, not isolated unless included)
 * @param lanes how many lanes the manager has
 * @param outcome what the builder did about the quota
 */
public record CpuQuotaDecision(double quotaCpus, int usableCpus, int lanes, Outcome outcome) {

    /** What the builder did about the quota. */
    public enum Outcome {
        /** No quota applies (or none could be read): the placement alone decided. */
        NO_QUOTA,
        /** The quota covers every lane: nothing to do. */
        QUOTA_COVERS_LANES,
        /** The default placement was sized down to ⌈quota⌉ lanes placed by {@link Placement#spread}. */
        SIZED_TO_QUOTA,
        /** Sizing was turned off ({@code sizeByCpuQuota(false)}): more lanes than the quota, throttled together when busy. */
        SIZING_OFF,
        /** Explicit CPUs or a placement chose more lanes than the quota: kept as asked, throttled together when busy. */
        CHOSEN_ABOVE_QUOTA
    }

    /**
     * Checks the components.
     *
     * @throws NullPointerException if {@code outcome} is {@code null}
     * @throws IllegalArgumentException if {@code usableCpus} or {@code lanes} is negative, or
     *     {@code quotaCpus} is neither {@code NaN} nor positive
     */
    public CpuQuotaDecision {
        Objects.requireNonNull(outcome, "outcome");
        if (usableCpus < 0 || lanes < 0) {
            throw new IllegalArgumentException("usableCpus: " + usableCpus + ", lanes: " + lanes
                    + " (expected: 0 or more)");
        }
        if (!Double.isNaN(quotaCpus) && !(quotaCpus > 0)) {
            throw new IllegalArgumentException("quotaCpus: " + quotaCpus + " (expected: NaN for none, or more than 0)");
        }
    }

    /**
     * What {@link CoreManager#create()} decides on {@code topology}: ⌈quota⌉ lanes where the quota
     * is below the usable CPUs, else one lane per usable CPU.
     *
     * @param topology the machine, with its quota and usable CPUs
     * @return the decision the default builder makes there
     * @throws NullPointerException if {@code topology} is {@code null}
     */
    public static CpuQuotaDecision forDefaultPlacement(CpuTopology topology) {
        Objects.requireNonNull(topology, "topology");
        int usable = topology.usableCpus().size();
        double quota = topology.cpuQuota().orElse(Double.NaN);
        if (Double.isNaN(quota)) {
            return new CpuQuotaDecision(quota, usable, usable, Outcome.NO_QUOTA);
        }
        int sized = lanesFor(quota);
        return sized < usable ? new CpuQuotaDecision(quota, usable, sized, Outcome.SIZED_TO_QUOTA)
                : new CpuQuotaDecision(quota, usable, usable, Outcome.QUOTA_COVERS_LANES);
    }

    /** ⌈quota⌉, at least 1: the lanes a quota keeps busy without throttling them. */
    static int lanesFor(double quotaCpus) {
        // A ratio of integers read from cgroup files: 200000/100000 is exactly 2.0, so ceil is safe.
        return (int) Math.max(1, Math.ceil(quotaCpus));
    }

    /**
     * The quota, when one applies.
     *
     * @return the quota in CPUs, or empty when none applies
     */
    public OptionalDouble quota() {
        return Double.isNaN(quotaCpus) ? OptionalDouble.empty() : OptionalDouble.of(quotaCpus);
    }

    /**
     * Whether busy lanes can exhaust the quota and be throttled together: more lanes than the quota.
     *
     * @return true when {@code lanes > quotaCpus}
     */
    public boolean throttlingLikely() {
        return !Double.isNaN(quotaCpus) && lanes > quotaCpus;
    }

    /**
     * One line for logs and {@code coremanager check}: {@code cgroup cpu quota 2.5 cpus below the
     * 8 usable cpus: 3 lanes placed by spread (sizeByCpuQuota(false) takes all 8)}.
     *
     * @return what the quota is and what was done about it
     */
    public String describe() {
        String quota = String.format(Locale.ROOT, "cgroup cpu quota %.2f cpus", quotaCpus);
        return switch (outcome) {
            case NO_QUOTA -> "no cgroup cpu quota: " + plural(lanes) + " for " + usableCpus + " usable cpus";
            case QUOTA_COVERS_LANES -> quota + " covers the " + plural(lanes);
            case SIZED_TO_QUOTA -> quota + " below the " + usableCpus + " usable cpus: " + plural(lanes)
                    + " placed by spread (sizeByCpuQuota(false) takes all " + usableCpus + ")";
            case SIZING_OFF -> quota + " but " + plural(lanes) + " (sizeByCpuQuota(false)): busy lanes share "
                    + "the quota and are throttled together";
            case CHOSEN_ABOVE_QUOTA -> quota + " but the chosen cpus make " + plural(lanes)
                    + ": busy lanes share the quota and are throttled together (at most " + lanesFor(quotaCpus)
                    + " lanes avoid it)";
        };
    }

    private static String plural(int lanes) {
        return lanes + (lanes == 1 ? " lane" : " lanes");
    }
}
