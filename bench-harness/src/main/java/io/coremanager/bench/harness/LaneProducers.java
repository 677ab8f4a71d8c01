package io.coremanager.bench.harness;

import io.coremanager.CoreManager;

import java.util.ArrayList;
import java.util.List;

/**
 * Throughput where the producers are the lanes' own work: a core-affine virtual thread on each
 * producing lane hands no-op tasks to other lanes, keeping at most {@value Throughput#WINDOW} in
 * flight per target, and yields whenever its window is full (and every {@value #YIELD_EVERY}
 * hand-offs), so its carrier runs the tasks other lanes send it. One thread per core does both
 * jobs: no second thread competes for the core, as a separate producer thread would.
 */
public final class LaneProducers {

    private static final int YIELD_EVERY = 64;

    private LaneProducers() {
    }

    /**
     * Runs producers on {@code producerCpus}, each sending round-robin to the {@code targetCpus}
     * other than its own (all of them if that leaves none).
     *
     * @param cores the manager whose lanes produce and run the tasks; it has every CPU named here
     * @param producerCpus the lanes whose virtual threads produce
     * @param targetCpus the lanes the tasks go to
     * @param warmupMillis how long to run before measuring, in milliseconds
     * @param measureMillis how long to measure, in milliseconds
     * @param progress told the fraction of the measurement done
     * @return the rate of completed tasks, all producers and targets together
     * @throws Exception if interrupted, or a producer cannot be started or joined
     */
    public static Rate run(CoreManager cores, int[] producerCpus, int[] targetCpus, long warmupMillis, long measureMillis,
                           Sampler.Progress progress) throws Exception {
        Throughput.Counter[][] counters = new Throughput.Counter[producerCpus.length][targetCpus.length];
        for (Throughput.Counter[] row : counters) {
            for (int t = 0; t < row.length; t++) {
                row[t] = new Throughput.Counter();
            }
        }
        boolean[] stop = new boolean[1];
        List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < producerCpus.length; p++) {
            int cpu = producerCpus[p];
            int[] targets = java.util.Arrays.stream(targetCpus).filter(c -> c != cpu).toArray();
            int[] chosen = targets.length == 0 ? targetCpus : targets;
            Throughput.Counter[] mine = new Throughput.Counter[chosen.length];
            for (int i = 0; i < chosen.length; i++) {
                for (int t = 0; t < targetCpus.length; t++) {
                    if (targetCpus[t] == chosen[i]) {
                        mine[i] = counters[p][t];
                    }
                }
            }
            producers.add(cores.go(cpu, () -> produce(cores, chosen, mine, stop)));
        }
        Rate rate = Throughput.measure(() -> total(counters), warmupMillis, measureMillis, progress);
        synchronized (stop) {
            stop[0] = true;
        }
        for (Thread t : producers) {
            t.join();
        }
        return rate;
    }

    private static void produce(CoreManager cores, int[] targets, Throughput.Counter[] counters, boolean[] stop) {
        long[] sent = new long[targets.length];
        int next = 0;
        for (long n = 1; ; n++) {
            if ((n & (YIELD_EVERY - 1)) == 0) {
                synchronized (stop) {
                    if (stop[0]) {
                        return;
                    }
                }
                Thread.yield(); // let this lane's carrier run what other lanes sent it
            }
            int t = next;
            next = next + 1 == targets.length ? 0 : next + 1;
            if (sent[t] - counters[t].done() >= Throughput.WINDOW) {
                Thread.yield();
                continue;
            }
            cores.execute(targets[t], counters[t]);
            sent[t]++;
        }
    }

    private static long total(Throughput.Counter[][] counters) {
        long sum = 0;
        for (Throughput.Counter[] row : counters) {
            for (Throughput.Counter c : row) {
                sum += c.done();
            }
        }
        return sum;
    }
}
