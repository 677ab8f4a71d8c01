package io.coremanager.examples;

import io.coremanager.CoreManager;
import io.coremanager.Sharded;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Per-core state without locks: a counter per key, sharded by CPU with {@link Sharded}. A key's CPU
 * is {@link CoreManager#cpuFor(Object)}; that CPU's lane owns the key's shard, a plain
 * {@link HashMap} made on the lane (so its memory is local to that CPU) and only ever touched there.
 * Lanes run their tasks one at a time, so an increment needs no synchronisation, and the shard stays
 * in that core's caches.
 */
public final class ShardedCounterService implements AutoCloseable {

    private final CoreManager cores;
    private final Sharded<Map<String, Long>> shards;

    /**
     * A counter service on {@code cores}' lanes; closing the service closes them.
     *
     * @param cores the manager whose lanes hold the shards
     */
    public ShardedCounterService(CoreManager cores) {
        this.cores = cores;
        this.shards = cores.sharded(HashMap::new);
    }

    /**
     * Adds one to {@code key}'s count, on the key's CPU; returns at once.
     *
     * @param key the key
     */
    public void increment(String key) {
        shards.invokeOn(key, shard -> shard.merge(key, 1L, Long::sum));
    }

    /**
     * The count of {@code key}, read on its CPU after every increment submitted before this call by
     * the calling thread.
     *
     * @param key the key
     * @return its count
     */
    public CompletableFuture<Long> count(String key) {
        return shards.invokeOn(key, shard -> shard.getOrDefault(key, 0L));
    }

    /**
     * The total over every shard, each summed on its own CPU.
     *
     * @return the sum of all counts
     */
    public CompletableFuture<Long> total() {
        return shards.mapReduce(shard -> shard.values().stream().mapToLong(Long::longValue).sum(), Long::sum);
    }

    @Override
    public void close() {
        cores.close();
    }

    /** Counts a million increments over a thousand keys from four producer threads. */
    public static void main(String[] args) throws Exception {
        try (ShardedCounterService counters = new ShardedCounterService(CoreManager.create())) {
            List<Thread> producers = new ArrayList<>();
            long start = System.nanoTime();
            for (int p = 0; p < 4; p++) {
                producers.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 250_000; i++) {
                        counters.increment("user-" + (i % 1000));
                    }
                }));
            }
            for (Thread t : producers) {
                t.join();
            }
            long total = counters.total().get();
            System.out.printf("%d increments counted in %d ms on cpus %s; user-7 has %d%n", total,
                    (System.nanoTime() - start) / 1_000_000, counters.cores.cpus(), counters.count("user-7").get());
        }
    }
}
