package io.coremanager.cli.bench;

/**
 * A log-linear histogram of non-negative {@code long} values (nanoseconds) in a fixed array, for
 * percentiles without keeping every sample: values below {@value #SUB_BUCKETS} have a bucket each;
 * above, every power of two is cut into {@value #SUB_BUCKETS} equal buckets (the HdrHistogram layout
 * with eight significant bits). A percentile is read as the middle of its
 * bucket, clamped to the smallest and largest value recorded, so it lies within
 * {@value #MAX_RELATIVE_ERROR_DIVISOR}th of the value a sorted array of the same samples gives at
 * the same rank: a bucket {@code [lo, lo + w)} above the exact range has {@code lo >= 128 w}, and its
 * middle is at most {@code w / 2} from any value in it. The first and the last rank are exact: the
 * smallest and largest value are kept.
 *
 * <p>Not thread-safe: one thread records; another may read only after a happens-before edge with the
 * recorder (a join, a volatile hand-over). About 57 KiB per histogram, whatever the samples.
 */
final class LatencyHistogram {

    /** Buckets per power of two, and the values below it that are counted exactly. */
    static final int SUB_BUCKETS = 128;

    /** A percentile is within {@code 1 / MAX_RELATIVE_ERROR_DIVISOR} of the exact one, relatively. */
    static final int MAX_RELATIVE_ERROR_DIVISOR = 2 * SUB_BUCKETS;

    private static final int SUB_BITS = Integer.numberOfTrailingZeros(SUB_BUCKETS);

    /** The exact range, then one row of SUB_BUCKETS per shift 0..(62 - SUB_BITS): up to Long.MAX_VALUE. */
    private static final int BUCKETS = SUB_BUCKETS * (64 - SUB_BITS);

    private final long[] counts = new long[BUCKETS];
    private long count;
    private long min = Long.MAX_VALUE;
    private long max;

    /**
     * Counts one value.
     *
     * @param value the value, in nanoseconds; a negative one (a clock that stepped back) counts as 0
     */
    void record(long value) {
        long v = Math.max(0, value);
        counts[index(v)]++;
        count++;
        min = Math.min(min, v);
        max = Math.max(max, v);
    }

    /** How many values were recorded. */
    long count() {
        return count;
    }

    /** The largest value recorded, exactly; -1 if none. */
    long max() {
        return count == 0 ? -1 : max;
    }

    /**
     * The {@code q}-quantile: the value at rank {@code ceil(q * count)} (at least 1) of the sorted
     * values, within {@code 1 / MAX_RELATIVE_ERROR_DIVISOR} of it, exact at the first and last rank;
     * -1 if nothing was recorded.
     *
     * @param q the quantile, 0 to 1
     * @return the value, in the recorded unit
     */
    long percentile(double q) {
        if (count == 0) {
            return -1;
        }
        long rank = Math.max(1, Math.min(count, (long) Math.ceil(q * count)));
        if (rank == 1 || rank == count) {
            return rank == 1 ? min : max; // the ends are kept exactly
        }
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.max(min, Math.min(max, middle(i)));
            }
        }
        throw new AssertionError("rank " + rank + " beyond count " + count);
    }

    /** The bucket of {@code v >= 0}: itself below SUB_BUCKETS; else the row of its top bit, by its next SUB_BITS bits. */
    static int index(long v) {
        if (v < SUB_BUCKETS) {
            return (int) v;
        }
        int shift = 63 - Long.numberOfLeadingZeros(v) - SUB_BITS; // >= 0: v has at least SUB_BITS + 1 bits
        return (shift + 1) * SUB_BUCKETS + (int) (v >>> shift) - SUB_BUCKETS;
    }

    /** The middle of bucket {@code i}, rounded down; no overflow, the last bucket ends at Long.MAX_VALUE. */
    static long middle(int i) {
        if (i < SUB_BUCKETS) {
            return i;
        }
        int shift = i / SUB_BUCKETS - 1;
        long lo = (long) (SUB_BUCKETS + i % SUB_BUCKETS) << shift;
        return lo + ((1L << shift) - 1) / 2;
    }
}
