package io.coremanager.cli.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The two parts of every safepoint pause, from JFR, attributed to the modes of a jitter run by the
 * windows the driver marks: the time to safepoint ({@code jdk.SafepointStateSynchronization}: until
 * every Java thread has stopped) and the operation done there ({@code jdk.ExecuteVMOperation} with
 * {@code safepoint} true: a collection's pause, a deoptimization, ...). A safepoint stops every Java
 * thread, a lane's and a sampler's too, for both parts, wherever it runs. Isolation can lengthen
 * either: a thread that must first get a CPU to reach its safepoint poll makes everyone wait, and
 * the collector's workers squeezed onto fewer CPUs take longer over the same work.
 */
public final class SafepointWatch implements AutoCloseable {

    private static final String SYNC = "jdk.SafepointStateSynchronization";
    private static final String OPERATION = "jdk.ExecuteVMOperation";

    /** A stretch of time that belongs to one mode. */
    private record Window(Jitter.Mode mode, Instant from, Instant to) {
    }

    /** Pairs of (start, duration): start as epoch nanoseconds, duration in nanoseconds. Guarded by this. */
    private final List<long[]> syncs = new ArrayList<>();
    /** The same for the operations done at a safepoint. Guarded by this. */
    private final List<long[]> operations = new ArrayList<>();
    private final List<Window> windows = new ArrayList<>();
    private final RecordingStream stream;
    private final java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();

    /** Starts recording; JFR's thresholds for the events are lifted, so every safepoint is seen. */
    public SafepointWatch() {
        stream = new RecordingStream();
        stream.enable(SYNC).withoutThreshold();
        stream.enable(OPERATION).withoutThreshold();
        stream.onEvent(SYNC, e -> add(syncs, e));
        stream.onEvent(OPERATION, e -> {
            if (e.getBoolean("safepoint")) {
                add(operations, e);
            }
        });
        stream.startAsync();
    }

    private synchronized void add(List<long[]> into, RecordedEvent e) {
        into.add(new long[] {nanos(e.getStartTime()), e.getDuration().toNanos()});
    }

    /** Marks {@code from} to now as belonging to {@code mode}. The run's driver thread only. */
    void mark(Jitter.Mode mode, Instant from) {
        windows.add(new Window(mode, from, Instant.now()));
    }

    /**
     * Stops recording, once, and waits until every recorded event has been seen. Not under this
     * object's lock: the stream's thread takes it to add each event, and {@code stop} waits for that
     * thread.
     */
    @Override
    public void close() {
        if (stopped.compareAndSet(false, true)) {
            stream.stop();
            stream.close();
        }
    }

    /**
     * Stops recording (see {@link #close()}), then tells, one line per mode, the safepoints that began
     * in its rounds: how many, the time to reach them and the operations done there, p50 to max.
     *
     * @param modes the modes, in the order of the lines
     * @return the table, lines ended with the platform's line separator
     */
    public String table(List<Jitter.Mode> modes) {
        close();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "safepoints (JFR), by the mode whose round they began in: the time to safepoint (all Java threads "
                        + "stopped), then the operation done there%n"));
        sb.append(String.format(Locale.ROOT, " %-10s %10s %9s %9s %9s %9s   %10s %9s %9s %9s %9s%n", "mode", "safepoints",
                "reach p50", "p99", "max us", "sum ms", "operations", "p50 us", "p99", "max us", "sum ms"));
        for (Jitter.Mode mode : modes) {
            long[] reach = durations(syncs, mode);
            long[] op = durations(operations, mode);
            sb.append(String.format(Locale.ROOT, " %-10s %10d %9s %9s %9s %9.3f   %10d %9s %9s %9s %9.3f%n",
                    mode.name().toLowerCase(Locale.ROOT), reach.length, us(reach, 0.50), us(reach, 0.99),
                    us(reach, 1.0), Arrays.stream(reach).sum() / 1e6, op.length, us(op, 0.50), us(op, 0.99),
                    us(op, 1.0), Arrays.stream(op).sum() / 1e6));
        }
        return sb.toString();
    }

    private synchronized long[] durations(List<long[]> events, Jitter.Mode mode) {
        long[] d = new long[events.size()];
        int n = 0;
        for (long[] ev : events) {
            for (Window w : windows) {
                if (w.mode() == mode && ev[0] >= nanos(w.from()) && ev[0] < nanos(w.to())) {
                    d[n++] = ev[1];
                    break;
                }
            }
        }
        d = Arrays.copyOf(d, n);
        Arrays.sort(d);
        return d;
    }

    private static long nanos(Instant i) {
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    private static String us(long[] sorted, double q) {
        if (sorted.length == 0) {
            return "-";
        }
        int i = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
        return String.format(Locale.ROOT, "%.1f", sorted[i] / 1e3);
    }
}
