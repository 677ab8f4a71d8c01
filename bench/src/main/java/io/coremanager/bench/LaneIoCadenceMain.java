package io.coremanager.bench;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.LaneSocket;
import io.coremanager.affinity.Affinity;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How the busy-lane I/O poll cadence ({@code -Dio.coremanager.engine.ioPollMicros}) trades task
 * throughput for socket latency: a lane on the last CPU is kept busy by a producer on the first CPU
 * with tasks of {@code -Dtask.nanos} (default 0: trivial, the worst case for the poll's overhead)
 * and at most {@code -Doutstanding} (default 20000) queued, while one of its virtual threads
 * ping-pongs 8 bytes with an echo peer on the first CPU over a lane socket. A resumed thread
 * queues behind what the lane already has: with a deep queue that wait, not the poll, dominates.
 * {@code java -Dio.coremanager.engine.ioPollMicros=50 -cp benchmarks.jar io.coremanager.bench.LaneIoCadenceMain [seconds]}
 */
public final class LaneIoCadenceMain {

    private LaneIoCadenceMain() {
    }

    /**
     * Runs the measurement and prints one line.
     *
     * @param args the measured seconds (default 3)
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        CpuSet usable = BenchCpus.usable();
        int lane = usable.last();
        int other = usable.first();
        try (CoreManager cores = CoreManager.builder().cpus(CpuSet.of(lane)).build();
             ServerSocket echo = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            Thread peer = Thread.ofPlatform().daemon(true).start(() -> {
                pin(other);
                try (Socket s = echo.accept()) {
                    s.setTcpNoDelay(true);
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    byte[] b = new byte[8];
                    while (in.readNBytes(b, 0, 8) == 8) {
                        out.write(b);
                    }
                } catch (Exception e) {
                    // the end
                }
            });
            AtomicLong done = new AtomicLong();
            AtomicLong submitted = new AtomicLong();
            long end = System.nanoTime() + (seconds + 1) * 1_000_000_000L;
            Thread flood = Thread.ofPlatform().daemon(true).start(() -> {
                pin(other);
                long taskNanos = Long.getLong("task.nanos", 0);
                long outstanding = Long.getLong("outstanding", 20_000);
                int chunk = (int) Math.min(1_000, Math.max(1, outstanding / 4));
                Runnable task = taskNanos == 0 ? done::incrementAndGet : () -> {
                    long until = System.nanoTime() + taskNanos;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                    done.incrementAndGet();
                };
                while (System.nanoTime() < end) {
                    if (submitted.get() - done.get() < outstanding) {
                        for (int i = 0; i < chunk; i++) {
                            cores.execute(lane, task);
                        }
                        submitted.addAndGet(chunk);
                    } else {
                        Thread.onSpinWait();
                    }
                }
            });
            CompletableFuture<long[]> rtts = new CompletableFuture<>();
            cores.go(lane, () -> {
                try (LaneSocket s = cores.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), echo.getLocalPort()))) {
                    s.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                    ByteBuffer b = ByteBuffer.allocate(8);
                    long[] samples = new long[1 << 20];
                    int n = 0;
                    long measureFrom = System.nanoTime() + 1_000_000_000L;
                    while (true) {
                        long t0 = System.nanoTime();
                        if (t0 > end) {
                            break;
                        }
                        b.clear().putLong(t0).flip();
                        s.write(b);
                        b.clear();
                        while (b.hasRemaining()) {
                            s.read(b);
                        }
                        long t1 = System.nanoTime();
                        if (t0 > measureFrom && n < samples.length) {
                            samples[n++] = t1 - t0;
                        }
                    }
                    rtts.complete(Arrays.copyOf(samples, n));
                } catch (Throwable t) {
                    rtts.completeExceptionally(t);
                }
            });
            long d0 = done.get();
            long t0 = System.nanoTime();
            long[] r = rtts.get();
            long d1 = done.get();
            long t1 = System.nanoTime();
            flood.join();
            Arrays.sort(r);
            System.out.printf("ioPollMicros=%s task.nanos=%s outstanding=%s: tasks %.2f M/s while ping-ponging; round trips %d, p50 %.1f µs, p99 %.1f µs, "
                            + "p99.9 %.1f µs (lane cpu %d, producer and echo peer on cpu %d)%n",
                    System.getProperty("io.coremanager.engine.ioPollMicros", "50 (default)"),
                    System.getProperty("task.nanos", "0"), System.getProperty("outstanding", "20000"),
                    (d1 - d0) * 1e3 / (t1 - t0), r.length, p(r, 0.5), p(r, 0.99), p(r, 0.999), lane, other);
            peer.interrupt();
        }
    }

    private static double p(long[] sorted, double q) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] / 1000.0;
    }

    private static void pin(int cpu) {
        if (Affinity.isSupported()) {
            Affinity.pin(cpu);
        }
    }
}
