package io.coremanager;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.coremanager.LaneIoTesting.ANY_PORT;
import static io.coremanager.LaneIoTesting.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Lane sockets' read and accept timeouts (the {@code SO_TIMEOUT} contract of {@code java.net.Socket}:
 * the wait fails with {@link SocketTimeoutException} and the socket stays usable), and a connection
 * whose data never runs out sharing its lane. Loopback only; every wait is bounded.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LaneSocketTimeoutAndFairnessTest {


    private CoreManager cores;
    private int lane;

    @BeforeEach
    void start() {
        cores = CoreManager.builder().build();
        lane = cores.cpus().last();
    }

    @AfterEach
    void stop() throws InterruptedException {
        cores.shutdownNow();
        assertThat(cores.awaitTermination(Duration.ofSeconds(30))).as("terminated").isTrue();
    }

    @Test
    void aReadTimeoutFailsTheReadOnTheLaneAndLeavesTheSocketOpen() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 50, ANY_PORT.getAddress())) {
            CompletableFuture<String> outcome = new CompletableFuture<>();
            CountDownLatch timedOut = new CountDownLatch(1);
            cores.go(lane, () -> {
                try (LaneSocket s = cores.connect(peer.getLocalSocketAddress())) {
                    assertThat(s.readTimeout()).isEqualTo(Duration.ZERO);
                    s.readTimeout(Duration.ofMillis(50));
                    String first;
                    try {
                        s.read(ByteBuffer.allocate(8));
                        first = "read returned";
                    } catch (SocketTimeoutException e) {
                        first = "timed out on cpu " + CoreManager.currentCpu() + ", open " + s.isOpen();
                    }
                    timedOut.countDown();
                    s.readTimeout(Duration.ofSeconds(30));
                    ByteBuffer b = ByteBuffer.allocate(8);
                    int n = s.read(b);
                    outcome.complete(first + "; then read " + n + " byte(s): " + b.get(0));
                } catch (Throwable t) {
                    outcome.completeExceptionally(t);
                }
            });
            try (Socket accepted = peer.accept()) {
                assertThat(timedOut.await(30, TimeUnit.SECONDS)).isTrue();
                accepted.getOutputStream().write(42);
                assertThat(outcome.get(30, TimeUnit.SECONDS))
                        .isEqualTo("timed out on cpu " + lane + ", open true; then read 1 byte(s): 42");
            }
        }
    }

    @Test
    void theStreamViewTimesOutLikeJavaNetSocket() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 50, ANY_PORT.getAddress())) {
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            cores.go(lane, () -> {
                try (LaneSocket s = cores.connect(peer.getLocalSocketAddress())) {
                    s.readTimeout(Duration.ofMillis(20));
                    s.inputStream().read();
                    outcome.complete(null);
                } catch (Throwable t) {
                    outcome.complete(t);
                }
            });
            try (Socket accepted = peer.accept()) {
                assertThat(outcome.get(30, TimeUnit.SECONDS)).isInstanceOf(SocketTimeoutException.class)
                        .hasMessageContaining("read timed out after PT0.02S on lane socket ")
                        .hasMessageContaining("(the socket stays open)");
            }
        }
    }

    @Test
    void closingASocketInATimedReadFailsItAsAClose() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 50, ANY_PORT.getAddress())) {
            AtomicReference<LaneSocket> socket = new AtomicReference<>();
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread reader = cores.go(lane, () -> {
                try {
                    LaneSocket s = cores.connect(peer.getLocalSocketAddress());
                    s.readTimeout(Duration.ofMinutes(5));
                    socket.set(s);
                    s.read(ByteBuffer.allocate(8));
                    outcome.complete(null);
                } catch (Throwable t) {
                    outcome.complete(t);
                }
            });
            try (Socket accepted = peer.accept()) {
                await("the reader parks", () -> reader.getState() == Thread.State.TIMED_WAITING);
                socket.get().close();
                assertThat(outcome.get(30, TimeUnit.SECONDS)).isInstanceOf(AsynchronousCloseException.class);
            }
        }
    }

    @Test
    void anAcceptTimeoutFailsTheAcceptAndTheSocketKeepsListening() throws Exception {
        LaneServerSocket server = cores.listen(lane, ANY_PORT);
        assertThat(server.acceptTimeout()).isEqualTo(Duration.ZERO);
        CompletableFuture<String> outcome = new CompletableFuture<>();
        CountDownLatch timedOut = new CountDownLatch(1);
        cores.go(lane, () -> {
            try {
                String first;
                server.acceptTimeout(Duration.ofMillis(50));
                try {
                    server.accept().close();
                    first = "accepted";
                } catch (SocketTimeoutException e) {
                    first = "timed out on cpu " + CoreManager.currentCpu() + ", open " + server.isOpen();
                }
                timedOut.countDown();
                server.acceptTimeout(Duration.ofSeconds(30));
                try (LaneSocket s = server.accept()) {
                    outcome.complete(first + "; then accepted one on cpu " + s.cpu());
                }
            } catch (Throwable t) {
                outcome.completeExceptionally(t);
            }
        });
        assertThat(timedOut.await(30, TimeUnit.SECONDS)).isTrue();
        try (Socket client = new Socket()) {
            client.connect(server.localAddress(), 30_000);
            assertThat(outcome.get(30, TimeUnit.SECONDS))
                    .isEqualTo("timed out on cpu " + lane + ", open true; then accepted one on cpu " + lane);
        }
    }

    @Test
    void aConnectTimeoutClosesTheSocketAndSaysSo() throws Exception {
        // A listener that accepts nothing, its queue filled: the kernel drops further SYNs, so a
        // connect stays pending (the client retransmits for seconds).
        try (ServerSocket full = new ServerSocket(0, 1, ANY_PORT.getAddress())) {
            java.util.List<Socket> queued = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 16; i++) {
                    Socket s = new Socket();
                    try {
                        s.connect(full.getLocalSocketAddress(), 500);
                        queued.add(s);
                    } catch (SocketTimeoutException e) {
                        s.close();
                        break; // the queue is full
                    }
                }
                CompletableFuture<String> outcome = new CompletableFuture<>();
                cores.go(lane, () -> {
                    try {
                        LaneSocket s = cores.connect(full.getLocalSocketAddress(), Duration.ofMillis(100));
                        s.close();
                        outcome.complete("connected");
                    } catch (SocketTimeoutException e) {
                        outcome.complete(e.getMessage() + " on cpu " + CoreManager.currentCpu());
                    } catch (Throwable t) {
                        outcome.completeExceptionally(t);
                    }
                });
                assertThat(outcome.get(30, TimeUnit.SECONDS)).isEqualTo("connect to " + full.getLocalSocketAddress()
                        + " timed out after PT0.1S (the socket is closed) on cpu " + lane);
            } finally {
                for (Socket s : queued) {
                    s.close();
                }
            }
        }
        try (ServerSocket open = new ServerSocket(0, 50, ANY_PORT.getAddress())) {
            CompletableFuture<Boolean> connected = new CompletableFuture<>();
            cores.go(lane, () -> {
                try (LaneSocket s = cores.connect(open.getLocalSocketAddress(), Duration.ofSeconds(30))) {
                    connected.complete(s.isOpen());
                } catch (Throwable t) {
                    connected.completeExceptionally(t);
                }
            });
            try (Socket accepted = open.accept()) {
                assertThat(connected.get(30, TimeUnit.SECONDS)).as("a timeout does not stop a connect that succeeds").isTrue();
            }
        }
        CompletableFuture<Throwable> negative = new CompletableFuture<>();
        cores.go(lane, () -> {
            try {
                cores.connect(ANY_PORT, Duration.ofSeconds(-1));
                negative.complete(null);
            } catch (Throwable t) {
                negative.complete(t);
            }
        });
        assertThat(negative.get(30, TimeUnit.SECONDS)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("timeout: PT-1S (expected: zero for none, or a positive duration)");
    }

    @Test
    void aNegativeTimeoutIsRefusedWithWhatIsValid() throws Exception {
        LaneServerSocket server = cores.listen(lane, ANY_PORT);
        assertThatThrownBy(() -> server.acceptTimeout(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("timeout: PT-0.001S (expected: zero for none, or a positive duration)");
        assertThatThrownBy(() -> server.acceptTimeout(null)).isInstanceOf(NullPointerException.class);
        server.close();
    }

    /**
     * An accept loop whose connections are all waiting accepts them without ever parking; before it
     * counted towards the yield, a task queued behind it on its lane ran only once the queue of
     * pending connections was empty (here: after all 200).
     */
    @Test
    void anAcceptLoopUnderAFloodOfConnectionsStillLetsItsLaneRunOtherWork() throws Exception {
        int pending = 200;
        LaneServerSocket server = cores.listen(lane, ANY_PORT);
        java.util.List<Socket> clients = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < pending; i++) {
                Socket c = new Socket();
                c.connect(server.localAddress(), 30_000); // complete: it waits in the listener's queue
                clients.add(c);
            }
            AtomicLong accepted = new AtomicLong();
            CompletableFuture<Long> seenByTask = new CompletableFuture<>();
            CompletableFuture<Throwable> acceptor = new CompletableFuture<>();
            cores.go(lane, () -> {
                try {
                    cores.execute(lane, () -> seenByTask.complete(accepted.get())); // queued behind this thread
                    for (int i = 0; i < pending; i++) {
                        server.accept().close();
                        accepted.incrementAndGet();
                    }
                    acceptor.complete(null);
                } catch (Throwable t) {
                    acceptor.complete(t);
                }
            });
            assertThat(acceptor.get(30, TimeUnit.SECONDS)).isNull();
            assertThat(seenByTask.get(30, TimeUnit.SECONDS)).as("accepts before the queued task ran")
                    .isLessThan((long) pending);
        } finally {
            for (Socket c : clients) {
                c.close();
            }
            server.close();
        }
    }

    /**
     * A reader whose data is always there never parks; without the yield after a run of reads that
     * did not park it kept the carrier for ever, and this task, queued on the same lane, never ran.
     */
    @Test
    void aReaderWhoseDataNeverRunsOutStillLetsItsLaneRunOtherWork() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 50, ANY_PORT.getAddress())) {
            AtomicLong bytes = new AtomicLong();
            CompletableFuture<Throwable> readerOutcome = new CompletableFuture<>();
            CountDownLatch stop = new CountDownLatch(1);
            cores.go(lane, () -> {
                try (LaneSocket s = cores.connect(peer.getLocalSocketAddress())) {
                    ByteBuffer small = ByteBuffer.allocate(16); // a system call per 16 bytes: slower than the writer
                    while (stop.getCount() > 0) {
                        small.clear();
                        int n = s.read(small);
                        if (n < 0) {
                            break;
                        }
                        bytes.addAndGet(n);
                    }
                    readerOutcome.complete(null);
                } catch (Throwable t) {
                    readerOutcome.complete(stop.getCount() == 0 && t instanceof IOException ? null : t); // the peer's close
                }
            });
            try (Socket accepted = peer.accept()) {
                Thread writer = Thread.ofPlatform().daemon(true).start(() -> {
                    byte[] chunk = new byte[64 * 1024];
                    try (OutputStream out = accepted.getOutputStream()) {
                        while (stop.getCount() > 0) {
                            out.write(chunk); // keeps the reader's receive buffer full
                        }
                    } catch (IOException e) {
                        // the reader closed its end
                    }
                });
                await("the reader is in its stride", () -> bytes.get() > 256 * 1024);
                CompletableFuture<Boolean> other = cores.submit(lane, readerOutcome::isDone);
                assertThat(other.get(30, TimeUnit.SECONDS)).as("the reader had ended when the task ran").isFalse();
                stop.countDown();
                accepted.close(); // ends the writer, and a read that would wait for more
                assertThat(readerOutcome.get(30, TimeUnit.SECONDS)).isNull();
                writer.join(30_000);
            }
        }
    }
}
