package io.coremanager.topology;

import io.coremanager.CpuSet;

import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * A NUMA node: its kernel number, its CPUs and its row of the distance matrix
 * ({@code /sys/devices/system/node/nodeN/distance}: 10 is local, larger is farther).
 *
 * @param id the kernel's node number (sparse on some machines: 0, 1, 33, 72, ...)
 * @param cpus the CPUs of this node (may be empty: a memory-only node)
 * @param distances the distance from this node to each node, by node number
 */
public record NumaNode(int id, CpuSet cpus, Map<Integer, Integer> distances) {

    /** Checks and copies the components. */
    public NumaNode {
        Objects.requireNonNull(cpus, "cpus");
        distances = Map.copyOf(distances);
        if (id < 0) {
            throw new IllegalArgumentException("id: " + id + " (expected: 0 or more)");
        }
    }

    /**
     * The distance from this node to {@code node}, or empty when the kernel does not say.
     *
     * @param node the other node
     * @return the distance (10 is local), or empty
     */
    public OptionalInt distanceTo(int node) {
        Integer d = distances.get(node);
        return d == null ? OptionalInt.empty() : OptionalInt.of(d);
    }
}
