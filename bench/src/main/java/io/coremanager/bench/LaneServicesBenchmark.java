package io.coremanager.bench;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.Sharded;
import io.coremanager.bench.harness.Pinned;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The lane services of issue 13, each against the same done by hand, from a thread pinned on the
 * caller CPU (sample mode: median and p99 of single operations).
 * <ul>
 *   <li>{@code offload*}: a trivial blocking call run off the lanes, {@code cores.offload} against
 *       {@code CompletableFuture.supplyAsync} on a 4-thread fixed pool; from the benchmark thread
 *       ({@code FromOutside}), and from a task on the target lane, whose future completes on the
 *       lane ({@code FromTask}: the lane hop is in both). The manager has the target CPU only, so
 *       the offload threads run on the others.</li>
 *   <li>{@code sum*}: one value per lane summed over every usable CPU: {@code Sharded.mapReduce}
 *       against {@code submitToAll} of a read of an array indexed by {@code currentCpu()} (the
 *       sharded-counter example before {@code Sharded}), joined one by one.</li>
 * </ul>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED"})
@State(Scope.Thread)
public class LaneServicesBenchmark {

    private CoreManager oneLane;
    private CoreManager allLanes;
    private ExecutorService pool;
    private Sharded<AtomicLong> sharded;
    private AtomicLong[] byHand;
    private int target;

    @Setup(Level.Trial)
    public void start() {
        Pinned.pin(BenchCpus.caller());
        target = BenchCpus.target();
        oneLane = CoreManager.builder().cpus(CpuSet.of(target)).threadNamePrefix("bench-one-").build();
        allLanes = CoreManager.builder().cpus(BenchCpus.usable()).threadNamePrefix("bench-all-").build();
        pool = Executors.newFixedThreadPool(4);
        sharded = allLanes.sharded(() -> new AtomicLong(1));
        byHand = new AtomicLong[allLanes.cpus().last() + 1];
        for (int cpu : allLanes.cpus().toArray()) {
            byHand[cpu] = new AtomicLong(1);
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        oneLane.close();
        allLanes.close();
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        oneLane.awaitTermination(Duration.ofSeconds(10));
    }

    @Benchmark
    public Integer offloadFromOutside() {
        return oneLane.offload(() -> 1).join();
    }

    @Benchmark
    public Integer supplyAsyncFromOutside() {
        return CompletableFuture.supplyAsync(() -> 1, pool).join();
    }

    @Benchmark
    public Integer offloadFromTask() {
        return oneLane.submit(target, () -> oneLane.offload(() -> 1)).thenCompose(f -> f).join();
    }

    @Benchmark
    public Integer supplyAsyncFromTask() {
        return oneLane.submit(target, () -> CompletableFuture.supplyAsync(() -> 1, pool)).thenCompose(f -> f).join();
    }

    @Benchmark
    public Long sumMapReduce() {
        return sharded.mapReduce(AtomicLong::get, Long::sum).join();
    }

    @Benchmark
    public long sumByHand() {
        long sum = 0;
        for (CompletableFuture<Long> part : allLanes.submitToAll(() -> byHand[CoreManager.currentCpu()].get())) {
            sum += part.join();
        }
        return sum;
    }
}
