package io.coremanager;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lanes end to end under hand-off stress, for each idle strategy: producers on every CPU submit
 * and wait, so carriers park and wake constantly. A lost wake-up shows as a task that does not
 * complete within seconds. Runs {@code coremanager.stress.seconds} (default 2) per strategy.
 */
class ParkWakeStressTest {

    private static final long SECONDS = Long.getLong("coremanager.stress.seconds", 2);

    @ParameterizedTest
    @ValueSource(strings = {"park", "spinThenPark-1us", "busySpin"})
    void noHandOffIsEverLost(String strategy) throws Exception {
        IdleStrategy idle = switch (strategy) {
            case "park" -> IdleStrategy.park();
            case "busySpin" -> IdleStrategy.busySpin();
            default -> IdleStrategy.spinThenPark(Duration.ofNanos(1_000));
        };
        ConcurrentLinkedQueue<String> lost = new ConcurrentLinkedQueue<>();
        long total;
        try (CoreManager cores = CoreManager.builder().idleStrategy(idle).build()) {
            List<Thread> producers = new ArrayList<>();
            long[] counts = new long[cores.cpus().size() * 2];
            long end = System.nanoTime() + SECONDS * 1_000_000_000L;
            for (int p = 0; p < counts.length; p++) {
                int index = p;
                int target = cores.cpus().get(p % cores.cpus().size());
                producers.add(Thread.ofPlatform().start(() -> {
                    while (System.nanoTime() < end && lost.isEmpty()) {
                        CompletableFuture<Integer> f = cores.submit(target, () -> 1);
                        try {
                            f.get(5, TimeUnit.SECONDS);
                            counts[index]++;
                        } catch (TimeoutException e) {
                            lost.add("cpu " + target + " after " + counts[index] + " hand-offs: " + cores.stats(target));
                        } catch (Exception e) {
                            lost.add(e.toString());
                        }
                    }
                }));
            }
            for (Thread t : producers) {
                t.join();
            }
            total = java.util.Arrays.stream(counts).sum();
        }
        assertThat(lost).isEmpty();
        assertThat(total).isPositive();
    }
}
