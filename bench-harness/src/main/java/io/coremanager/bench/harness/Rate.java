package io.coremanager.bench.harness;

import java.util.Arrays;

/**
 * A throughput: tasks per second over short intervals.
 *
 * @param median the median interval's rate
 * @param p1 the 1st percentile (the slowest intervals)
 * @param total tasks completed while measuring
 */
public record Rate(double median, double p1, long total) {

    static Rate of(double[] perInterval, int count, long total) {
        double[] sorted = Arrays.copyOf(perInterval, count);
        Arrays.sort(sorted);
        if (count == 0) {
            return new Rate(Double.NaN, Double.NaN, total);
        }
        return new Rate(sorted[count / 2], sorted[Math.max(0, (int) Math.ceil(0.01 * count) - 1)], total);
    }

    /**
     * A rate for tables: {@code 12.30 M/s}, {@code 456.0 k/s}.
     *
     * @param perSecond tasks per second
     * @return the rate with its unit, or {@code -} for NaN
     */
    public static String format(double perSecond) {
        if (Double.isNaN(perSecond)) {
            return "-";
        }
        if (perSecond >= 1e6) {
            return String.format("%.2f M/s", perSecond / 1e6);
        }
        return String.format("%.1f k/s", perSecond / 1e3);
    }
}
