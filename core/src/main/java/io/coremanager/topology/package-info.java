/**
 * CPU topology from sysfs: {@link io.coremanager.topology.CpuTopology} (packages, dies, clusters,
 * NUMA nodes, caches, physical cores, SMT siblings, hybrid core kinds, online/allowed/isolated
 * CPUs, cgroup quota), read from the live machine or from a snapshot folder.
 *
 * <p>Uses {@link io.coremanager.CpuSet}, {@link io.coremanager.affinity.Affinity} (the live
 * machine's allowed CPUs) and the readers of {@code io.coremanager.internal}; knows nothing of
 * scheduling.
 */
package io.coremanager.topology;
