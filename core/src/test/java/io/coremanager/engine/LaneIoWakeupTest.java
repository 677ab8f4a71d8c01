package io.coremanager.engine;

import io.coremanager.CpuSet;
import io.coremanager.LaneServerSocket;
import io.coremanager.LaneSocket;
import io.coremanager.affinity.Affinity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The wake-up side of lane-local I/O, counted: resuming a thread from the lane's own poll costs no
 * wake-up at all (zero hops), a hot carrier costs producers none, and a carrier blocked in its
 * selector is woken by {@code selector.wakeup()} through the usual protocol.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LaneIoWakeupTest {

    private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

    private final List<Throwable> reported = EngineTesting.reports();
    private Lanes group;

    @AfterEach
    void stop() throws InterruptedException {
        if (group != null) {
            group.shutdownNow();
            assertThat(group.awaitTermination(TimeUnit.SECONDS.toNanos(30))).isTrue();
        }
        assertThat(reported).isEmpty();
    }

    private Lanes start(long spinNanos) {
        int cpu = EngineTesting.cpu();
        return Lanes.start(new Lanes.Config(CpuSet.of(cpu), "lane-io-test-", spinNanos, Affinity.isSupported(), true,
                (t, e) -> reported.add(e), 0, 0, false));
    }

    /** A ping-pong of {@code rounds} round trips between two virtual threads of the lane, over loopback. */
    private void pingPong(Lanes lanes, int cpu, int rounds) throws Exception {
        LaneServerSocket server = lanes.listen(cpu, ANY_PORT, 16);
        CompletableFuture<Void> echoed = new CompletableFuture<>();
        lanes.go(cpu, () -> {
            try (LaneSocket s = server.accept()) {
                server.close(); // from the lane: no wake-up (closing from outside wakes the carrier)
                ByteBuffer b = ByteBuffer.allocate(4);
                for (int i = 0; i < rounds; i++) {
                    b.clear();
                    while (b.hasRemaining()) {
                        if (s.read(b) < 0) {
                            throw new IOException("eof");
                        }
                    }
                    b.flip();
                    s.write(b);
                }
                echoed.complete(null);
            } catch (Throwable t) {
                echoed.completeExceptionally(t);
            }
        });
        CompletableFuture<Integer> client = new CompletableFuture<>();
        lanes.go(cpu, () -> {
            try (LaneSocket s = lanes.connect(server.localAddress())) {
                ByteBuffer b = ByteBuffer.allocate(4);
                int wrongCpu = 0;
                for (int i = 0; i < rounds; i++) {
                    b.clear().putInt(i).flip();
                    s.write(b);
                    b.clear();
                    while (b.hasRemaining()) {
                        if (s.read(b) < 0) {
                            throw new IOException("eof");
                        }
                    }
                    if (Affinity.isSupported() && Affinity.currentCpu() != cpu) {
                        wrongCpu++;
                    }
                }
                client.complete(wrongCpu);
            } catch (Throwable t) {
                client.completeExceptionally(t);
            }
        });
        assertThat(client.get(60, TimeUnit.SECONDS)).as("round trips resumed off the lane's cpu").isZero();
        echoed.get(60, TimeUnit.SECONDS);
    }

    @Test
    void threadsResumedByTheLanesOwnPollCostNoWakeup() throws Exception {
        group = start(20_000); // spins, then blocks in its selector between round trips
        int cpu = EngineTesting.cpu();
        Lane lane = group.lane(cpu);
        pingPong(group, cpu, 200); // warm-up: the selector exists from here on
        assertThat(lane.io.active()).isTrue();
        long before = lane.parking.wakeups();
        pingPong(group, cpu, 5_000);
        // Each round trip parks both threads and resumes them from the carrier's own poll: the
        // continuation is queued by the carrier while it runs, so no waker pays a wake-up. (The two
        // go() calls start threads from this test thread: at most two wake-ups, for those.)
        assertThat(lane.parking.wakeups() - before).isLessThanOrEqualTo(2);
        assertThat(lane.io.readyKeys()).isGreaterThanOrEqualTo(5_000);
    }

    @Test
    void aHotCarrierCostsProducersNoWakeup() throws Exception {
        group = start(Long.MAX_VALUE); // never parks: hot for the whole test
        int cpu = EngineTesting.cpu();
        Lane lane = group.lane(cpu);
        pingPong(group, cpu, 500);
        for (int i = 0; i < 10_000; i++) {
            group.execute(cpu, () -> { });
        }
        group.submit(cpu, () -> null).get(30, TimeUnit.SECONDS);
        assertThat(lane.parking.wakeups()).isZero();
    }

    @Test
    void idleConnectedSocketsLetTheCarrierBlock() throws Exception {
        group = start(0);
        int cpu = EngineTesting.cpu();
        Lane lane = group.lane(cpu);
        LaneServerSocket server = group.listen(cpu, ANY_PORT, 16);
        CompletableFuture<LaneSocket> accepted = new CompletableFuture<>();
        CompletableFuture<LaneSocket> connected = new CompletableFuture<>();
        group.go(cpu, () -> {
            try {
                accepted.complete(server.accept());
            } catch (Throwable t) {
                accepted.completeExceptionally(t);
            }
        });
        group.go(cpu, () -> {
            try {
                connected.complete(group.connect(server.localAddress()));
            } catch (Throwable t) {
                connected.completeExceptionally(t);
            }
        });
        LaneSocket a = accepted.get(30, TimeUnit.SECONDS);
        LaneSocket c = connected.get(30, TimeUnit.SECONDS);
        EngineTesting.await("the carrier blocks", lane.parking::isParked);
        long before = lane.io.blocks();
        Thread.sleep(300); // an observation window, not a wait: a selector that cannot block would select thousands of times
        assertThat(lane.io.blocks() - before).as("blocking selects in 300 ms with idle sockets").isLessThanOrEqualTo(3);
        a.close();
        c.close();
        server.close();
    }

    @Test
    void aCarrierBlockedInItsSelectorIsWokenBySelectorWakeup() throws Exception {
        group = start(0); // parks (selects) at once when idle
        int cpu = EngineTesting.cpu();
        Lane lane = group.lane(cpu);
        pingPong(group, cpu, 10);
        assertThat(lane.io.active()).isTrue();
        for (int i = 0; i < 100; i++) {
            long before = lane.parking.wakeups();
            EngineTesting.await("the carrier blocks", () -> lane.counters.runningVolatile() == null
                    && lane.parking.isParked());
            group.submit(cpu, () -> null).get(30, TimeUnit.SECONDS);
            assertThat(lane.parking.wakeups() - before).isEqualTo(1);
        }
    }
}
