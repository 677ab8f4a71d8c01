package io.coremanager.engine;

import io.coremanager.bench.BenchCpus;
import io.coremanager.bench.harness.Pinned;
import org.jctools.queues.MpscUnboundedXaddArrayQueue;
import org.jctools.queues.atomic.MpscLinkedAtomicQueue;
import org.jctools.queues.atomic.MpscUnboundedAtomicArrayQueue;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * The lane's queue against the candidates: {@code ConcurrentLinkedQueue}, JCTools'
 * {@code MpscUnboundedXaddArrayQueue} (sun.misc.Unsafe: warns on JDK 25), and the atomic (no
 * Unsafe) {@code MpscUnboundedAtomicArrayQueue} and {@code MpscLinkedAtomicQueue}. Producers offer
 * while about fewer than {@value #LIMIT} elements wait (each producer counts what it sent, the
 * consumer publishes what it took: the same bound for every candidate, without asking a queue
 * its size, which is O(n) for some), the consumer polls. The score is the secondary metric
 * {@code polled}: elements that went through per second ({@code Ratios} reads it).
 * One producer ({@code -tg 1,1}) or more ({@code -tg 3,1}).
 *
 * <p>It lives in the engine's package (in this module, on the class path) because the lane's queue
 * is package-private there: the benchmark measures the real class, not a copy.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Group)
public class QueueBenchmark {

    static final int LIMIT = 4096;
    private static final Object ELEMENT = new Object();

    @Param({"lane-queue", "concurrent-linked-queue", "jctools-xadd", "jctools-atomic-array", "jctools-atomic-linked"})
    public String queue;

    private Candidate candidate;
    private final java.util.concurrent.atomic.AtomicInteger producers = new java.util.concurrent.atomic.AtomicInteger();
    private volatile long taken;

    /** The two operations a lane needs. */
    interface Candidate {
        void offer(Object element);

        Object poll();
    }

    @Setup(Level.Trial)
    public void start() {
        candidate = switch (queue) {
            case "lane-queue" -> new Candidate() {
                final LaneQueue q = new LaneQueue();

                public void offer(Object e) {
                    q.offer(e);
                }

                public Object poll() {
                    return q.poll();
                }
            };
            case "concurrent-linked-queue" -> wrap(new ConcurrentLinkedQueue<>());
            case "jctools-xadd" -> wrap(new MpscUnboundedXaddArrayQueue<>(1024));
            case "jctools-atomic-array" -> wrap(new MpscUnboundedAtomicArrayQueue<>(1024));
            case "jctools-atomic-linked" -> wrap(new MpscLinkedAtomicQueue<>());
            default -> throw new IllegalArgumentException(queue);
        };
    }

    private static Candidate wrap(Queue<Object> q) {
        return new Candidate() {
            public void offer(Object e) {
                q.offer(e);
            }

            public Object poll() {
                return q.poll();
            }
        };
    }

    /** Counts what the consumer took. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Polled {
        /** Polled elements in this iteration (JMH resets it per iteration). */
        public long polled;
        /** Polled elements since the start: what the producers' bound compares with. */
        private long total;

        @Setup(Level.Trial)
        public void pin() {
            Pinned.pin(BenchCpus.target());
        }
    }

    /** A producer: pinned away from the consumer where the machine allows; counts what it sent. */
    @State(Scope.Thread)
    public static class Producer {
        long sent;

        @Setup(Level.Trial)
        public void pin(QueueBenchmark benchmark) {
            benchmark.producers.incrementAndGet();
            Pinned.pin(BenchCpus.caller());
        }
    }

    @Benchmark
    @Group("mpsc")
    @GroupThreads(1)
    public void offer(Producer producer, Control control) {
        long outstanding = producer.sent * producers.get() - taken;
        // The consumer stops polling when an iteration ends: never wait past that.
        while (outstanding > LIMIT && !control.stopMeasurement) {
            Thread.onSpinWait();
            outstanding = producer.sent * producers.get() - taken;
        }
        candidate.offer(ELEMENT);
        producer.sent++;
    }

    @Benchmark
    @Group("mpsc")
    @GroupThreads(1)
    public void poll(Polled counter) {
        if (candidate.poll() != null) {
            counter.polled++;
            taken = ++counter.total;
        }
    }
}
