package io.coremanager.bench;

import io.coremanager.CpuSet;
import io.coremanager.bench.harness.Contender;
import io.coremanager.bench.harness.Pinned;
import io.coremanager.bench.harness.Throughput.Counter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * 2. Throughput of hand-offs, steady state: each JMH thread is a producer pinned to its CPU and keeps
 * at most {@value #WINDOW} tasks outstanding per target. Scenarios (run with {@code -t}):
 * <ul>
 *   <li>{@code one}: one target (the last usable CPU); {@code -t 1} is 1 → 1, {@code -t n-1} is n−1 → 1,
 *       producers on the other CPUs;</li>
 *   <li>{@code all}: every usable CPU is a target and has a producer ({@code -t n}), each sending
 *       round-robin to every other CPU.</li>
 * </ul>
 * The floor's ring takes one producer only: run it with {@code -t 1}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED"})
@Threads(1)
public class ThroughputBenchmark {

    static final int WINDOW = 1024;

    /** The contenders, one per target CPU. */
    @State(Scope.Benchmark)
    public static class Targets {
        @Param({"coremanager-spinThenPark", "coremanager-park", "coremanager-busySpin", "threadpool-pinned",
            "forkjoinpool-pinned", "virtual-threads", "openhft-affinity", "floor"})
        public String contender;

        @Param({"one"})
        public String scenario;

        int[] cpus;
        Contender[] contenders;
        final AtomicInteger producers = new AtomicInteger();

        @Setup(Level.Trial)
        public void start() {
            cpus = scenario.equals("all") ? BenchCpus.usable().toArray() : new int[] {BenchCpus.target()};
            contenders = new Contender[cpus.length];
            for (int i = 0; i < cpus.length; i++) {
                contenders[i] = OpenHft.contender(contender, cpus[i]);
            }
        }

        @TearDown(Level.Trial)
        public void stop() throws Exception {
            for (Contender c : contenders) {
                c.close();
            }
        }
    }

    /** One producer: its CPU, its targets, and a counter per target written by that target's consumer. */
    @State(Scope.Thread)
    public static class Producer {
        int[] targets;
        Counter[] counters;
        long[] sent;
        int next;

        @Setup(Level.Trial)
        public void start(Targets t) {
            int index = t.producers.getAndIncrement();
            CpuSet usable = BenchCpus.usable();
            int cpu;
            if (t.scenario.equals("all")) {
                cpu = usable.get(index % usable.size());
            } else {
                CpuSet others = usable.without(BenchCpus.target());
                cpu = others.isEmpty() ? BenchCpus.target() : others.get(index % others.size());
            }
            Pinned.pin(cpu);
            int[] chosen = java.util.stream.IntStream.range(0, t.cpus.length)
                    .filter(i -> t.cpus[i] != cpu || t.cpus.length == 1).toArray();
            targets = chosen;
            counters = new Counter[t.cpus.length];
            for (int i = 0; i < counters.length; i++) {
                counters[i] = new Counter();
            }
            sent = new long[t.cpus.length];
        }
    }

    @Benchmark
    public void handOff(Targets t, Producer p) throws Exception {
        int target = p.targets[p.next];
        p.next = p.next + 1 == p.targets.length ? 0 : p.next + 1;
        Counter counter = p.counters[target];
        while (p.sent[target] - counter.done() >= WINDOW) {
            Thread.onSpinWait();
        }
        t.contenders[target].handOff(counter);
        p.sent[target]++;
    }
}
