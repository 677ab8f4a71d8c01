package io.coremanager.testing;

import io.coremanager.affinity.Affinity;

/** Where the calling thread runs, by two independent witnesses. */
public record Where(String step, int schedGetcpu, int procStat) {

    /** Observes now, labelled {@code step}. */
    public static Where now(String step) {
        return new Where(step, Affinity.currentCpu(), ProcWitness.processor());
    }

    /** Whether both witnesses saw {@code cpu}. */
    public boolean on(int cpu) {
        return schedGetcpu == cpu && procStat == cpu;
    }

    @Override
    public String toString() {
        return step + ": sched_getcpu " + schedGetcpu + ", /proc/thread-self/stat " + procStat;
    }
}
