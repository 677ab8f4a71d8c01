package io.coremanager.bench.harness;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Timer lateness: how long after its due time a one-shot timer starts to run (fire time minus due
 * time, both {@code System.nanoTime()}). Timers are scheduled one at a time from the calling thread,
 * each with a delay drawn between {@code minDelayMicros} and twice it, and the next is scheduled
 * once the previous has fired, so the scheduler is idle when each comes due: this measures the
 * wake-up path of an idle scheduler (a parked carrier, a parked timer thread), not a busy one.
 */
public final class TimerLateness {

    private TimerLateness() {
    }

    /**
     * The lateness of {@code timers} timers on {@code scheduler}.
     *
     * @param scheduler the scheduler under test; left running
     * @param timers how many timers to measure (after a tenth as many unmeasured, as warm-up)
     * @param minDelayMicros the shortest delay, in microseconds; delays are drawn up to twice it
     * @return the lateness distribution, in nanoseconds
     * @throws InterruptedException if interrupted while waiting for a timer
     * @throws IllegalStateException if a timer does not fire within ten seconds
     */
    public static Lateness measure(ScheduledExecutorService scheduler, int timers, long minDelayMicros)
            throws InterruptedException {
        int warmup = Math.max(1, timers / 10);
        long[] late = new long[timers];
        for (int i = -warmup; i < timers; i++) {
            long delay = TimeUnit.MICROSECONDS.toNanos(minDelayMicros
                    + ThreadLocalRandom.current().nextLong(minDelayMicros + 1));
            long[] fired = new long[1];
            CountDownLatch done = new CountDownLatch(1);
            long due = System.nanoTime() + delay;
            scheduler.schedule(() -> {
                fired[0] = System.nanoTime();
                done.countDown();
            }, delay, TimeUnit.NANOSECONDS);
            if (!done.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("a timer of " + delay + " ns did not fire within 10 s");
            }
            if (i >= 0) {
                late[i] = fired[0] - due;
            }
        }
        Arrays.sort(late);
        return new Lateness(at(late, 0.50), at(late, 0.99), late[late.length - 1], timers);
    }

    private static long at(long[] sorted, double p) {
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    /**
     * A lateness distribution.
     *
     * @param p50 the median lateness, in nanoseconds
     * @param p99 the 99th percentile, in nanoseconds
     * @param max the largest, in nanoseconds
     * @param timers how many timers were measured
     */
    public record Lateness(long p50, long p99, long max, int timers) {
    }
}
