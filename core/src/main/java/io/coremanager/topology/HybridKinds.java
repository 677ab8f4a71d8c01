package io.coremanager.topology;

import io.coremanager.CpuSet;

import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.List;

/**
 * Tells performance cores from efficiency cores.
 *
 * <p>In order of trust: the Intel hybrid PMU device lists ({@code /sys/devices/cpu_core/cpus} and
 * {@code cpu_atom/cpus}); else CPUs that differ in {@code cpu_capacity} (ARM big.LITTLE, recent x86
 * hybrid kernels), in cpufreq {@code base_frequency} (intel_pstate on hybrid parts) or in
 * {@code cpuinfo_max_freq}. A metric splits the CPUs into tiers where sorted values jump by more
 * than {@value #TIER_GAP_PERCENT}%: small spreads are one tier, so Turbo Boost Max 3.0's favoured
 * cores (a few hundred MHz more) do not make a uniform machine look hybrid. The slowest tier is
 * efficiency, all faster tiers performance.
 */
final class HybridKinds {

    static final int TIER_GAP_PERCENT = 10;

    private HybridKinds() {
    }

    /** The kind of each CPU, or an empty map where the machine is not (known to be) hybrid. */
    static Map<Integer, CoreKind> classify(CpuSet pCores, CpuSet eCores, Map<String, Map<Integer, Long>> metrics,
                                           CpuSet online) {
        Map<Integer, CoreKind> kinds = new TreeMap<>();
        if (pCores != null && eCores != null && !pCores.isEmpty() && !eCores.isEmpty()) {
            pCores.forEachCpu(c -> kinds.put(c, CoreKind.PERFORMANCE));
            eCores.forEachCpu(c -> kinds.put(c, CoreKind.EFFICIENCY));
            return kinds;
        }
        for (Map<Integer, Long> metric : metrics.values()) {
            if (metric.isEmpty() || !metric.keySet().containsAll(toList(online))) {
                continue;
            }
            long slowTierTop = slowestTierTop(metric);
            if (slowTierTop < 0) {
                continue;
            }
            metric.forEach((cpu, value) -> {
                if (online.contains(cpu)) {
                    kinds.put(cpu, value <= slowTierTop ? CoreKind.EFFICIENCY : CoreKind.PERFORMANCE);
                }
            });
            return kinds;
        }
        return kinds;
    }

    /** The largest value of the slowest tier, or -1 when all values form one tier. */
    static long slowestTierTop(Map<Integer, Long> metric) {
        TreeSet<Long> values = new TreeSet<>(metric.values());
        Long previous = null;
        for (long value : values) {
            if (previous != null && previous > 0 && (value - previous) * 100 > previous * TIER_GAP_PERCENT) {
                return previous;
            }
            previous = value;
        }
        return -1;
    }

    private static List<Integer> toList(CpuSet set) {
        return set.stream().boxed().toList();
    }
}
