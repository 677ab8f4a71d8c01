package io.coremanager.bench;

import io.coremanager.ConnectionPlacement;
import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.IdleStrategy;
import io.coremanager.LaneServerSocket;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 keep-alive server, one thread per connection, the same handler code in every mode,
 * and a closed-loop Java load generator (like {@code wrk}: each connection sends a request, reads
 * the whole response, sends the next). Run the server and the load in two JVMs, each under the
 * {@code taskset} of the arrangement (see {@code bench/run-http.sh}):
 * <pre>
 *   java -cp benchmarks.jar io.coremanager.bench.HttpKeepAliveMain server MODE PORT
 *   java -cp benchmarks.jar io.coremanager.bench.HttpKeepAliveMain load PORT CONNECTIONS WARMUP_S SECONDS LABEL [PATH]
 * </pre>
 * The load asks for {@code GET PATH} ({@code /} by default; this server answers any path the same),
 * so it can drive other servers too ({@code examples/run-http-load.sh} drives the HTTP server example).
 * Modes: {@code lane} (lane-local I/O: {@code CoreManager.serve}, connections round-robin over the
 * lanes, the handler on the socket's stream views); {@code affine} (core-affine virtual threads on
 * the JDK's {@code java.net.Socket}s, accept in a core-affine thread, connections round-robin);
 * {@code vt} (default virtual threads); {@code platform} (a platform thread per connection).
 */
public final class HttpKeepAliveMain {

    private static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n"
            + "Hello, World!").getBytes(StandardCharsets.US_ASCII);

    private static byte[] request(String path) {
        return ("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: coremanager-bench\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private HttpKeepAliveMain() {
    }

    /**
     * Runs the server or the load generator.
     *
     * @param args see the class notes
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        if (args.length >= 3 && args[0].equals("server")) {
            server(args[1], Integer.parseInt(args[2]));
        } else if (args.length >= 6 && args[0].equals("load")) {
            load(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]), args[5], args.length > 6 ? args[6] : "/");
        } else {
            System.err.println("usage: server lane|affine|vt|platform PORT | load PORT CONNECTIONS WARMUP_S SECONDS LABEL [PATH]");
            System.exit(2);
        }
    }

    // ---------------------------------------------------------------- server

    /** The one handler of every mode: read a request head, write the response, until the peer closes. */
    static void serve(InputStream rawIn, OutputStream rawOut) throws IOException {
        InputStream in = new BufferedInputStream(rawIn, 4096);
        OutputStream out = new BufferedOutputStream(rawOut, 4096);
        while (true) {
            // The head ends with an empty line: look for CR LF CR LF.
            int state = 0;
            while (state < 4) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                state = switch (state) {
                    case 0, 2 -> b == '\r' ? state + 1 : 0;
                    case 1, 3 -> b == '\n' ? state + 1 : (b == '\r' ? 1 : 0);
                    default -> 0;
                };
            }
            out.write(RESPONSE);
            out.flush(); // the load does not pipeline; available() would cost the JDK's sockets an ioctl
        }
    }

    private static void server(String mode, int port) throws Exception {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        System.out.println("server " + mode + " on " + address + ", allowed cpus " + CpuSet.of(
                io.coremanager.affinity.Affinity.isSupported() ? io.coremanager.affinity.Affinity.get().toArray() : new int[0]));
        switch (mode) {
            case "lane" -> {
                CoreManager cores = builder().build();
                LaneServerSocket server = cores.serve(cores.cpus().first(), address,
                        ConnectionPlacement.roundRobin(cores.cpus()),
                        socket -> serve(socket.inputStream(), socket.outputStream()));
                System.out.println("ready " + cores + " " + server.localAddress());
                Thread.sleep(Long.MAX_VALUE);
            }
            case "affine" -> {
                CoreManager cores = builder().build();
                ServerSocket server = new ServerSocket(port, 1024, address.getAddress());
                int[] cpus = cores.cpus().toArray();
                AtomicInteger next = new AtomicInteger();
                cores.go(cpus[0], () -> acceptLoop(server, s -> cores.go(cpus[next.getAndIncrement() % cpus.length], s)));
                System.out.println("ready " + cores);
                Thread.sleep(Long.MAX_VALUE);
            }
            case "vt" -> {
                ServerSocket server = new ServerSocket(port, 1024, address.getAddress());
                Thread.ofVirtual().start(() -> acceptLoop(server, r -> Thread.ofVirtual().start(r)));
                System.out.println("ready default virtual threads");
                Thread.sleep(Long.MAX_VALUE);
            }
            case "platform" -> {
                ServerSocket server = new ServerSocket(port, 1024, address.getAddress());
                acceptLoopThreads(server);
            }
            default -> throw new IllegalArgumentException("mode: " + mode);
        }
    }

    /** The manager's builder: the default idle strategy, or {@code -Dbench.idle=park|busy|spinMicros}. */
    private static CoreManager.Builder builder() {
        String idle = System.getProperty("bench.idle");
        CoreManager.Builder b = CoreManager.builder();
        if (idle == null) {
            return b;
        }
        return b.idleStrategy(switch (idle) {
            case "park" -> IdleStrategy.park();
            case "busy" -> IdleStrategy.busySpin();
            default -> IdleStrategy.spinThenPark(java.time.Duration.ofNanos(Long.parseLong(idle) * 1_000));
        });
    }

    private interface Starter {
        void start(Runnable r);
    }

    private static void acceptLoop(ServerSocket server, Starter starter) {
        while (true) {
            try {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                starter.start(() -> {
                    try (s) {
                        serve(s.getInputStream(), s.getOutputStream());
                    } catch (IOException e) {
                        // the connection ends
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void acceptLoopThreads(ServerSocket server) {
        System.out.println("ready platform threads");
        acceptLoop(server, r -> Thread.ofPlatform().start(r));
    }

    // ---------------------------------------------------------------- load

    private static void load(int port, int connections, int warmupSeconds, int seconds, String label, String path)
            throws Exception {
        byte[] request = request(path);
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        long start = System.nanoTime();
        long measureFrom = start + warmupSeconds * 1_000_000_000L;
        long end = measureFrom + seconds * 1_000_000_000L;
        List<long[]> samples = new ArrayList<>();
        AtomicInteger errors = new AtomicInteger();
        java.util.concurrent.atomic.LongAdder allRequests = new java.util.concurrent.atomic.LongAdder();
        CountDownLatch done = new CountDownLatch(connections);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            long[][] mine = {new long[1 << 16]};
            int[] count = {0};
            Thread t = Thread.ofPlatform().daemon(true).start(() -> {
                try (Socket s = new Socket()) {
                    s.setTcpNoDelay(true);
                    s.connect(address, 10_000);
                    OutputStream out = s.getOutputStream();
                    InputStream in = new BufferedInputStream(s.getInputStream(), 4096);
                    while (true) {
                        long t0 = System.nanoTime();
                        if (t0 - end >= 0) {
                            break;
                        }
                        out.write(request);
                        readResponse(in);
                        long t1 = System.nanoTime();
                        allRequests.increment();
                        if (t0 - measureFrom >= 0) {
                            if (count[0] == mine[0].length) {
                                mine[0] = Arrays.copyOf(mine[0], mine[0].length * 2);
                            }
                            mine[0][count[0]++] = t1 - t0;
                        }
                    }
                } catch (IOException e) {
                    errors.incrementAndGet();
                } finally {
                    synchronized (samples) {
                        samples.add(Arrays.copyOf(mine[0], count[0]));
                    }
                    done.countDown();
                }
            });
            threads.add(t);
        }
        done.await();
        int total = 0;
        for (long[] s : samples) {
            total += s.length;
        }
        long[] all = new long[total];
        int at = 0;
        for (long[] s : samples) {
            System.arraycopy(s, 0, all, at, s.length);
            at += s.length;
        }
        Arrays.sort(all);
        System.out.printf("%s: connections %d, %d s measured after %d s warm-up: %d requests, %.0f requests/s, "
                        + "p50 %.1f µs, p90 %.1f µs, p99 %.1f µs, p99.9 %.1f µs, max %.1f µs, errors %d, "
                        + "requests with warm-up %d%n",
                label, connections, seconds, warmupSeconds, total, total / (double) seconds,
                pct(all, 0.50), pct(all, 0.90), pct(all, 0.99), pct(all, 0.999),
                all.length == 0 ? 0 : all[all.length - 1] / 1000.0, errors.get(), allRequests.sum());
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1000.0;
    }

    /** Reads one response: the head, then Content-Length bytes. */
    private static void readResponse(InputStream in) throws IOException {
        int contentLength = -1;
        StringBuilder line = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("server closed");
            }
            if (b == '\n') {
                int len = line.length();
                if (len > 0 && line.charAt(len - 1) == '\r') {
                    line.setLength(len - 1);
                }
                if (line.isEmpty()) {
                    break;
                }
                String h = line.toString();
                if (h.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    contentLength = Integer.parseInt(h.substring(15).trim());
                }
                line.setLength(0);
            } else {
                line.append((char) b);
            }
        }
        if (contentLength < 0) {
            throw new IOException("no Content-Length");
        }
        if (in.readNBytes(contentLength).length != contentLength) {
            throw new IOException("short body");
        }
    }
}
