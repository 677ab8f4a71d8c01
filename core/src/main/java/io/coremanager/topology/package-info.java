/**
 * CPU topology from sysfs: {@link io.coremanager.topology.CpuTopology} (packages, dies, clusters,
 * NUMA nodes, caches, physical cores, SMT siblings, hybrid core kinds, online/allowed/isolated
 * CPUs, cgroup quota), read from the live machine or from a snapshot folder; and measured:
 * {@link io.coremanager.topology.MeasuredTopology}, the core-to-core round-trip matrix and the
 * groups it shows, for where sysfs lies (virtual machines).
 *
 * <p>Uses {@link io.coremanager.CpuSet}, {@link io.coremanager.affinity.Affinity} (the live
 * machine's allowed CPUs, and pinning the two threads of a round-trip measurement) and the
 * readers of {@code io.coremanager.internal}; knows nothing of scheduling.
 */
package io.coremanager.topology;
