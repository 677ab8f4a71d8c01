package io.coremanager.examples;

import io.coremanager.CoreManager;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Per-core state without locks: a counter per key, sharded by CPU. A key's CPU is
 * {@link CoreManager#cpuFor(Object)}; that CPU's lane owns the key's shard, a plain {@link HashMap}
 * that only its carrier ever touches. Lanes run their tasks one at a time, so an increment needs no
 * synchronisation, and the shard stays in that core's caches.
 */
public final class ShardedCounterService implements AutoCloseable {

    private final CoreManager cores;
    /** Shard of each managed CPU, indexed by CPU number; each touched only on its lane. */
    private final Map<String, Long>[] shards;

    @SuppressWarnings("unchecked")
    public ShardedCounterService(CoreManager cores) {
        this.cores = cores;
        this.shards = new Map[cores.cpus().last() + 1];
        for (int cpu : cores.cpus().toArray()) {
            shards[cpu] = new HashMap<>();
        }
    }

    /** Adds one to {@code key}'s count, on the key's CPU; returns at once. */
    public void increment(String key) {
        int cpu = cores.cpuFor(key);
        Map<String, Long> shard = shards[cpu];
        cores.execute(cpu, () -> shard.merge(key, 1L, Long::sum));
    }

    /** The count of {@code key}, read on its CPU after every increment submitted before this call. */
    public CompletableFuture<Long> count(String key) {
        int cpu = cores.cpuFor(key);
        Map<String, Long> shard = shards[cpu];
        return cores.submit(cpu, () -> shard.getOrDefault(key, 0L));
    }

    /** The total over every shard, each read on its own CPU. */
    public long total() {
        long sum = 0;
        for (CompletableFuture<Long> part : cores.submitToAll(() ->
                shards[CoreManager.currentCpu()].values().stream().mapToLong(Long::longValue).sum())) {
            sum += part.join();
        }
        return sum;
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
            long total = counters.total();
            System.out.printf("%d increments counted in %d ms on cpus %s; user-7 has %d%n", total,
                    (System.nanoTime() - start) / 1_000_000, counters.cores.cpus(), counters.count("user-7").get());
        }
    }
}
