package io.coremanager.bench.harness;

import java.util.concurrent.TimeUnit;

/**
 * Times an operation: warms it up, then takes samples of batches of operations. A batch is long
 * enough (about 2 µs) that the clock's own cost (tens of nanoseconds on a VM) is small next to it;
 * a sample is the batch's time divided by its size, so the median and p99 are of per-operation
 * times averaged over a batch.
 */
public final class Sampler {

    /** One operation of the thing measured. */
    @FunctionalInterface
    public interface Op {
        /**
         * Runs the operation once.
         *
         * @throws Exception if the operation fails: the sampling stops and rethrows it
         */
        void run() throws Exception;
    }

    private static final long TARGET_BATCH_NANOS = 2_000;

    private Sampler() {
    }

    /**
     * Samples {@code op} for {@code measureMillis} after {@code warmupMillis}, on the calling thread.
     *
     * @param op the operation measured
     * @param warmupMillis how long to run {@code op} before measuring, in milliseconds
     * @param measureMillis how long to measure, in milliseconds
     * @param progress told the fraction of the measurement done
     * @return the per-operation times
     * @throws Exception what {@code op} threw
     */
    public static Stats sample(Op op, long warmupMillis, long measureMillis, Progress progress) throws Exception {
        long warmupEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(warmupMillis);
        long ops = 0;
        long warmupStart = System.nanoTime();
        while (System.nanoTime() < warmupEnd) {
            op.run();
            ops++;
        }
        double estimate = (double) (System.nanoTime() - warmupStart) / Math.max(1, ops);
        int batch = (int) Math.max(1, Math.min(10_000, TARGET_BATCH_NANOS / Math.max(1, estimate)));
        double[] samples = new double[1 << 16];
        int count = 0;
        long measured = 0;
        long start = System.nanoTime();
        long end = start + TimeUnit.MILLISECONDS.toNanos(measureMillis);
        long now = start;
        while (now < end && count < samples.length) {
            long t0 = System.nanoTime();
            for (int i = 0; i < batch; i++) {
                op.run();
            }
            now = System.nanoTime();
            samples[count++] = (double) (now - t0) / batch;
            measured += batch;
            if ((count & 63) == 0) {
                progress.fraction((double) (now - start) / (end - start));
            }
        }
        progress.fraction(1);
        return Stats.of(samples, count, measured);
    }

    /** Told how far a measurement has come. */
    @FunctionalInterface
    public interface Progress {
        /**
         * Hears how far the measurement has come.
         *
         * @param done the fraction done, from 0 to 1
         */
        void fraction(double done);

        /** Says nothing. */
        Progress NONE = done -> { };
    }
}
