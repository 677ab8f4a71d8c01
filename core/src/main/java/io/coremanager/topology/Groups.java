package io.coremanager.topology;

import io.coremanager.CpuSet;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Turns per-CPU group keys (sibling sets, kernel ids) into machine-wide group ids. */
final class Groups {

    private Groups() {
    }

    /**
     * Ids for the CPUs of {@code keys} (in ascending CPU order): CPUs with equal keys share an id,
     * numbered 0, 1, ... in the order of each group's lowest CPU. A {@code null} key means "the
     * kernel does not say": that CPU gets no id.
     */
    static Map<Integer, Integer> ids(Map<Integer, Object> keys) {
        Map<Object, Integer> idOfKey = new HashMap<>();
        Map<Integer, Integer> ids = new LinkedHashMap<>();
        keys.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            if (e.getValue() != null) {
                ids.put(e.getKey(), idOfKey.computeIfAbsent(e.getValue(), k -> idOfKey.size()));
            }
        });
        return ids;
    }

    /**
     * The kernel's own ids instead of {@code ids} where they name the same groups: one kernel id per
     * group, non-negative, distinct across groups. Otherwise {@code ids} unchanged.
     */
    static Map<Integer, Integer> kernelIdsOr(Map<Integer, Integer> ids, Map<Integer, Integer> kernelIds) {
        Map<Integer, Integer> kernelOfGroup = new HashMap<>();
        Set<Integer> used = new HashSet<>();
        for (Map.Entry<Integer, Integer> e : ids.entrySet()) {
            Integer kernel = kernelIds.get(e.getKey());
            if (kernel == null || kernel < 0) {
                return ids;
            }
            Integer previous = kernelOfGroup.putIfAbsent(e.getValue(), kernel);
            if (previous == null ? !used.add(kernel) : !previous.equals(kernel)) {
                return ids;
            }
        }
        Map<Integer, Integer> result = new LinkedHashMap<>();
        ids.forEach((cpu, group) -> result.put(cpu, kernelOfGroup.get(group)));
        return result;
    }

    /** The CPUs of each id. */
    static Map<Integer, CpuSet> byId(Map<Integer, Integer> ids) {
        Map<Integer, CpuSet.Builder> builders = new HashMap<>();
        ids.forEach((cpu, id) -> builders.computeIfAbsent(id, k -> CpuSet.builder()).add(cpu));
        Map<Integer, CpuSet> result = new HashMap<>();
        builders.forEach((id, builder) -> result.put(id, builder.build()));
        return result;
    }
}
