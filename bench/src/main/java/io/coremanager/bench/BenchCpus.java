package io.coremanager.bench;

import io.coremanager.CpuSet;
import io.coremanager.topology.CpuTopology;

/** Which CPUs the suite uses: {@code -Dbench.caller} and {@code -Dbench.target}, else the first and last usable. */
final class BenchCpus {

    private BenchCpus() {
    }

    static CpuSet usable() {
        return CpuTopology.current().usableCpus();
    }

    static int caller() {
        return Integer.getInteger("bench.caller", usable().first());
    }

    static int target() {
        return Integer.getInteger("bench.target", usable().last());
    }
}
