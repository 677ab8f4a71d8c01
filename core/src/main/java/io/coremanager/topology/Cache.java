package io.coremanager.topology;

import io.coremanager.CpuSet;

import java.util.Objects;
import java.util.Locale;

/**
 * A CPU cache as sysfs describes it ({@code cpuN/cache/indexK}): its level, type, size and the
 * CPUs that share it.
 *
 * @param level 1, 2, 3, ...
 * @param type what it caches
 * @param sizeBytes its size in bytes, {@code -1} when the kernel does not say
 * @param sharedBy the CPUs that share this cache (online ones; never empty)
 */
public record Cache(int level, Type type, long sizeBytes, CpuSet sharedBy) {

    /** What a cache holds. */
    public enum Type {
        /** Data only (an L1d). */
        DATA,
        /** Instructions only (an L1i). */
        INSTRUCTION,
        /** Both. */
        UNIFIED
    }

    /** Checks the components. */
    public Cache {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(sharedBy, "sharedBy");
        if (level < 1) {
            throw new IllegalArgumentException("level: " + level + " (expected: 1 or more)");
        }
    }

    /**
     * Whether this cache holds data (a data or unified cache), as a last-level cache must.
     *
     * @return true for data and unified caches
     */
    public boolean holdsData() {
        return type != Type.INSTRUCTION;
    }

    /** {@code L2 unified 1 MiB (cpus 0-1)}. */
    @Override
    public String toString() {
        return "L" + level + " " + type.name().toLowerCase(Locale.ROOT)
                + (sizeBytes >= 0 ? " " + formatSize(sizeBytes) : "") + " (cpus " + sharedBy + ")";
    }

    /**
     * {@code 32 KiB}, {@code 1280 KiB}, {@code 24 MiB}: the largest unit that divides the size.
     *
     * @param bytes a size in bytes, 0 or more
     * @return the size with its unit
     */
    public static String formatSize(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        long value = bytes;
        int unit = 0;
        while (value > 0 && value % 1024 == 0 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return value + " " + units[unit];
    }
}
