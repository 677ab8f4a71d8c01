package io.coremanager.bench.harness;

import java.util.Arrays;

/**
 * A distribution of per-operation times: the median and the 99th percentile, in nanoseconds.
 *
 * @param median the median time per operation
 * @param p99 the 99th percentile
 * @param mean the mean
 * @param operations how many operations were measured
 */
public record Stats(double median, double p99, double mean, long operations) {

    /** From the first {@code count} samples of per-operation times (each the mean of one batch). */
    static Stats of(double[] perOp, int count, long operations) {
        double[] sorted = Arrays.copyOf(perOp, count);
        Arrays.sort(sorted);
        double sum = 0;
        for (double v : sorted) {
            sum += v;
        }
        return new Stats(percentile(sorted, 0.50), percentile(sorted, 0.99), count == 0 ? 0 : sum / count, operations);
    }

    private static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    /**
     * A time for tables: {@code 123 ns}, {@code 4.56 µs}, {@code 7.89 ms}.
     *
     * @param nanos the time in nanoseconds
     * @return the time with its unit, or {@code -} for NaN
     */
    public static String time(double nanos) {
        if (Double.isNaN(nanos)) {
            return "-";
        }
        if (nanos < 1_000) {
            return String.format("%.0f ns", nanos);
        }
        if (nanos < 1_000_000) {
            return String.format("%.2f µs", nanos / 1e3);
        }
        return String.format("%.2f ms", nanos / 1e6);
    }
}
