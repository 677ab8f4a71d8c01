package io.coremanager.engine;

import io.coremanager.CpuSet;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Sees stalled lanes: a task or core-affine virtual thread that holds a carrier longer than the
 * threshold (a blocking native call, file I/O, a busy loop, a pinned monitor) stalls every other
 * piece of work of that CPU. Each tick (a quarter of the threshold) it reads what each carrier runs
 * now and how many elements it has begun ({@link CarrierCounters}): a lane that runs an element and
 * has begun no other since is in that element. Past the threshold it reports once per stall,
 * through the log, the lane's statistics and a JFR event ({@code io.coremanager.LaneStall}), naming
 * the lane, how long, and the offender's stack; it interrupts the offender only if told to, and then
 * only that run, only while it is still that run:
 * <ul>
 *   <li>a user task, through the task's own CAS (see {@link LaneTask}): the interrupt lands while
 *       the task runs, or not at all;</li>
 *   <li>a virtual thread's step, by finding the virtual thread mounted on the carrier (the JDK's own
 *       record of it), then reading the carrier's run sequence again: if the carrier has moved on,
 *       nothing is interrupted. The thread interrupted is the one that stalled; at worst its
 *       interrupt arrives just after the step ended, and it sees it at its next step.</li>
 * </ul>
 * A lane whose carrier has left is never reported. Also, once a second, it asks the kernel whether
 * each pinned carrier is still pinned: when the allowed CPUs change under a running manager (a
 * cpuset edited, a CPU taken offline) the kernel moves the carrier silently; that is reported once
 * per lane through the log and a JFR {@code io.coremanager.Pin} event, and the lane keeps running,
 * unpinned.
 *
 * <p>The durations are at least what they say and at most one tick more. One daemon thread per
 * group; it costs nothing on the lanes' hot paths beyond the per-element stores they make anyway.
 */
final class StallWatchdog implements Runnable {

    private static final System.Logger LOG = System.getLogger("io.coremanager");
    private static final int MAX_STACK_FRAMES = 24;
    private static final long PIN_CHECK_NANOS = 1_000_000_000L;

    private final Lanes group;
    private final List<Lane> lanes;
    private final long thresholdNanos;
    private final boolean interrupt;

    StallWatchdog(Lanes group, List<Lane> lanes, long thresholdNanos, boolean interrupt) {
        this.group = group;
        this.lanes = lanes;
        this.thresholdNanos = thresholdNanos;
        this.interrupt = interrupt;
    }

    @Override
    public void run() {
        int n = lanes.size();
        long[] lastSeq = new long[n];
        long[] progressAt = new long[n];
        boolean[] reported = new boolean[n];
        boolean[] moved = new boolean[n];
        long tick = Math.max(TimeUnit.MILLISECONDS.toNanos(5), thresholdNanos / 4);
        long now = System.nanoTime();
        long nextPinCheck = now + PIN_CHECK_NANOS;
        Arrays.fill(progressAt, now);
        while (!group.isTerminated()) {
            LockSupport.parkNanos(this, Math.min(tick, PIN_CHECK_NANOS));
            Thread.interrupted(); // a stray interrupt must not turn the tick into a spin
            now = System.nanoTime();
            for (int i = 0; i < n; i++) {
                Lane lane = lanes.get(i);
                Object running = lane.counters.running(); // first: see CarrierCounters.running
                long seq = lane.counters.runSeq();
                if (running == null || seq != lastSeq[i] || lane.isTerminated()) {
                    lastSeq[i] = seq;
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
                    report(lane, running, seq, stalled);
                }
            }
            if (now - nextPinCheck >= 0) {
                nextPinCheck = now + PIN_CHECK_NANOS;
                checkPins(moved);
            }
        }
    }

    private void report(Lane lane, Object running, long seq, long stalledNanos) {
        Thread carrier = lane.carrier().thread();
        Thread mounted = running instanceof LaneTask ? null : mountedOn(lane, carrier);
        StringBuilder offender = new StringBuilder();
        appendStack(offender, mounted != null ? mounted : carrier);
        boolean interrupted = interrupt && interruptOffender(lane, running, seq, carrier, mounted);
        LaneEvents.stall(lane.cpu(), stalledNanos, offender.toString(), interrupted);
        LOG.log(System.Logger.Level.WARNING, "cpu " + lane.cpu() + " is stalled: one piece of work has held its carrier for "
                + TimeUnit.NANOSECONDS.toMillis(stalledNanos) + " ms or more, and everything else on that cpu waits"
                + (interrupted ? " (interrupted, as configured)" : "")
                + ". A blocking call (file I/O, a native call, a legacy blocking API) belongs off the lane's cpu: "
                + "run it with CoreManager.offload(call) (compose on its future from a task) or "
                + "offloadAndWait(call) (from a core-affine virtual thread, which parks meanwhile); "
                + "the offender:\n" + offender);
    }

    /** See the class notes: only that run, only while it is still that run. */
    private static boolean interruptOffender(Lane lane, Object running, long seq, Thread carrier, Thread mounted) {
        if (running instanceof LaneTask task) {
            return carrier != null && task.interruptIfRunning(carrier);
        }
        if (mounted != null && lane.counters.running() == running && lane.counters.runSeq() == seq) {
            mounted.interrupt();
            return true;
        }
        return false;
    }

    /** The lane's virtual thread mounted on {@code carrier} now, or null. */
    private static Thread mountedOn(Lane lane, Thread carrier) {
        if (carrier == null) {
            return null;
        }
        for (Thread t : lane.threads.snapshot()) {
            if (VirtualThreadHook.carrierOf(t) == carrier) {
                return t;
            }
        }
        return null; // an untracked virtual thread (started inside a tracked one): the carrier's stack shows it
    }

    /** Reports, once per lane, a carrier the kernel moved off its CPU: see the class notes. */
    private void checkPins(boolean[] moved) {
        for (int i = 0; i < lanes.size(); i++) {
            Lane lane = lanes.get(i);
            if (moved[i] || lane.carrier().pinProblem() != null || lane.isTerminated()) {
                continue;
            }
            CpuSet mask = lane.carrierMask();
            if (mask != null && !mask.equals(CpuSet.of(lane.cpu()))) {
                moved[i] = true;
                String problem = "the kernel moved the carrier of cpu " + lane.cpu() + " off its cpu: it may now run on cpus "
                        + mask + " (the process's allowed cpus changed: a cpuset edited, or cpu " + lane.cpu()
                        + " taken offline); the lane keeps running, unpinned";
                LaneEvents.pin(lane.cpu(), lane.name(), problem);
                LOG.log(System.Logger.Level.WARNING, problem);
                lane.carrier().movedOffCpu(problem);
            }
        }
    }

    private static void appendStack(StringBuilder out, Thread thread) {
        if (thread == null) {
            return;
        }
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
