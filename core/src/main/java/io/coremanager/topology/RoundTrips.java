package io.coremanager.topology;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.DoubleConsumer;

/**
 * Measures the core-to-core round-trip matrix: for every ordered pair of CPUs, a caller thread
 * pinned to the first and a responder pinned to the second bounce one cache line; the cell is the
 * median round trip. The one implementation behind {@link CpuTopology#measure} and
 * {@code coremanager bench c2c}.
 *
 * <p>The bounce: the caller makes the counter odd, the responder (spinning) makes it even, the
 * caller waits for even. One round trip is what the hardware charges for a line to go over and
 * back, plus the JVM's volatile accesses: no queue, no task, no wake-up.
 *
 * <p>A sample is a batch of round trips (about 2 µs worth, so the clock's own cost is small next to
 * it) divided by its size; the cell is the median sample, which shrugs off the preemptions a noisy
 * machine adds. Each measurement runs on platform threads of its own and joins them before it
 * returns.
 */
final class RoundTrips {

    private static final long TARGET_BATCH_NANOS = 2_000;
    private static final int MAX_SAMPLES = 1 << 16;

    private RoundTrips() {
    }

    /**
     * The matrix of {@code cpus}, {@code NaN} on the diagonal.
     *
     * @param perPairNanos measuring time per ordered pair, a quarter of it more for warming up
     * @param progress told the fraction done, from 0 to 1, on the calling thread
     */
    static double[][] measure(CpuSet cpus, long perPairNanos, DoubleConsumer progress) throws InterruptedException {
        int[] list = cpus.toArray();
        double[][] nanos = new double[list.length][list.length];
        int pairs = list.length * (list.length - 1);
        int done = 0;
        for (int i = 0; i < list.length; i++) {
            Arrays.fill(nanos[i], Double.NaN);
            for (int j = 0; j < list.length; j++) {
                if (i != j) {
                    nanos[i][j] = pair(list[i], list[j], perPairNanos);
                    progress.accept((double) ++done / pairs);
                }
            }
        }
        return nanos;
    }

    /** The median round trip from a thread on {@code caller} to one on {@code responder}. */
    private static double pair(int caller, int responder, long perPairNanos) throws InterruptedException {
        Line line = new Line();
        CompletableFuture<Void> responderPinned = new CompletableFuture<>();
        Thread respond = Thread.ofPlatform().name("c2c-respond-" + responder).daemon(true).start(() -> {
            try {
                pin(responder);
                responderPinned.complete(null);
            } catch (Throwable t) {
                responderPinned.completeExceptionally(t);
            }
            line.respond(); // even unpinned: the caller must never wait for an answer that cannot come
        });
        CompletableFuture<Double> median = new CompletableFuture<>();
        Thread call = Thread.ofPlatform().name("c2c-call-" + caller).daemon(true).start(() -> {
            try {
                pin(caller);
                median.complete(line.sample(perPairNanos));
            } catch (Throwable t) {
                median.completeExceptionally(t);
            }
        });
        try {
            call.join();
        } finally {
            line.stop = true; // the responder's loop reads it on every turn
            respond.join();
        }
        try {
            responderPinned.get();
            return median.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("measuring cpus " + caller + " -> " + responder + " failed", e.getCause());
        }
    }

    /** Pins where the platform allows; elsewhere the measurement runs unpinned and means less. */
    private static void pin(int cpu) {
        if (Affinity.isSupported()) {
            Affinity.pin(cpu);
        }
    }

    /** The bounced cache line, padded so that nothing else shares it. */
    private static final class Line {
        private static final VarHandle VALUE;

        static {
            try {
                VALUE = MethodHandles.lookup().findVarHandle(Line.class, "value", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("unused")
        private long p1, p2, p3, p4, p5, p6, p7;
        /** Odd: the caller's turn is out, waiting for the responder; even: answered. Release/acquire. */
        private volatile long value;
        @SuppressWarnings("unused")
        private long q1, q2, q3, q4, q5, q6, q7;
        /** Set by the measuring thread after the caller finished; read by the responder. */
        volatile boolean stop;

        void respond() {
            long seen = 0;
            while (!stop) {
                long v = (long) VALUE.getAcquire(this);
                if ((v & 1) == 1 && v != seen) {
                    seen = v + 1;
                    VALUE.setRelease(this, seen);
                } else {
                    Thread.onSpinWait();
                }
            }
        }

        void roundTrip() {
            long next = (long) VALUE.getAcquire(this) + 1;
            VALUE.setRelease(this, next);
            while ((long) VALUE.getAcquire(this) == next) {
                Thread.onSpinWait();
            }
        }

        /** Warms up for a quarter of {@code measureNanos}, then returns the median batch mean. */
        double sample(long measureNanos) {
            long start = System.nanoTime();
            long ops = 0;
            while (System.nanoTime() - start < measureNanos / 4 || ops == 0) {
                roundTrip();
                ops++;
            }
            double estimate = (double) (System.nanoTime() - start) / ops;
            int batch = (int) Math.max(1, Math.min(10_000, TARGET_BATCH_NANOS / Math.max(1, estimate)));
            double[] samples = new double[MAX_SAMPLES];
            int count = 0;
            long end = System.nanoTime() + measureNanos;
            long now;
            do {
                long t0 = System.nanoTime();
                for (int i = 0; i < batch; i++) {
                    roundTrip();
                }
                now = System.nanoTime();
                samples[count++] = (double) (now - t0) / batch;
            } while (now < end && count < MAX_SAMPLES);
            Arrays.sort(samples, 0, count);
            return samples[count / 2];
        }
    }
}
