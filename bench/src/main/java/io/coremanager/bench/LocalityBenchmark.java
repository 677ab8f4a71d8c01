package io.coremanager.bench;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.IdleStrategy;
import io.coremanager.bench.harness.Contenders;
import io.coremanager.topology.Cache;
import io.coremanager.topology.CpuTopology;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * 4. Locality: per-core state. Each CPU owns a shard (a {@code long[]} of half its L2 cache); a
 * batch is {@value #TASKS_PER_CPU} tasks per shard, each task doing {@value #TOUCHES} random
 * read-modify-writes in its shard. With CoreManager a shard's tasks always run on its CPU, so the
 * shard stays in that CPU's L2; with an unpinned pool of as many threads, a shard's tasks run
 * wherever a thread is free and the shard moves between caches.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class LocalityBenchmark {

    static final int TASKS_PER_CPU = 64;
    static final int TOUCHES = 2048;

    @Param({"coremanager", "unpinned-pool"})
    public String placement;

    private CoreManager cores;
    private ExecutorService pool;
    private int[] cpus;
    private long[][] shards;

    @Setup(Level.Trial)
    public void start() {
        CpuTopology topology = CpuTopology.current();
        CpuSet usable = topology.usableCpus();
        cpus = usable.toArray();
        long l2 = topology.cpu(cpus[0]).caches().stream().filter(c -> c.level() == 2 && c.holdsData())
                .mapToLong(Cache::sizeBytes).findFirst().orElse(1 << 20);
        int longs = (int) Math.max(1024, l2 / 2 / Long.BYTES);
        shards = new long[cpus.length][longs];
        if (placement.equals("coremanager")) {
            cores = Contenders.manager(usable, IdleStrategy.spinThenPark());
        } else {
            pool = Executors.newFixedThreadPool(cpus.length);
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        if (cores != null) {
            cores.close();
        }
        if (pool != null) {
            pool.shutdown();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Benchmark
    @OperationsPerInvocation(TASKS_PER_CPU)
    public long batch() {
        List<CompletableFuture<Long>> futures = new ArrayList<>(cpus.length * TASKS_PER_CPU);
        for (int round = 0; round < TASKS_PER_CPU; round++) {
            for (int i = 0; i < cpus.length; i++) {
                long[] shard = shards[i];
                long seed = round * 31L + i;
                futures.add(cores != null
                        ? cores.submit(cpus[i], () -> touch(shard, seed))
                        : CompletableFuture.supplyAsync(() -> touch(shard, seed), pool));
            }
        }
        long sum = 0;
        for (CompletableFuture<Long> f : futures) {
            sum += f.join();
        }
        return sum;
    }

    /** Random read-modify-writes in one shard (in the unpinned pool two may race on a shard: lost increments do not matter here). */
    static long touch(long[] shard, long seed) {
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        long sum = 0;
        int mask = Integer.highestOneBit(shard.length) - 1;
        for (int i = 0; i < TOUCHES; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            int index = (int) (x & mask);
            sum += ++shard[index];
        }
        return sum;
    }
}
