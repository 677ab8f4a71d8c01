package io.coremanager;

import io.coremanager.affinity.Affinity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.coremanager.LaneIoTesting.ANY_PORT;
import static io.coremanager.LaneIoTesting.await;
import static io.coremanager.LaneIoTesting.awaitParked;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Lane-local I/O through the public API: wake-ups on the lane's CPU, the stream views, closing
 * races, lanes that close with open sockets, many connections, and sockets used from the wrong
 * place. Loopback only; every wait is bounded.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LaneIoTest {


    private CoreManager cores;
    private int first;
    private int last;

    @BeforeEach
    void start() {
        cores = CoreManager.builder().build();
        first = cores.cpus().first();
        last = cores.cpus().last();
    }

    @AfterEach
    void stop() throws InterruptedException {
        cores.shutdownNow();
        assertThat(cores.awaitTermination(Duration.ofSeconds(30))).as("terminated").isTrue();
    }

    // ---------------------------------------------------------------- wake-ups on the lane's CPU

    @Test
    void acceptReadAndWriteResumeOnTheLanesCpu() throws Exception {
        LaneServerSocket server = cores.listen(last, ANY_PORT);
        Queue<String> where = new ConcurrentLinkedQueue<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        byte[] big = new byte[8 << 20]; // far more than the socket buffers hold: the write must park
        Thread serverThread = cores.go(last, () -> {
            try (LaneSocket s = server.accept()) {
                where.add("accept " + CoreManager.currentCpu());
                s.setOption(StandardSocketOptions.SO_SNDBUF, 16 * 1024);
                ByteBuffer in = ByteBuffer.allocate(16);
                while (in.position() < 5) {
                    if (s.read(in) < 0) {
                        throw new IOException("eof");
                    }
                }
                where.add("read " + CoreManager.currentCpu());
                s.write(ByteBuffer.wrap(big));
                where.add("write " + CoreManager.currentCpu());
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        awaitParked(serverThread, "accept");
        try (Socket client = new Socket()) {
            client.setReceiveBufferSize(16 * 1024);
            client.connect(server.localAddress(), 10_000);
            await("accepted", () -> where.size() == 1);
            awaitParked(serverThread, "read");
            client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            await("read", () -> where.size() == 2);
            awaitParked(serverThread, "write (send buffer full)");
            long received = client.getInputStream().readNBytes(big.length).length;
            assertThat(received).isEqualTo(big.length);
        }
        done.get(30, TimeUnit.SECONDS);
        server.close();
        if (Affinity.isSupported()) {
            assertThat(where).containsExactly("accept " + last, "read " + last, "write " + last);
        } else {
            assertThat(where).hasSize(3);
        }
    }

    @Test
    void connectAndStreamViewsResumeOnTheLanesCpu() throws Exception {
        try (java.net.ServerSocket peer = new java.net.ServerSocket(0, 50, ANY_PORT.getAddress())) {
            Queue<Integer> cpus = new ConcurrentLinkedQueue<>();
            CompletableFuture<String> reply = new CompletableFuture<>();
            cores.go(first, () -> {
                try (LaneSocket s = cores.connect(peer.getLocalSocketAddress())) {
                    cpus.add(CoreManager.currentCpu());
                    PrintWriter out = new PrintWriter(s.outputStream(), true, StandardCharsets.UTF_8);
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.inputStream(), StandardCharsets.UTF_8));
                    out.println("ping");
                    String line = in.readLine();
                    cpus.add(CoreManager.currentCpu());
                    reply.complete(line);
                } catch (Throwable t) {
                    reply.completeExceptionally(t);
                }
            });
            try (Socket accepted = peer.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(accepted.getInputStream(), StandardCharsets.UTF_8));
                assertThat(in.readLine()).isEqualTo("ping");
                accepted.getOutputStream().write("pong\n".getBytes(StandardCharsets.UTF_8));
                assertThat(reply.get(30, TimeUnit.SECONDS)).isEqualTo("pong");
            }
            if (Affinity.isSupported()) {
                assertThat(cpus).containsOnly(first).hasSize(2);
            }
        }
    }

    @Test
    void serveEchoesOverTheStreamViewsOnTheConnectionsLane() throws Exception {
        Queue<Integer> handlerCpus = new ConcurrentLinkedQueue<>();
        LaneServerSocket server = cores.serve(first, ANY_PORT, (remote, accepting) -> last, socket -> {
            handlerCpus.add(socket.cpu() == last ? CoreManager.currentCpu() : -2);
            socket.inputStream().transferTo(socket.outputStream());
            handlerCpus.add(CoreManager.currentCpu());
        });
        try (Socket client = new Socket()) {
            client.connect(server.localAddress(), 10_000);
            client.setSoTimeout(30_000);
            OutputStream out = client.getOutputStream();
            InputStream in = client.getInputStream();
            for (int i = 0; i < 100; i++) {
                byte[] msg = ("message " + i).getBytes(StandardCharsets.US_ASCII);
                out.write(msg);
                assertThat(in.readNBytes(msg.length)).isEqualTo(msg);
            }
            client.shutdownOutput();
            assertThat(in.read()).isEqualTo(-1); // the handler returned and the socket closed
        }
        await("the handler ends", () -> handlerCpus.size() == 2);
        if (Affinity.isSupported()) {
            assertThat(handlerCpus).containsOnly(last);
        }
        server.close();
    }

    // ---------------------------------------------------------------- closing races

    @Test
    void closeFromAnotherThreadFailsTheParkedReader() throws Exception {
        for (int round = 0; round < 50; round++) {
            try (java.net.ServerSocket peer = new java.net.ServerSocket(0, 50, ANY_PORT.getAddress())) {
                AtomicReference<LaneSocket> socket = new AtomicReference<>();
                CompletableFuture<Throwable> outcome = new CompletableFuture<>();
                CountDownLatch connected = new CountDownLatch(1);
                Thread reader = cores.go(round % 2 == 0 ? first : last, () -> {
                    try {
                        LaneSocket s = cores.connect(peer.getLocalSocketAddress());
                        socket.set(s);
                        connected.countDown();
                        s.read(ByteBuffer.allocate(10));
                        outcome.complete(null);
                    } catch (Throwable t) {
                        outcome.complete(t);
                    }
                });
                try (Socket accepted = peer.accept()) {
                    assertThat(connected.await(30, TimeUnit.SECONDS)).isTrue();
                    if (round % 5 != 0) {
                        awaitParked(reader, "read"); // otherwise close races the read's start
                    }
                    socket.get().close();
                    assertThat(outcome.get(30, TimeUnit.SECONDS))
                            .isInstanceOfAny(AsynchronousCloseException.class, ClosedChannelException.class);
                    accepted.setSoTimeout(30_000);
                    assertThat(accepted.getInputStream().read()).as("the peer sees the close").isEqualTo(-1);
                }
            }
        }
    }

    @Test
    void interruptingAParkedReaderClosesItsSocket() throws Exception {
        try (java.net.ServerSocket peer = new java.net.ServerSocket(0, 50, ANY_PORT.getAddress())) {
            AtomicReference<LaneSocket> socket = new AtomicReference<>();
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread reader = cores.go(first, () -> {
                try {
                    LaneSocket s = cores.connect(peer.getLocalSocketAddress());
                    socket.set(s);
                    s.read(ByteBuffer.allocate(10));
                    outcome.complete(null);
                } catch (Throwable t) {
                    outcome.complete(t);
                }
            });
            try (Socket accepted = peer.accept()) {
                awaitParked(reader, "read");
                reader.interrupt();
                assertThat(outcome.get(30, TimeUnit.SECONDS)).isInstanceOf(ClosedByInterruptException.class);
                assertThat(socket.get().isOpen()).isFalse();
            }
        }
    }

    @Test
    void closingTheServerSocketEndsAParkedAccept() throws Exception {
        LaneServerSocket server = cores.listen(first, ANY_PORT);
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread acceptor = cores.go(first, () -> {
            try {
                server.accept();
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        });
        awaitParked(acceptor, "accept");
        server.close();
        assertThat(outcome.get(30, TimeUnit.SECONDS)).isInstanceOf(AsynchronousCloseException.class);
    }

    @Test
    void shutdownNowClosesTheLanesSocketsAndWakesTheirThreads() throws Exception {
        CountDownLatch serving = new CountDownLatch(1);
        Queue<Throwable> handlerErrors = new ConcurrentLinkedQueue<>();
        LaneServerSocket server = cores.serve(first, ANY_PORT, ConnectionPlacement.acceptingLane(), socket -> {
            serving.countDown();
            try {
                socket.read(ByteBuffer.allocate(10)); // parks: the client sends nothing
            } catch (IOException e) {
                handlerErrors.add(e);
                throw e;
            }
        });
        try (Socket client = new Socket()) {
            client.connect(server.localAddress(), 10_000);
            client.setSoTimeout(30_000);
            assertThat(serving.await(30, TimeUnit.SECONDS)).isTrue();
            cores.shutdownNow();
            assertThat(cores.awaitTermination(Duration.ofSeconds(30))).as("terminated").isTrue();
            assertThat(client.getInputStream().read()).as("the client sees the close").isEqualTo(-1);
        }
        assertThat(server.isOpen()).isFalse();
        assertThat(handlerErrors).singleElement().isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void closeStopsListeningAndTheLaneClosesTheSocketsLeftOpen() throws Exception {
        LaneServerSocket server = cores.serve(first, ANY_PORT, ConnectionPlacement.acceptingLane(), socket -> { });
        try (java.net.ServerSocket peer = new java.net.ServerSocket(0, 50, ANY_PORT.getAddress())) {
            AtomicReference<LaneSocket> leftOpen = new AtomicReference<>();
            cores.go(last, () -> {
                try {
                    leftOpen.set(cores.connect(peer.getLocalSocketAddress())); // never closed by its thread
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).join(30_000);
            try (Socket accepted = peer.accept()) {
                accepted.setSoTimeout(30_000);
                cores.close(); // the accept loop ends (its socket closes); then the lanes close what is left
                assertThat(cores.isTerminated()).isTrue();
                assertThat(server.isOpen()).isFalse();
                assertThat(leftOpen.get().isOpen()).isFalse();
                assertThat(accepted.getInputStream().read()).as("the peer sees the close").isEqualTo(-1);
            }
        }
    }

    // ---------------------------------------------------------------- many connections

    @Test
    void aThousandConnectionsOnTwoLanes() throws Exception {
        int connections = 1000;
        int rounds = 5;
        LaneServerSocket server = cores.serve(first, ANY_PORT, ConnectionPlacement.roundRobin(cores.cpus()), socket -> {
            ByteBuffer buf = ByteBuffer.allocate(64);
            while (socket.read(buf) >= 0) {
                buf.flip();
                socket.write(buf);
                buf.clear();
            }
        });
        AtomicInteger ok = new AtomicInteger();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch finished = new CountDownLatch(connections);
        for (int i = 0; i < connections; i++) {
            int n = i;
            cores.go(n % 2 == 0 ? first : last, () -> {
                try (LaneSocket s = cores.connect(server.localAddress())) {
                    ByteBuffer out = ByteBuffer.allocate(8);
                    ByteBuffer in = ByteBuffer.allocate(8);
                    for (int r = 0; r < rounds; r++) {
                        out.clear().putInt(n).putInt(r).flip();
                        s.write(out);
                        in.clear();
                        while (in.hasRemaining()) {
                            if (s.read(in) < 0) {
                                throw new IOException("eof");
                            }
                        }
                        if (in.getInt(0) != n || in.getInt(4) != r) {
                            throw new AssertionError("connection " + n + " got the wrong echo");
                        }
                    }
                    ok.incrementAndGet();
                } catch (Throwable t) {
                    failures.add(t);
                } finally {
                    finished.countDown();
                }
            });
        }
        assertThat(finished.await(90, TimeUnit.SECONDS)).as("all connections finished").isTrue();
        assertThat(failures).isEmpty();
        assertThat(ok.get()).isEqualTo(connections);
        server.close();
    }

    // ---------------------------------------------------------------- wrong place

    @Test
    void aSocketUsedFromTheWrongPlaceSaysWhereItBelongs() throws Exception {
        LaneServerSocket server = cores.listen(first, ANY_PORT);
        assertThatThrownBy(server::accept).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("belongs to cpu " + first + "'s lane")
                .hasMessageContaining("platform thread");
        assertThatThrownBy(() -> cores.submit(first, () -> server.accept()).join())
                .hasRootCauseInstanceOf(IllegalStateException.class)
                .rootCause().hasMessageContaining("a task on cpu " + first + "'s carrier");
        CompletableFuture<Throwable> defaultVirtual = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                server.accept();
                defaultVirtual.complete(null);
            } catch (Throwable t) {
                defaultVirtual.complete(t);
            }
        });
        assertThat(defaultVirtual.get(30, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("belongs to no lane");
        if (first != last) {
            CompletableFuture<Throwable> otherLane = new CompletableFuture<>();
            cores.go(last, () -> {
                try {
                    server.accept();
                    otherLane.complete(null);
                } catch (Throwable t) {
                    otherLane.complete(t);
                }
            });
            assertThat(otherLane.get(30, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("belongs to cpu " + first + "'s lane")
                    .hasMessageContaining("a virtual thread of cpu " + last + "'s lane");
        }
        assertThatThrownBy(() -> cores.connect(server.localAddress())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("core-affine virtual thread");
        server.close();
    }

    @Test
    void theJdksSocketsStillWorkInCoreAffineThreads() throws Exception {
        try (java.net.ServerSocket peer = new java.net.ServerSocket(0, 50, ANY_PORT.getAddress())) {
            CompletableFuture<String> reply = new CompletableFuture<>();
            cores.go(last, () -> {
                try (Socket s = new Socket(ANY_PORT.getAddress(), peer.getLocalPort())) {
                    s.getOutputStream().write("jdk\n".getBytes(StandardCharsets.US_ASCII));
                    reply.complete(new BufferedReader(new InputStreamReader(s.getInputStream(),
                            StandardCharsets.US_ASCII)).readLine() + " " + (CoreManager.currentCpu() == last || !Affinity.isSupported()));
                } catch (Throwable t) {
                    reply.completeExceptionally(t);
                }
            });
            try (Socket accepted = peer.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(accepted.getInputStream(), StandardCharsets.US_ASCII));
                String line = in.readLine();
                accepted.getOutputStream().write((line + "\n").getBytes(StandardCharsets.US_ASCII));
                assertThat(reply.get(30, TimeUnit.SECONDS)).isEqualTo("jdk true");
            }
        }
    }
}
