package io.coremanager.testing;

import io.coremanager.CoreManager;
import io.coremanager.LaneStats;

import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A lane's statistics once they have caught up: carriers publish their counters once per batch,
 * after the batch's futures completed, so a reader woken by a future may see the counters of the
 * batch before. Waits (bounded) until {@code settled} holds, and returns that snapshot, or the last
 * one seen so the caller's assertion reports what it was.
 */
public final class Settled {

    private Settled() {
    }

    public static LaneStats stats(CoreManager cores, int cpu, Predicate<LaneStats> settled) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        LaneStats s = cores.stats(cpu);
        while (!settled.test(s) && System.nanoTime() < deadline) {
            Thread.sleep(1);
            s = cores.stats(cpu);
        }
        return s;
    }
}
