package io.coremanager.topology;

import io.coremanager.CpuSet;

import java.util.List;
import java.util.Objects;

/**
 * One logical CPU (a hardware thread) as the kernel describes it.
 *
 * <p>{@code core}, {@code pkg}, {@code die}, {@code cluster}, {@code node} and {@code llc} are ids
 * unique across the machine: two CPUs share a physical core (package, die, cluster, NUMA node,
 * last-level cache) exactly when their ids are equal. They are {@link #UNKNOWN} where the kernel
 * does not say: offline CPUs, or no cache information. {@code pkg} and {@code node} are the kernel's
 * own numbers where those are unique ({@code physical_package_id}, {@code nodeN}); the others
 * number the groups in the order of their lowest CPU.
 *
 * @param cpu the kernel's CPU number
 * @param online whether the CPU is online
 * @param allowed whether this process may run on it now (an offline CPU never is)
 * @param isolated whether it is isolated from the scheduler ({@code isolcpus}, {@code nohz_full})
 * @param core the physical core's id
 * @param pkg the package (socket)'s id
 * @param die the die's id, where the kernel has dies
 * @param cluster the cluster's id (cores sharing an L2 or a cluster on ARM), where the kernel says
 * @param node the NUMA node
 * @param llc the last-level cache's id
 * @param kind performance or efficiency core on a hybrid machine
 * @param siblings the SMT siblings: the online CPUs of the same physical core, this one included
 * @param caches the caches this CPU uses, from L1 up
 */
public record Cpu(int cpu, boolean online, boolean allowed, boolean isolated,
                  int core, int pkg, int die, int cluster, int node, int llc,
                  CoreKind kind, CpuSet siblings, List<Cache> caches) {

    /** The value of an id the kernel does not give. */
    public static final int UNKNOWN = -1;

    /** Checks and copies the components. */
    public Cpu {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(siblings, "siblings");
        caches = List.copyOf(caches);
    }

    /**
     * Whether this process may pin work here: online, allowed and not isolated.
     *
     * @return true when work may be pinned here by default
     */
    public boolean usable() {
        return online && allowed && !isolated;
    }

    /**
     * The last-level cache, or {@code null} when the kernel gives no caches.
     *
     * @return the data or unified cache of the highest level, or {@code null}
     */
    public Cache lastLevelCache() {
        Cache best = null;
        for (Cache cache : caches) {
            if (cache.holdsData() && (best == null || cache.level() > best.level())) {
                best = cache;
            }
        }
        return best;
    }
}
