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
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static io.coremanager.LaneIoTesting.ANY_PORT;
import static io.coremanager.LaneIoTesting.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Edge cases of lane sockets' read and accept timeouts and of the yield after a run of reads and
 * writes that did not park: races with readiness, close, interrupt and spurious unparks; extreme
 * durations; the serve loop; shutdown. Loopback only; every wait is bounded; no timing is asserted
 * but lower bounds (a timeout must not come early).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LaneSocketTimeoutEdgeCasesTest {


    private final List<Throwable> reported = new CopyOnWriteArrayList<>();
    private CoreManager cores;
    private int lane;

    @BeforeEach
    void start() {
        cores = CoreManager.builder().uncaughtExceptionHandler((t, e) -> reported.add(e)).build();
        lane = cores.cpus().last();
    }

    @AfterEach
    void stop() throws InterruptedException {
        cores.shutdownNow();
        assertThat(cores.awaitTermination(Duration.ofSeconds(30))).as("terminated").isTrue();
    }

    /**
     * The documented contract: "a read already waiting keeps the timeout it started with". A read that
     * started without a timeout must not pick up one set meanwhile when it is woken spuriously.
     */
    @Test
    void aReadWaitingWithoutATimeoutKeepsItWhenOneIsSetMeanwhile() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 50, ANY_PORT.getAddress())) {
            AtomicReference<LaneSocket> socket = new AtomicReference<>();
            CompletableFuture<Object> outcome = new CompletableFuture<>();
            Thread reader = cores.go(lane, () -> {
                try {
                    LaneSocket s = cores.connect(peer.getLocalSocketAddress());
                    socket.set(s);
                    outcome.complete(s.read(ByteBuffer.allocate(8)));
                } catch (Throwable t) {
                    outcome.complete(t);
                }
            });
            try (Socket accepted = peer.accept()) {
                await("the reader parks", () -> reader.getState() == Thread.State.WAITING);
                socket.get().readTimeout(Duration.ofMillis(20));
                for (int i = 0; i < 20 && !outcome.isDone(); i++) {
                    LockSupport.unpark(reader); // spurious wake-ups, which park's contract allows
                    Thread.sleep(20);
                }
                Thread.sleep(200);
                assertThat(outcome.isDone() ? outcome.get() : "still waiting").as("the untimed read").isEqualTo("still waiting");
                accepted.getOutputStream().write(7);
                assertThat(outcome.get(30, TimeUnit.SECONDS)).isEqualTo(1);
            }
        }
    }

    /** Spurious unparks shorten no timed wait: the timeout comes at the deadline, not before. */
    @Test
    void spuriousUnparksDoNotEndATimedReadEarly() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 50, ANY_PORT.getAddress())) {
            CompletableFuture<Object> outcome = new CompletableFuture<>();
            AtomicLong elapsed = new AtomicLong();
            Thread reader = cores.go(lane, () -> {
                try (LaneSocket s = cores.connect(peer.getLocalSocketAddress())) {
                    s.readTimeout(Duration.ofMillis(300));
                    long t0 = System.nanoTime();
                    try {
                        outcome.complete(s.read(ByteBuffer.allocate(8)));
                    } finally {
                        elapsed.set(System.nanoTime() - t0);
                    }
                } catch (Throwable t) {
                    outcome.complete(t);
                }
            });
            try (Socket accepted = peer.accept()) {
                while (!outcome.isDone()) {
                    LockSupport.unpark(reader);
                    Thread.sleep(1);
                }
                assertThat(outcome.get()).isInstanceOf(SocketTimeoutException.class);
                assertThat(elapsed.get()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
            }
        }
    }

    /**
     * Data sent around the deadline: every round either reads the byte, or times out and reads it on
     * the next (untimed) read. No byte is lost, none is read twice, and a timeout never eats data.
     */
    @Test
    void dataArrivingAtTheDeadlineIsNeitherLostNorReadWithATimeout() throws Exception {
        int rounds = 300;
        try (ServerSocket peer = new ServerSocket(0, 50, ANY_PORT.getAddress())) {
            CompletableFuture<String> outcome = new CompletableFuture<>();
            CountDownLatch[] ready = new CountDownLatch[rounds];
            for (int i = 0; i < rounds; i++) {
                ready[i] = new CountDownLatch(1);
            }
            AtomicLong timeouts = new AtomicLong();
            cores.go(lane, () -> {
                try (LaneSocket s = cores.connect(peer.getLocalSocketAddress())) {
                    ByteBuffer b = ByteBuffer.allocate(1);
                    for (int i = 0; i < rounds; i++) {
                        s.readTimeout(Duration.ofNanos(200_000 + (i % 10) * 100_000));
                        ready[i].countDown();
                        b.clear();
                        int n;
                        try {
                            n = s.read(b);
                        } catch (SocketTimeoutException e) {
                            timeouts.incrementAndGet();
                            assertThat(b.position()).as("a timed-out read read nothing").isZero();
                            s.readTimeout(Duration.ZERO);
                            n = s.read(b);
                        }
                        assertThat(n).isEqualTo(1);
                        assertThat(b.get(0)).isEqualTo((byte) i);
                    }
                    outcome.complete("all " + rounds);
                } catch (Throwable t) {
                    outcome.completeExceptionally(t);
                }
            });
            try (Socket accepted = peer.accept()) {
                OutputStream out = accepted.getOutputStream();
                for (int i = 0; i < rounds; i++) {
                    assertThat(ready[i].await(30, TimeUnit.SECONDS)).isTrue();
                    long until = System.nanoTime() + 200_000 + (i % 10) * 100_000 + (i % 7 - 3) * 30_000;
                    while (System.nanoTime() - until < 0) {
                        Thread.onSpinWait();
                    }
                    out.write(i);
                }
                assertThat(outcome.get(60, TimeUnit.SECONDS)).isEqualTo("all " + rounds);
            }
        }
    }

    /** An interrupt during a timed park closes the socket and throws ClosedByInterruptException, not a timeout. */
    @Test
    void anInterruptDuringATimedReadClosesTheSocket() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 50, ANY_PORT.getAddress())) {
            AtomicReference<LaneSocket> socket = new AtomicReference<>();
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread reader = cores.go(lane, () -> {
                try {
                    LaneSocket s = cores.connect(peer.getLocalSocketAddress());
                    socket.set(s);
                    s.readTimeout(Duration.ofMinutes(5));
                    s.read(ByteBuffer.allocate(8));
                    outcome.complete(null);
                } catch (Throwable t) {
                    outcome.complete(t);
                }
            });
            try (Socket accepted = peer.accept()) {
                await("the reader parks", () -> reader.getState() == Thread.State.TIMED_WAITING);
                reader.interrupt();
                assertThat(outcome.get(30, TimeUnit.SECONDS)).isInstanceOf(ClosedByInterruptException.class);
                assertThat(socket.get().isOpen()).isFalse();
            }
        }
    }

    /** A close racing the timeout: the reader ends with a close or a timeout, never hangs, never reads. */
    @Test
    void aCloseRacingTheTimeoutEndsTheReadEitherWay() throws Exception {
        for (int round = 0; round < 100; round++) {
            try (ServerSocket peer = new ServerSocket(0, 50, ANY_PORT.getAddress())) {
                AtomicReference<LaneSocket> socket = new AtomicReference<>();
                CountDownLatch connected = new CountDownLatch(1);
                CompletableFuture<Object> outcome = new CompletableFuture<>();
                int r = round;
                cores.go(lane, () -> {
                    try {
                        LaneSocket s = cores.connect(peer.getLocalSocketAddress());
                        s.readTimeout(Duration.ofNanos(500_000 + (r % 10) * 50_000));
                        socket.set(s);
                        connected.countDown();
                        outcome.complete(s.read(ByteBuffer.allocate(8)));
                    } catch (Throwable t) {
                        outcome.complete(t);
                    }
                });
                try (Socket accepted = peer.accept()) {
                    assertThat(connected.await(30, TimeUnit.SECONDS)).isTrue();
                    long until = System.nanoTime() + 500_000;
                    while (System.nanoTime() - until < 0) {
                        Thread.onSpinWait();
                    }
                    socket.get().close();
                    Object o = outcome.get(30, TimeUnit.SECONDS);
                    assertThat(o).isInstanceOfAny(AsynchronousCloseException.class, SocketTimeoutException.class);
                }
            }
        }
    }

    /** Extreme durations: the largest is clamped, not overflowed into an instant timeout; 1 ns times out and the socket stays usable. */
    @Test
    void extremeTimeoutsNeitherOverflowNorBreakTheSocket() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 50, ANY_PORT.getAddress())) {
            CompletableFuture<String> outcome = new CompletableFuture<>();
            CountDownLatch parkedLong = new CountDownLatch(1);
            AtomicReference<Thread> me = new AtomicReference<>();
            cores.go(lane, () -> {
                try (LaneSocket s = cores.connect(peer.getLocalSocketAddress())) {
                    me.set(Thread.currentThread());
                    StringBuilder sb = new StringBuilder();
                    s.readTimeout(Duration.ofNanos(1));
                    try {
                        s.read(ByteBuffer.allocate(8));
                        sb.append("read; ");
                    } catch (SocketTimeoutException e) {
                        sb.append("1ns timed out, open ").append(s.isOpen()).append("; ");
                    }
                    s.readTimeout(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999));
                    sb.append("max is ").append(s.readTimeout().isPositive()).append("; ");
                    parkedLong.countDown();
                    ByteBuffer b = ByteBuffer.allocate(8);
                    sb.append("then read ").append(s.read(b));
                    outcome.complete(sb.toString());
                } catch (Throwable t) {
                    outcome.completeExceptionally(t);
                }
            });
            try (Socket accepted = peer.accept()) {
                assertThat(parkedLong.await(30, TimeUnit.SECONDS)).isTrue();
                await("the reader parks", () -> me.get().getState() == Thread.State.TIMED_WAITING);
                Thread.sleep(50);
                assertThat(outcome.isDone()).as("the max timeout did not fire at once").isFalse();
                accepted.getOutputStream().write(1);
                assertThat(outcome.get(30, TimeUnit.SECONDS)).isEqualTo("1ns timed out, open true; max is true; then read 1");
            }
        }
    }

    /**
     * {@code serve} returns its listening socket, on which an accept timeout may be set. Its accept
     * loop must not take each timeout for a failure to report (it reports and pauses 10 ms on "EMFILE
     * and the like").
     */
    @Test
    void anAcceptTimeoutOnAServedSocketIsNotReportedAsAFailure() throws Exception {
        LaneServerSocket server = cores.serve(lane, ANY_PORT, ConnectionPlacement.roundRobin(CpuSet.of(lane)),
                s -> s.outputStream().write(9));
        server.acceptTimeout(Duration.ofMillis(5));
        Thread.sleep(300);
        try (Socket client = new Socket()) {
            client.connect(server.localAddress(), 30_000);
            client.setSoTimeout(30_000);
            assertThat(client.getInputStream().read()).isEqualTo(9);
        }
        assertThat(reported).as("reports").isEmpty();
        server.close();
    }

    /** shutdownNow while a thread is in a timed wait (read or accept): the group terminates, the waits fail as closes. */
    @Test
    void shutdownNowEndsTimedWaits() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 50, ANY_PORT.getAddress())) {
            LaneServerSocket server = cores.listen(lane, ANY_PORT);
            CompletableFuture<Throwable> read = new CompletableFuture<>();
            CompletableFuture<Throwable> accept = new CompletableFuture<>();
            Thread reader = cores.go(lane, () -> {
                try (LaneSocket s = cores.connect(peer.getLocalSocketAddress())) {
                    s.readTimeout(Duration.ofDays(1));
                    s.read(ByteBuffer.allocate(8));
                    read.complete(null);
                } catch (Throwable t) {
                    read.complete(t);
                }
            });
            Thread acceptor = cores.go(lane, () -> {
                try {
                    server.acceptTimeout(Duration.ofDays(1));
                    server.accept();
                    accept.complete(null);
                } catch (Throwable t) {
                    accept.complete(t);
                }
            });
            try (Socket accepted = peer.accept()) {
                await("both park", () -> reader.getState() == Thread.State.TIMED_WAITING
                        && acceptor.getState() == Thread.State.TIMED_WAITING);
                cores.shutdownNow();
                assertThat(cores.awaitTermination(Duration.ofSeconds(30))).isTrue();
                assertThat(read.get(1, TimeUnit.SECONDS)).isInstanceOf(AsynchronousCloseException.class);
                assertThat(accept.get(1, TimeUnit.SECONDS)).isInstanceOf(AsynchronousCloseException.class);
            }
        }
    }

    /**
     * Two threads of one lane on one socket, each never parking (a reader of a full receive buffer,
     * a writer into a drained send buffer), and a second reader waiting on the read lock while the
     * first yields holding it: everyone progresses, the lane's tasks too.
     */
    @Test
    void aReaderAWriterAndASecondReaderOfOneSocketAllProgress() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 50, ANY_PORT.getAddress())) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong read1 = new AtomicLong();
            AtomicLong read2 = new AtomicLong();
            AtomicLong written = new AtomicLong();
            AtomicReference<LaneSocket> socket = new AtomicReference<>();
            CountDownLatch connected = new CountDownLatch(1);
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            CountDownLatch done = new CountDownLatch(3);
            cores.go(lane, () -> {
                try {
                    socket.set(cores.connect(peer.getLocalSocketAddress()));
                    connected.countDown();
                } catch (Throwable t) {
                    failures.add(t);
                }
            });
            try (Socket accepted = peer.accept()) {
                assertThat(connected.await(30, TimeUnit.SECONDS)).isTrue();
                LaneSocket s = socket.get();
                for (AtomicLong counter : List.of(read1, read2)) {
                    cores.go(lane, () -> {
                        ByteBuffer b = ByteBuffer.allocate(16);
                        try {
                            while (!stop.get()) {
                                b.clear();
                                if (s.read(b) < 0) {
                                    break;
                                }
                                counter.addAndGet(b.position());
                            }
                        } catch (IOException e) {
                            if (!stop.get()) {
                                failures.add(e);
                            }
                        } catch (Throwable t) {
                            failures.add(t);
                        } finally {
                            done.countDown();
                        }
                    });
                }
                cores.go(lane, () -> {
                    ByteBuffer b = ByteBuffer.allocate(16);
                    try {
                        while (!stop.get()) {
                            b.clear();
                            written.addAndGet(s.write(b));
                        }
                    } catch (IOException e) {
                        if (!stop.get()) {
                            failures.add(e);
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    } finally {
                        done.countDown();
                    }
                });
                Thread feeder = Thread.ofPlatform().daemon(true).start(() -> {
                    byte[] chunk = new byte[64 * 1024];
                    try (OutputStream out = accepted.getOutputStream()) {
                        while (!stop.get()) {
                            out.write(chunk);
                        }
                    } catch (IOException e) {
                        // closed
                    }
                });
                Thread drainer = Thread.ofPlatform().daemon(true).start(() -> {
                    byte[] chunk = new byte[64 * 1024];
                    try {
                        while (!stop.get() && accepted.getInputStream().read(chunk) >= 0) {
                            // drains
                        }
                    } catch (IOException e) {
                        // closed
                    }
                });
                try {
                    await("all three progress", () -> read1.get() > 64 * 1024 && read2.get() > 64 * 1024
                            && written.get() > 64 * 1024);
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + ": read " + read1 + " and " + read2 + ", wrote " + written, e);
                }
                assertThat(cores.submit(lane, () -> 1).get(30, TimeUnit.SECONDS)).isEqualTo(1);
                stop.set(true);
                s.close();
                assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
                accepted.close();
                feeder.join(30_000);
                drainer.join(30_000);
                assertThat(failures).isEmpty();
            }
        }
    }

    /**
     * Two readers of one socket with a read timeout, as {@code java.net.Socket} allows: one polls
     * (reads, times out, reads again); the other's read must end (with data or a timeout) while the
     * first still polls. "Two readers take turns"; and {@code SO_TIMEOUT} bounds the wait for the
     * lock too in the JDK's own socket.
     */
    @Test
    void aSecondReaderIsNotShutOutByAReaderThatPollsWithATimeout() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 50, ANY_PORT.getAddress())) {
            AtomicReference<LaneSocket> socket = new AtomicReference<>();
            CountDownLatch polling = new CountDownLatch(1);
            AtomicBoolean pollerDone = new AtomicBoolean();
            CompletableFuture<String> second = new CompletableFuture<>();
            cores.go(lane, () -> {
                try (LaneSocket s = cores.connect(peer.getLocalSocketAddress())) {
                    s.readTimeout(Duration.ofMillis(20));
                    socket.set(s);
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    while (!second.isDone() && System.nanoTime() - until < 0) {
                        try {
                            s.read(ByteBuffer.allocate(8));
                        } catch (SocketTimeoutException e) {
                            polling.countDown(); // and poll again
                        }
                    }
                    pollerDone.set(true);
                    second.get(30, TimeUnit.SECONDS);
                } catch (Throwable t) {
                    second.completeExceptionally(t);
                }
            });
            try (Socket accepted = peer.accept()) {
                assertThat(polling.await(30, TimeUnit.SECONDS)).isTrue();
                cores.go(lane, () -> {
                    try {
                        socket.get().read(ByteBuffer.allocate(8));
                        second.complete("read, the poller " + (pollerDone.get() ? "done" : "polling"));
                    } catch (SocketTimeoutException e) {
                        second.complete("timed out, the poller " + (pollerDone.get() ? "done" : "polling"));
                    } catch (Throwable t) {
                        second.completeExceptionally(t);
                    }
                });
                assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo("timed out, the poller polling");
            }
        }
    }
}
