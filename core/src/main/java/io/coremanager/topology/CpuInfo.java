package io.coremanager.topology;

import java.util.Map;
import java.util.TreeMap;

/**
 * The fallback source: {@code /proc/cpuinfo}'s {@code processor}, {@code physical id} and
 * {@code core id} lines, for kernels whose sysfs lacks a CPU's {@code topology/} folder. Only x86
 * kernels print the ids; elsewhere the processors alone are known.
 */
final class CpuInfo {

    /** The ids of one processor entry; {@code -1} where cpuinfo does not say. */
    record Entry(int processor, int physicalId, int coreId) {
    }

    private final Map<Integer, Entry> entries;

    private CpuInfo(Map<Integer, Entry> entries) {
        this.entries = entries;
    }

    static CpuInfo parse(String text) {
        Map<Integer, Entry> entries = new TreeMap<>();
        int processor = -1;
        int physical = -1;
        int core = -1;
        for (String line : (text + "\n\n").split("\n", -1)) {
            int colon = line.indexOf(':');
            if (line.isBlank()) {
                if (processor >= 0) {
                    entries.put(processor, new Entry(processor, physical, core));
                }
                processor = physical = core = -1;
                continue;
            }
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            switch (key) {
                case "processor" -> processor = number(value);
                case "physical id" -> physical = number(value);
                case "core id" -> core = number(value);
                default -> { }
            }
        }
        return new CpuInfo(entries);
    }

    private static int number(String value) {
        try {
            int n = Integer.parseInt(value);
            return n >= 0 && n <= io.coremanager.CpuSet.MAX_CPU * 64 ? n : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static CpuInfo empty() {
        return new CpuInfo(Map.of());
    }

    Map<Integer, Entry> entries() {
        return entries;
    }

    Entry entry(int processor) {
        return entries.get(processor);
    }
}
