package io.coremanager.cli.bench;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class LatencyHistogramTest {

    private static final double[] QUANTILES = {0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1};

    @Test
    void percentilesAreWithinTheStatedRelativeErrorOfASortedArray() {
        for (long seed = 1; seed <= 200; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            int n = 1 + random.nextInt(20_000);
            long[] values = new long[n];
            LatencyHistogram h = new LatencyHistogram();
            for (int i = 0; i < n; i++) {
                values[i] = draw(random);
                h.record(values[i]);
            }
            Arrays.sort(values);
            assertThat(h.count()).as("seed %d", seed).isEqualTo(n);
            assertThat(h.max()).as("seed %d", seed).isEqualTo(values[n - 1]);
            for (double q : QUANTILES) {
                long exact = Jitter.pct(values, q);
                assertThat(Math.abs(h.percentile(q) - exact))
                        .as("seed %d, n %d, q %s: histogram %d, sorted %d", seed, n, q, h.percentile(q), exact)
                        .isLessThanOrEqualTo(exact / LatencyHistogram.MAX_RELATIVE_ERROR_DIVISOR);
            }
        }
    }

    /** Log-uniform over 0 to 2^62 and more, with runs of equal values: latencies have both. */
    private static long draw(SplittableRandom random) {
        return switch (random.nextInt(4)) {
            case 0 -> random.nextLong(256);
            case 1 -> 1_000 + random.nextInt(4);
            default -> random.nextLong(1L << random.nextInt(1, 63)) + (random.nextBoolean() ? 0 : Long.MAX_VALUE / 2);
        };
    }

    @Test
    void edgeValuesAreKeptExactlyAtTheEnds() {
        LatencyHistogram h = new LatencyHistogram();
        assertThat(h.percentile(0.5)).isEqualTo(-1);
        assertThat(h.max()).isEqualTo(-1);
        h.record(0);
        assertThat(h.percentile(0)).isZero();
        assertThat(h.percentile(1)).isZero();
        h.record(1);
        h.record(Long.MAX_VALUE);
        assertThat(h.percentile(0)).isZero();
        assertThat(h.percentile(0.5)).isEqualTo(1);
        assertThat(h.percentile(1)).isEqualTo(Long.MAX_VALUE);
        assertThat(h.max()).isEqualTo(Long.MAX_VALUE);
        h.record(-5); // a clock that stepped back counts as 0
        assertThat(h.count()).isEqualTo(4);
        assertThat(h.percentile(0.5)).isZero();
    }

    @Test
    void bucketsAreContiguousAndTheirMiddlesLieInside() {
        long[] probes = {0, 1, 127, 128, 129, 255, 256, 257, 1_000_000, (1L << 40) + 12345, Long.MAX_VALUE / 3,
            Long.MAX_VALUE - 1, Long.MAX_VALUE};
        for (long v : probes) {
            int i = LatencyHistogram.index(v);
            assertThat(LatencyHistogram.index(LatencyHistogram.middle(i))).as("value %d", v).isEqualTo(i);
            assertThat(Math.abs(LatencyHistogram.middle(i) - v)).as("value %d", v)
                    .isLessThanOrEqualTo(v / LatencyHistogram.MAX_RELATIVE_ERROR_DIVISOR);
        }
        assertThat(LatencyHistogram.index(Long.MAX_VALUE)).isEqualTo(LatencyHistogram.index(Long.MAX_VALUE - 1));
        assertThat(LatencyHistogram.index(128)).isEqualTo(LatencyHistogram.index(127) + 1);
        assertThat(LatencyHistogram.index(256)).isEqualTo(LatencyHistogram.index(255) + 1);
    }
}
