package io.coremanager.bench.harness;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Throughput of hand-offs: producers pinned to their CPUs send no-op tasks to targets, each keeping
 * at most {@value #WINDOW} of its own tasks outstanding per target so queues stay short (steady
 * state, not a burst into an ever-growing queue). Each (producer, target) pair has its own counter,
 * written only by the target's consumer: counting costs every contender the same.
 */
public final class Throughput {

    static final int WINDOW = 1024;
    private static final long INTERVAL_NANOS = 20_000_000;

    private Throughput() {
    }

    /** A pair's completion counter, alone on its cache line, and the task that bumps it. */
    public static final class Counter implements Runnable {
        private static final VarHandle DONE;

        static {
            try {
                DONE = MethodHandles.lookup().findVarHandle(Counter.class, "done", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("unused")
        private long p1, p2, p3, p4, p5, p6, p7;
        private volatile long done;
        @SuppressWarnings("unused")
        private long q1, q2, q3, q4, q5, q6, q7;

        /** A counter at zero. */
        public Counter() {
        }

        /** Counts one task: the task a producer hands off. */
        @Override
        public void run() {
            DONE.getAndAdd(this, 1L); // atomic: default virtual threads may run two at once
        }

        /**
         * Tasks that ran.
         *
         * @return how many times {@link #run()} has run
         */
        public long done() {
            return done;
        }
    }

    /**
     * Runs producers on {@code producerCpus}; producer i sends round-robin to the targets other than
     * its own CPU (all targets if that leaves none). {@code contenders[t]} serves
     * {@code targetCpus[t]}.
     *
     * @param contenders the contender serving each target, in the order of {@code targetCpus}
     * @param targetCpus the CPUs the tasks go to
     * @param producerCpus the CPUs of the producers, one pinned platform thread each
     * @param warmupMillis how long to run before measuring, in milliseconds
     * @param measureMillis how long to measure, in milliseconds
     * @param progress told the fraction of the measurement done
     * @return the rate of completed tasks, all producers and targets together
     * @throws Exception if interrupted while measuring or joining the producers
     * @throws IllegalStateException if a producer failed; the cause is its failure
     */
    public static Rate run(Contender[] contenders, int[] targetCpus, int[] producerCpus, long warmupMillis,
                           long measureMillis, Sampler.Progress progress) throws Exception {
        int producers = producerCpus.length;
        Counter[][] counters = new Counter[producers][targetCpus.length];
        for (Counter[] row : counters) {
            for (int t = 0; t < row.length; t++) {
                row[t] = new Counter();
            }
        }
        List<Thread> threads = new ArrayList<>();
        CountDownLatch ready = new CountDownLatch(producers);
        volatileStop = false;
        Throwable[] failure = new Throwable[1];
        for (int p = 0; p < producers; p++) {
            int[] targets = targetsOf(producerCpus[p], targetCpus);
            Counter[] mine = counters[p];
            threads.add(Pinned.factory(producerCpus[p], "bench-producer-" + producerCpus[p]).newThread(() -> {
                ready.countDown();
                try {
                    produce(contenders, targets, mine);
                } catch (Throwable t) {
                    failure[0] = t;
                }
            }));
        }
        threads.forEach(Thread::start);
        ready.await();
        Rate rate = measure(() -> total(counters), warmupMillis, measureMillis, progress);
        volatileStop = true;
        for (Thread t : threads) {
            t.join();
        }
        if (failure[0] != null) {
            throw new IllegalStateException("a producer failed", failure[0]);
        }
        return rate;
    }

    /**
     * After {@code warmupMillis}, samples {@code completed} every {@value #INTERVAL_NANOS} ns for
     * {@code measureMillis}: the rate of each interval.
     */
    static Rate measure(java.util.function.LongSupplier completed, long warmupMillis, long measureMillis,
                        Sampler.Progress progress) throws InterruptedException {
        TimeUnit.MILLISECONDS.sleep(warmupMillis);
        double[] rates = new double[(int) (measureMillis * 1_000_000 / INTERVAL_NANOS) + 2];
        int count = 0;
        long start = System.nanoTime();
        long end = start + TimeUnit.MILLISECONDS.toNanos(measureMillis);
        long first = completed.getAsLong();
        long last = first;
        long lastTime = start;
        while (lastTime < end && count < rates.length) {
            TimeUnit.NANOSECONDS.sleep(INTERVAL_NANOS);
            long now = System.nanoTime();
            long done = completed.getAsLong();
            rates[count++] = (done - last) * 1e9 / (now - lastTime);
            last = done;
            lastTime = now;
            progress.fraction((double) (now - start) / (end - start));
        }
        progress.fraction(1);
        return Rate.of(rates, count, last - first);
    }

    private static volatile boolean volatileStop;

    private static int[] targetsOf(int producerCpu, int[] targetCpus) {
        int[] others = java.util.Arrays.stream(targetCpus).filter(c -> c != producerCpu).toArray();
        int[] chosen = others.length == 0 ? targetCpus : others;
        int[] indexes = new int[chosen.length];
        for (int i = 0; i < chosen.length; i++) {
            for (int t = 0; t < targetCpus.length; t++) {
                if (targetCpus[t] == chosen[i]) {
                    indexes[i] = t;
                }
            }
        }
        return indexes;
    }

    private static void produce(Contender[] contenders, int[] targets, Counter[] counters) throws Exception {
        long[] sent = new long[counters.length];
        int next = 0;
        while (!volatileStop) {
            int t = targets[next];
            next = next + 1 == targets.length ? 0 : next + 1;
            Counter counter = counters[t];
            long spins = 0;
            while (sent[t] - counter.done() >= WINDOW) {
                if (volatileStop) {
                    return;
                }
                if (++spins > 1_000) {
                    Thread.yield(); // the consumer may share this CPU
                }
                Thread.onSpinWait();
            }
            contenders[t].handOff(counter);
            sent[t]++;
        }
    }

    private static long total(Counter[][] counters) {
        long sum = 0;
        for (Counter[] row : counters) {
            for (Counter c : row) {
                sum += c.done();
            }
        }
        return sum;
    }
}
