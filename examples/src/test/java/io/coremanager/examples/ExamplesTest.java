package io.coremanager.examples;

import io.coremanager.CoreManager;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class ExamplesTest {

    @Test
    void theShardedCounterCountsEveryIncrementOnItsKeysCpu() throws Exception {
        try (ShardedCounterService counters = new ShardedCounterService(CoreManager.create())) {
            for (int i = 0; i < 10_000; i++) {
                counters.increment("key-" + (i % 100));
            }
            assertThat(counters.count("key-7").get(30, TimeUnit.SECONDS)).isEqualTo(100);
            assertThat(counters.total().get(30, TimeUnit.SECONDS)).isEqualTo(10_000);
        }
    }

    @Test
    void theShardedCounterLosesNoIncrementFromConcurrentProducers() throws Exception {
        try (ShardedCounterService counters = new ShardedCounterService(CoreManager.create())) {
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                producers.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 5_000; i++) {
                        counters.increment("user-" + (i % 50));
                    }
                }));
            }
            for (Thread t : producers) {
                t.join();
            }
            assertThat(counters.total().get(30, TimeUnit.SECONDS)).isEqualTo(20_000);
            assertThat(counters.count("user-7").get(30, TimeUnit.SECONDS)).isEqualTo(400);
        }
    }

    @Test
    void theLaneEchoServerEchoes() throws Exception {
        try (CoreManager cores = CoreManager.create()) {
            io.coremanager.LaneServerSocket server = LaneEchoServer.start(cores,
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            for (int i = 0; i < 4; i++) {
                try (Socket client = new Socket()) {
                    client.connect(server.localAddress(), 10_000);
                    client.setSoTimeout(30_000);
                    BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
                    client.getOutputStream().write(("hello " + i + "\n").getBytes(StandardCharsets.US_ASCII));
                    assertThat(in.readLine()).isEqualTo("hello " + i);
                }
            }
            server.close();
        }
    }

    @Test
    void theEchoServerGreetsWithItsPinnedCpuAndEchoes() throws Exception {
        try (PinnedNettyEchoServer server = new PinnedNettyEchoServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             Socket client = new Socket(server.address().getAddress(), server.address().getPort())) {
            BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
            String greeting = in.readLine();
            assertThat(greeting).matches("served by echo-loop-\\d+-cpu(\\d+) on cpu \\d+");
            String pinned = greeting.replaceAll(".*-cpu(\\d+) on cpu (\\d+)", "$1 $2");
            assertThat(pinned.split(" ")[0]).isEqualTo(pinned.split(" ")[1]);
            client.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).isEqualTo("hello");
        }
    }
}
