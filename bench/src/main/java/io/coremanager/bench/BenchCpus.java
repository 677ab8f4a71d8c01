package io.coremanager.bench;

import io.coremanager.CpuSet;
import io.coremanager.topology.CpuTopology;

/** Which CPUs the suite uses: {@code -Dbench.caller} and {@code -Dbench.target}, else the first and last usable. */
public final class BenchCpus {

    private BenchCpus() {
    }

    /**
     * The CPUs this process may use.
     *
     * @return the usable CPUs
     */
    public static CpuSet usable() {
        return CpuTopology.current().usableCpus();
    }

    /**
     * The CPU the benchmark's caller (producer) is pinned to.
     *
     * @return {@code -Dbench.caller}, else the first usable CPU
     */
    public static int caller() {
        return Integer.getInteger("bench.caller", usable().first());
    }

    /**
     * The CPU the benchmark's target (consumer, lane) is pinned to.
     *
     * @return {@code -Dbench.target}, else the last usable CPU
     */
    public static int target() {
        return Integer.getInteger("bench.target", usable().last());
    }
}
