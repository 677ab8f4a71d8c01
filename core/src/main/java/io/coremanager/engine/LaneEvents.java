package io.coremanager.engine;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * The JFR events of CoreManager: lanes starting and stopping, threads pinned (or not), stalls and
 * rejections. Rare by design: no event per task. {@code jfr print --categories CoreManager} shows
 * them.
 */
public final class LaneEvents {

    private LaneEvents() {
    }

    /** A lane's carrier started. */
    @Name("io.coremanager.LaneStart")
    @Label("Lane Start")
    @Category("CoreManager")
    @StackTrace(false)
    public static final class Start extends Event {
        @Label("CPU")
        int cpu;
        @Label("Carrier")
        String carrier;
        @Label("Pinned")
        boolean pinned;
        @Label("Why Not Pinned")
        String problem;
    }

    /** A lane's carrier left: the manager terminated. */
    @Name("io.coremanager.LaneStop")
    @Label("Lane Stop")
    @Category("CoreManager")
    @StackTrace(false)
    public static final class Stop extends Event {
        @Label("CPU")
        int cpu;
        @Label("Tasks Completed")
        long completed;
        @Label("Tasks Failed")
        long failed;
        @Label("Virtual-Thread Steps")
        long continuations;
    }

    /** A thread was pinned to a CPU, or could not be. */
    @Name("io.coremanager.Pin")
    @Label("Pin")
    @Category("CoreManager")
    @StackTrace(false)
    public static final class Pin extends Event {
        @Label("CPU")
        int cpu;
        @Label("Thread")
        String thread;
        @Label("Pinned")
        boolean pinned;
        @Label("Why Not Pinned")
        String problem;
    }

    /** A task or virtual thread held a lane's carrier longer than the stall threshold. */
    @Name("io.coremanager.LaneStall")
    @Label("Lane Stall")
    @Category("CoreManager")
    @Description("Work held a lane's carrier past the stall threshold; everything else on that CPU waited")
    @StackTrace(false)
    public static final class Stall extends Event {
        @Label("CPU")
        int cpu;
        @Label("Stalled For")
        @Timespan(Timespan.NANOSECONDS)
        long stalledNanos;
        @Label("Offender")
        String offender;
        @Label("Interrupted")
        boolean interrupted;
    }

    /** Work was refused: the manager is shut down, or a lane's queue is full. */
    @Name("io.coremanager.Rejection")
    @Label("Rejection")
    @Category("CoreManager")
    @StackTrace(true)
    public static final class Rejection extends Event {
        @Label("CPU")
        int cpu;
        @Label("Reason")
        String reason;
    }

    static void start(int cpu, String carrier, String problem) {
        Start e = new Start();
        if (e.isEnabled()) {
            e.cpu = cpu;
            e.carrier = carrier;
            e.pinned = problem == null;
            e.problem = problem;
            e.commit();
        }
    }

    static void stop(int cpu, long completed, long failed, long continuations) {
        Stop e = new Stop();
        if (e.isEnabled()) {
            e.cpu = cpu;
            e.completed = completed;
            e.failed = failed;
            e.continuations = continuations;
            e.commit();
        }
    }

    static void pin(int cpu, String thread, String problem) {
        Pin e = new Pin();
        if (e.isEnabled()) {
            e.cpu = cpu;
            e.thread = thread;
            e.pinned = problem == null;
            e.problem = problem;
            e.commit();
        }
    }

    /** Records a stall. */
    public static void stall(int cpu, long stalledNanos, String offender, boolean interrupted) {
        Stall e = new Stall();
        if (e.isEnabled()) {
            e.cpu = cpu;
            e.stalledNanos = stalledNanos;
            e.offender = offender;
            e.interrupted = interrupted;
            e.commit();
        }
    }

    /** Records a rejection. */
    public static void rejection(int cpu, String reason) {
        Rejection e = new Rejection();
        if (e.isEnabled()) {
            e.cpu = cpu;
            e.reason = reason;
            e.commit();
        }
    }
}
