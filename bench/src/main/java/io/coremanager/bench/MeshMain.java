package io.coremanager.bench;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.IdleStrategy;
import io.coremanager.bench.harness.LaneProducers;
import io.coremanager.bench.harness.Rate;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * The lane-to-lane mesh (issue 13), before and after, in one build: run it once with
 * {@code -Dio.coremanager.engine.mesh=false} (every hand-off from lane code goes through the
 * destination's multi-producer queue, as before the mesh) and once without (through the mesh), on
 * the same machine, alternating. Prints one line per measurement:
 * <ul>
 *   <li>{@code outside round trip}: the main thread (not a lane) submits a no-op to the last lane
 *       and joins it: the queue's path, which the mesh must not slow down.</li>
 *   <li>{@code ping-pong}: a task on the first usable CPU's lane hands a task to the last one's,
 *       which hands one back, and so on: one hand-off in flight, lane code at both ends; the time per
 *       round trip (two hand-offs), median of {@code samples} samples of {@code n} round trips.</li>
 *   <li>{@code vt round trip}: a core-affine virtual thread on the first lane submits a no-op to the
 *       last lane and joins it (it parks; the completion resumes it on its lane through its lane's
 *       queue: one hand-off through the mesh, the wake-up back through the queue).</li>
 *   <li>{@code lanes producing 1->1} and {@code all->all}: {@link LaneProducers}, the CLI bench's
 *       "lanes as producers" (a core-affine virtual thread per lane sending no-op tasks with a
 *       window), tasks per second, median and p1 of the per-interval rates.</li>
 * </ul>
 * {@code -Dmesh.skipPingPong=true}, {@code -Dmesh.skipVt=true} leave those parts out;
 * {@code -Dmesh.producersOnly=true} runs 1->1 only; {@code -Dmesh.diag=true} prints both lanes' busy
 * fraction and counts over the 1->1 run.
 * {@code java --add-opens=java.base/java.lang=ALL-UNNAMED [-Dio.coremanager.engine.mesh=false] -cp benchmarks.jar io.coremanager.bench.MeshMain [measureMillis]}
 */
public final class MeshMain {

    private MeshMain() {
    }

    /**
     * Runs the measurements and prints them.
     *
     * @param args the measured milliseconds of each throughput run (default 3000)
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        long measureMillis = args.length > 0 ? Long.parseLong(args[0]) : 3_000;
        String mode = Boolean.parseBoolean(System.getProperty("io.coremanager.engine.mesh", "true")) ? "mesh" : "queue";
        CpuSet usable = BenchCpus.usable();
        int a = usable.first();
        int b = usable.last();
        int[] all = usable.toArray();
        try (CoreManager cores = CoreManager.builder().cpus(usable).idleStrategy(IdleStrategy.spinThenPark())
                .threadNamePrefix("mesh-bench-").build()) {
            if (Boolean.getBoolean("mesh.producersOnly")) {
                Rate one = LaneProducers.run(cores, new int[] {a}, new int[] {b}, 1_000, measureMillis, f -> { });
                System.out.printf("%-5s lanes producing 1->1 (cpu %d -> cpu %d): median %s, p1 %s%n",
                        mode, a, b, Rate.format(one.median()), Rate.format(one.p1()));
                return;
            }
            if (!Boolean.getBoolean("mesh.skipOutside")) {
                double[] outside = outsideRoundTrip(cores, b, 9, 50_000);
                System.out.printf("%-5s outside round trip main thread -> cpu %d: median %.0f ns (samples: %s)%n",
                        mode, b, median(outside), Arrays.toString(round(outside)));
            }
            if (!Boolean.getBoolean("mesh.skipPingPong")) {
                double[] pingPong = pingPong(cores, a, b, 9, 100_000);
                System.out.printf("%-5s ping-pong cpu %d <-> cpu %d: median %.0f ns per round trip (samples: %s)%n",
                        mode, a, b, median(pingPong), Arrays.toString(round(pingPong)));
            }
            if (!Boolean.getBoolean("mesh.skipVt")) {
                double[] vt = vtRoundTrip(cores, a, b, 9, 50_000);
                System.out.printf("%-5s vt round trip cpu %d -> cpu %d -> back: median %.0f ns (samples: %s)%n",
                        mode, a, b, median(vt), Arrays.toString(round(vt)));
            }
            io.coremanager.LaneStats sa = cores.stats(a);
            io.coremanager.LaneStats sb = cores.stats(b);
            long t0 = System.nanoTime();
            Rate one = LaneProducers.run(cores, new int[] {a}, new int[] {b}, 1_000, measureMillis, f -> { });
            long t1 = System.nanoTime();
            System.out.printf("%-5s lanes producing 1->1 (cpu %d -> cpu %d): median %s, p1 %s%n",
                    mode, a, b, Rate.format(one.median()), Rate.format(one.p1()));
            if (Boolean.getBoolean("mesh.diag")) {
                io.coremanager.LaneStats ea = cores.stats(a);
                io.coremanager.LaneStats eb = cores.stats(b);
                System.out.printf("  diag: a busy %.2f, continuations %d, completed %d; b busy %.2f, completed %d%n",
                        (ea.busyNanos() - sa.busyNanos()) / (double) (t1 - t0), ea.continuations() - sa.continuations(),
                        ea.completed() - sa.completed(), (eb.busyNanos() - sb.busyNanos()) / (double) (t1 - t0),
                        eb.completed() - sb.completed());
            }
            Rate every = LaneProducers.run(cores, all, all, 1_000, measureMillis, f -> { });
            System.out.printf("%-5s lanes producing all->all (%d lanes): median %s, p1 %s%n",
                    mode, all.length, Rate.format(every.median()), Rate.format(every.p1()));
        }
    }

    /** Round trips a -> b -> a of run-to-completion tasks, one in flight: ns per round trip, per sample. */
    private static double[] pingPong(CoreManager cores, int a, int b, int samples, int n) throws Exception {
        pingPongOnce(cores, a, b, n); // warm-up
        double[] ns = new double[samples];
        for (int s = 0; s < samples; s++) {
            long start = System.nanoTime();
            pingPongOnce(cores, a, b, n);
            ns[s] = (System.nanoTime() - start) / (double) n;
        }
        return ns;
    }

    private static void pingPongOnce(CoreManager cores, int a, int b, int n) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        long[] left = {n}; // touched by a's tasks only
        Runnable[] toA = new Runnable[1];
        Runnable toB = () -> cores.execute(a, toA[0]);
        toA[0] = () -> {
            if (--left[0] == 0) {
                done.complete(null);
            } else {
                cores.execute(b, toB);
            }
        };
        cores.execute(a, () -> cores.execute(b, toB));
        done.get();
    }

    /** The calling (outside) thread submits a no-op to b and joins it, n times per sample: the queue's path. */
    private static double[] outsideRoundTrip(CoreManager cores, int b, int samples, int n) {
        for (int i = 0; i < n; i++) {
            cores.submit(b, () -> 0).join(); // warm-up
        }
        double[] ns = new double[samples];
        for (int s = 0; s < samples; s++) {
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                cores.submit(b, () -> 0).join();
            }
            ns[s] = (System.nanoTime() - start) / (double) n;
        }
        return ns;
    }

    /** A core-affine virtual thread on a submits a no-op to b and joins it, n times per sample. */
    private static double[] vtRoundTrip(CoreManager cores, int a, int b, int samples, int n) throws Exception {
        double[] ns = new double[samples];
        Thread t = cores.go(a, () -> {
            for (int i = 0; i < n; i++) {
                cores.submit(b, () -> 0).join(); // warm-up
            }
            for (int s = 0; s < samples; s++) {
                long start = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    cores.submit(b, () -> 0).join();
                }
                ns[s] = (System.nanoTime() - start) / (double) n;
            }
        });
        t.join();
        return ns;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static long[] round(double[] values) {
        return Arrays.stream(values).mapToLong(Math::round).toArray();
    }
}
