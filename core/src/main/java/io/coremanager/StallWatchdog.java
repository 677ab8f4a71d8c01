package io.coremanager;

import io.coremanager.scheduling.Lane;
import io.coremanager.scheduling.LaneEvents;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Sees stalled lanes: a task or core-affine virtual thread that holds a carrier longer than the
 * threshold (a blocking native call, a busy loop, a pinned monitor) stalls every other piece of
 * work of that CPU. Each tick (a quarter of the threshold) it compares each lane's count of begun
 * elements with the last one: a lane that is not idle and has begun nothing since is in one
 * element. Past the threshold it reports once per stall, through the log, the lane's statistics
 * and a JFR event ({@code io.coremanager.LaneStall}), naming the lane, how long, and the stack of
 * the offender; it interrupts the offender only if told to.
 *
 * <p>The durations are at least what they say and at most one tick more. One daemon thread per
 * manager; it costs nothing on the lanes' hot paths beyond the per-element counter they keep anyway.
 */
final class StallWatchdog implements Runnable {

    private static final System.Logger LOG = System.getLogger("io.coremanager");
    private static final int MAX_STACK_FRAMES = 24;

    private final CoreManager manager;
    private final List<Lane> lanes;
    private final long thresholdNanos;
    private final boolean interrupt;

    StallWatchdog(CoreManager manager, List<Lane> lanes, long thresholdNanos, boolean interrupt) {
        this.manager = manager;
        this.lanes = lanes;
        this.thresholdNanos = thresholdNanos;
        this.interrupt = interrupt;
    }

    @Override
    public void run() {
        int n = lanes.size();
        long[] lastStarted = new long[n];
        long[] progressAt = new long[n];
        boolean[] reported = new boolean[n];
        long tick = Math.max(TimeUnit.MILLISECONDS.toNanos(5), thresholdNanos / 4);
        long now = System.nanoTime();
        java.util.Arrays.fill(progressAt, now);
        while (!manager.isTerminated()) {
            LockSupport.parkNanos(this, tick);
            now = System.nanoTime();
            for (int i = 0; i < n; i++) {
                Lane lane = lanes.get(i);
                long started = lane.elementsStarted();
                if (lane.isIdle() || started != lastStarted[i]) {
                    lastStarted[i] = started;
                    progressAt[i] = now;
                    reported[i] = false;
                    continue;
                }
                long stalled = now - progressAt[i];
                if (stalled < thresholdNanos) {
                    continue;
                }
                lane.recordStall(stalled, !reported[i]);
                if (!reported[i]) {
                    reported[i] = true;
                    report(lane, stalled);
                }
            }
        }
    }

    private void report(Lane lane, long stalledNanos) {
        String offender = offender(lane);
        boolean interrupted = false;
        if (interrupt) {
            lane.carrier().interrupt();
            for (Thread t : runningThreads(lane)) {
                t.interrupt();
            }
            interrupted = true;
        }
        LaneEvents.stall(lane.cpu(), stalledNanos, offender, interrupted);
        LOG.log(System.Logger.Level.WARNING, "cpu " + lane.cpu() + " is stalled: one piece of work has held its carrier for "
                + TimeUnit.NANOSECONDS.toMillis(stalledNanos) + " ms or more, and everything else on that cpu waits"
                + (interrupted ? " (interrupted, as configured)" : "") + "; the offender:\n" + offender);
    }

    /** The carrier's stack and, if it runs a virtual thread, the running ones of the lane. */
    private static String offender(Lane lane) {
        StringBuilder out = new StringBuilder();
        Thread carrier = lane.carrier();
        appendStack(out, carrier);
        for (Thread t : runningThreads(lane)) {
            appendStack(out, t);
        }
        return out.toString();
    }

    /** The lane's tracked virtual threads that are runnable now: the mounted one is among them. */
    private static List<Thread> runningThreads(Lane lane) {
        List<Thread> running = new ArrayList<>();
        for (Thread t : lane.liveThreads()) {
            if (t.getState() == Thread.State.RUNNABLE && running.size() < 3) {
                running.add(t);
            }
        }
        return running;
    }

    private static void appendStack(StringBuilder out, Thread thread) {
        out.append("  \"").append(thread.getName()).append("\"").append(thread.isVirtual() ? " (virtual)" : "")
                .append(' ').append(thread.getState()).append('\n');
        StackTraceElement[] frames = thread.getStackTrace();
        for (int i = 0; i < Math.min(frames.length, MAX_STACK_FRAMES); i++) {
            out.append("      at ").append(frames[i]).append('\n');
        }
        if (frames.length > MAX_STACK_FRAMES) {
            out.append("      ... ").append(frames.length - MAX_STACK_FRAMES).append(" more\n");
        }
    }
}
