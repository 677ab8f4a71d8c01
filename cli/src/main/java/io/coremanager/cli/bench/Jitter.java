package io.coremanager.cli.bench;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import io.coremanager.isolation.LaneIsolator;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * A jitter sampler in the manner of {@code sysjitter}: one platform thread pinned to each CPU spins
 * reading {@link System#nanoTime()} and records every gap between two reads above a threshold, the
 * time something else (an interrupt, a kernel thread, another thread, the JVM's) had the CPU.
 *
 * <p>With isolation the run alternates one-second rounds, shared (every thread of the JVM may run on
 * the sampled CPUs) and isolated (a {@link LaneIsolator} keeps them off, sweeping every 100 ms), so
 * that both modes see the same background on a shared machine. A built-in background load of
 * allocating threads keeps the garbage collector busy. Results are kept per CPU and mode; the rounds'
 * first milliseconds after a switch are not recorded. Besides the gaps, each mode's rounds record how
 * long the sampler waited on a run queue behind other tasks ({@code schedstat} run_delay: threads of
 * this JVM or of other processes; not interrupts) and how often it was preempted. The sampler is a
 * Java thread: a safepoint (a collection's pause) stops it like any lane, which is why the table
 * also shows the gaps that overlap no collection.
 */
public final class Jitter {

    /** The modes compared. */
    public enum Mode {
        /** Every thread of the JVM may run on the sampled CPUs. */
        SHARED,
        /** The JVM's other threads are kept off the sampled CPUs. */
        ISOLATED
    }

    /** Gaps kept per CPU and mode for the percentiles; beyond, gaps are counted and summed only. */
    private static final int MAX_GAPS = 4_000_000;

    /** What one sampler saw in one mode. Written by its sampler thread only; read after it ended. */
    public static final class Recorder {
        final int cpu;
        final Mode mode;
        long reads;
        /** The time this recorder was current, summed over its rounds. Written and read by the driver only. */
        long recordedNanos;
        /** Time the sampler waited behind other tasks ({@code schedstat} run_delay), summed over rounds. Driver only. */
        long runDelayNanos;
        /** Times the kernel preempted the sampler ({@code nonvoluntary_ctxt_switches}), summed over rounds. Driver only. */
        long preemptions;
        long gapCount;
        long stolenNanos;
        long maxGap;
        long[] gaps = new long[1024];
        /** When each kept gap ended ({@code System.nanoTime()}). */
        long[] ends = new long[1024];
        int kept;

        Recorder(int cpu, Mode mode) {
            this.cpu = cpu;
            this.mode = mode;
        }

        void add(long gap, long end) {
            gapCount++;
            stolenNanos += gap;
            maxGap = Math.max(maxGap, gap);
            if (kept == gaps.length && kept < MAX_GAPS) {
                gaps = Arrays.copyOf(gaps, Math.min(MAX_GAPS, kept * 2));
                ends = Arrays.copyOf(ends, gaps.length);
            }
            if (kept < gaps.length) {
                ends[kept] = end;
                gaps[kept++] = gap;
            }
        }

        /** The sorted gaps above the threshold. */
        long[] sortedGaps() {
            long[] s = Arrays.copyOf(gaps, kept);
            Arrays.sort(s);
            return s;
        }

        /** The sorted gaps that overlap no garbage-collection pause. */
        long[] sortedGapsOutside(GcPauses pauses) {
            long[] s = new long[kept];
            int n = 0;
            for (int i = 0; i < kept; i++) {
                if (!pauses.overlaps(ends[i] - gaps[i], ends[i])) {
                    s[n++] = gaps[i];
                }
            }
            s = Arrays.copyOf(s, n);
            Arrays.sort(s);
            return s;
        }
    }

    /**
     * The collections' pauses, from the {@code GarbageCollectorMXBean} notifications: start and end in
     * milliseconds of JVM uptime, turned into {@code System.nanoTime()} with a millisecond of slack on
     * each side (the notifications' resolution). Every safepoint pause stops every Java thread, the
     * sampler's and a lane's alike, wherever it runs: isolation cannot remove it.
     */
    public static final class GcPauses implements javax.management.NotificationListener {
        private final long baseNanos = System.nanoTime();
        private final long baseUptimeMillis = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
        /** Pairs of start, end in nanoTime. Guarded by this. */
        private final List<long[]> pauses = new ArrayList<>();
        private long pausedMillis;
        private final List<javax.management.NotificationEmitter> emitters = new ArrayList<>();

        GcPauses() {
            for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
                if (gc instanceof javax.management.NotificationEmitter e) {
                    e.addNotificationListener(this, null, null);
                    emitters.add(e);
                }
            }
        }

        @Override
        public void handleNotification(javax.management.Notification n, Object handback) {
            if (!com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                return;
            }
            var info = com.sun.management.GarbageCollectionNotificationInfo.from(
                    (javax.management.openmbean.CompositeData) n.getUserData());
            if (info.getGcName().contains("Cycles") || info.getGcAction().contains("concurrent")
                    && !info.getGcName().startsWith("G1")) {
                return; // ZGC and Shenandoah cycles run concurrently: not pauses
            }
            long start = baseNanos + (info.getGcInfo().getStartTime() - baseUptimeMillis - 1) * 1_000_000;
            long end = baseNanos + (info.getGcInfo().getEndTime() - baseUptimeMillis + 1) * 1_000_000;
            synchronized (this) {
                pauses.add(new long[] {start, end});
                pausedMillis += info.getGcInfo().getDuration();
            }
        }

        synchronized boolean overlaps(long from, long to) {
            for (long[] p : pauses) {
                if (from < p[1] && to > p[0]) {
                    return true;
                }
            }
            return false;
        }

        /** How many collections were seen, and their summed duration in ms. */
        synchronized String summary() {
            return pauses.size() + " collections, " + pausedMillis + " ms";
        }

        void close() {
            for (var e : emitters) {
                try {
                    e.removeNotificationListener(this);
                } catch (javax.management.ListenerNotFoundException ex) {
                    // not registered
                }
            }
        }
    }

    /** One CPU's spinning reader. */
    private static final class Sampler implements Runnable {
        final int cpu;
        final long thresholdNanos;
        /** The recorder of the current round; null between rounds. Written by the driver, read by the sampler. */
        volatile Recorder current;
        volatile boolean running = true;
        volatile int tid;
        final CountDownLatch ready = new CountDownLatch(1);
        volatile Throwable failure;

        Sampler(int cpu, long thresholdNanos) {
            this.cpu = cpu;
            this.thresholdNanos = thresholdNanos;
        }

        @Override
        public void run() {
            try {
                Affinity.pin(cpu);
                Affinity.setCurrentThreadKernelName("cm-jitter-" + cpu);
                tid = Affinity.currentThreadId();
            } catch (RuntimeException e) {
                failure = e;
                ready.countDown();
                return;
            }
            ready.countDown();
            spin();
        }

        private void spin() {
            Recorder last = null;
            long prev = System.nanoTime();
            while (running) {
                Recorder r = current;
                long now = System.nanoTime();
                long gap = now - prev;
                prev = now;
                if (r != last) {
                    last = r; // a round began or ended: the gap spans the switch
                    continue;
                }
                if (r != null) {
                    r.reads++;
                    if (gap > thresholdNanos) {
                        r.add(gap, now);
                    }
                }
            }
        }
    }

    private final CpuSet cpus;
    private final int seconds;
    private final long thresholdNanos;
    private final boolean isolate;
    private final int loadThreads;
    private final List<Recorder> recorders = new ArrayList<>();
    private GcPauses gcPauses;

    /**
     * A sampler run, not started.
     *
     * @param cpus the CPUs to sample
     * @param seconds seconds per mode
     * @param thresholdNanos the smallest gap recorded
     * @param isolate whether to compare with the JVM's threads kept off
     * @param loadThreads allocating background threads (0 for none)
     */
    public Jitter(CpuSet cpus, int seconds, long thresholdNanos, boolean isolate, int loadThreads) {
        this.cpus = cpus;
        this.seconds = seconds;
        this.thresholdNanos = thresholdNanos;
        this.isolate = isolate;
        this.loadThreads = loadThreads;
    }

    /**
     * Runs the sampler: {@code seconds} per mode, in alternating one-second rounds.
     *
     * @param safepoints where to mark each round's time for its mode, or null
     * @return the recorders, by CPU then mode
     * @throws InterruptedException if interrupted
     */
    public List<Recorder> run(SafepointWatch safepoints) throws InterruptedException {
        List<Sampler> samplers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int cpu : cpus.toArray()) {
            Sampler s = new Sampler(cpu, thresholdNanos);
            samplers.add(s);
            threads.add(Thread.ofPlatform().name("jitter-sampler-" + cpu).daemon(true).start(s));
        }
        for (Sampler s : samplers) {
            s.ready.await();
            if (s.failure != null) {
                stop(samplers, threads);
                throw new IllegalStateException("cannot pin a sampler to cpu " + s.cpu + ": " + s.failure.getMessage(),
                        s.failure);
            }
        }
        Set<Integer> samplerTids = ConcurrentHashMap.newKeySet();
        samplers.forEach(s -> samplerTids.add(s.tid));
        gcPauses = new GcPauses();
        Load load = new Load(loadThreads);
        try {
            Thread.sleep(300); // warm-up: the spin loop compiled, the load running
            Mode[] modes = isolate ? Mode.values() : new Mode[] {Mode.SHARED};
            Recorder[][] byMode = new Recorder[modes.length][samplers.size()];
            for (int m = 0; m < modes.length; m++) {
                for (int i = 0; i < samplers.size(); i++) {
                    byMode[m][i] = new Recorder(samplers.get(i).cpu, modes[m]);
                }
            }
            for (int round = 0; round < seconds; round++) {
                for (int m = 0; m < modes.length; m++) {
                    runRound(samplers, byMode[m], modes[m], samplerTids, safepoints);
                }
            }
            for (int i = 0; i < samplers.size(); i++) {
                for (int m = 0; m < modes.length; m++) {
                    recorders.add(byMode[m][i]);
                }
            }
        } finally {
            load.stop();
            stop(samplers, threads);
            gcPauses.close();
        }
        return recorders;
    }

    private void runRound(List<Sampler> samplers, Recorder[] into, Mode mode, Set<Integer> samplerTids,
                          SafepointWatch safepoints) throws InterruptedException {
        LaneIsolator isolator = mode == Mode.ISOLATED
                ? LaneIsolator.start(cpus, samplerTids::contains, Duration.ofMillis(100), true) : null;
        try {
            long[][] before = new long[samplers.size()][];
            for (int i = 0; i < samplers.size(); i++) {
                before[i] = schedCounters(samplers.get(i).tid);
            }
            long start = System.nanoTime();
            java.time.Instant from = java.time.Instant.now();
            for (int i = 0; i < samplers.size(); i++) {
                samplers.get(i).current = into[i];
            }
            Thread.sleep(1000);
            for (Sampler s : samplers) {
                s.current = null;
            }
            if (safepoints != null) {
                safepoints.mark(mode, from);
            }
            long took = System.nanoTime() - start;
            for (int i = 0; i < into.length; i++) {
                long[] after = schedCounters(samplers.get(i).tid);
                into[i].recordedNanos += took;
                into[i].runDelayNanos += after[0] - before[i][0];
                into[i].preemptions += after[1] - before[i][1];
            }
        } finally {
            if (isolator != null) {
                isolator.close();
            }
        }
    }

    /**
     * The sampler's run_delay (ns waiting on a run queue, {@code /proc/self/task/<tid>/schedstat}) and
     * involuntary context switches; zeros where the kernel does not keep them.
     */
    static long[] schedCounters(int tid) {
        long[] c = new long[2];
        Path task = Path.of("/proc/self/task", Integer.toString(tid));
        try {
            String[] sched = java.nio.file.Files.readString(task.resolve("schedstat")).trim().split(" ");
            c[0] = Long.parseLong(sched[1]);
            for (String line : java.nio.file.Files.readAllLines(task.resolve("status"))) {
                if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                    c[1] = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // not kept by this kernel: the columns read 0
        }
        return c;
    }

    private static void stop(List<Sampler> samplers, List<Thread> threads) throws InterruptedException {
        samplers.forEach(s -> s.running = false);
        for (Thread t : threads) {
            t.join();
        }
    }

    /**
     * Allocating threads: short-lived garbage and a ring of survivors, so young and old collections run.
     * Shared with {@link RoundTrip}, so both measurements see the same load.
     */
    static final class Load {
        private volatile boolean running = true;
        private final List<Thread> threads = new ArrayList<>();

        Load(int count) {
            for (int i = 0; i < count; i++) {
                threads.add(Thread.ofPlatform().name("jitter-load-" + i).daemon(true).start(this::allocate));
            }
        }

        private void allocate() {
            Object[] survivors = new Object[1 << 12];
            long n = 0;
            while (running) {
                byte[] b = new byte[16 + (int) (n & 1023)];
                b[0] = (byte) n;
                if ((n & 7) == 0) {
                    survivors[(int) (n >>> 3) & (survivors.length - 1)] = b;
                }
                n++;
            }
        }

        void stop() throws InterruptedException {
            running = false;
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    /**
     * The collections' pauses seen during the last {@link #run()}.
     *
     * @return the pauses
     */
    public GcPauses gcPauses() {
        return gcPauses;
    }

    // ---------------------------------------------------------------- report

    /**
     * The table: one line per CPU and mode, gap percentiles in microseconds; then the same gaps without
     * those that overlap a collection pause.
     *
     * @param recorders what {@link #run()} returned
     * @param thresholdNanos the threshold the run used
     * @param pauses the collections' pauses during the run ({@link #gcPauses()})
     * @return the table
     */
    public static String table(List<Recorder> recorders, long thresholdNanos, GcPauses pauses) {
        StringBuilder out = new StringBuilder(table(recorders, thresholdNanos));
        out.append("garbage collection during the run: ").append(pauses.summary())
                .append("; the gaps that overlap no collection pause (within 1 ms):\n");
        out.append(String.format(Locale.ROOT, "%4s %-8s %9s %8s %8s %8s %8s %8s %9s%n", "cpu", "mode", "gaps",
                "p50 us", "p90", "p99", "p99.9", "p99.99", "max us"));
        for (Recorder r : recorders) {
            long[] g = r.sortedGapsOutside(pauses);
            out.append(String.format(Locale.ROOT, "%4d %-8s %9d %8s %8s %8s %8s %8s %9s%n", r.cpu,
                    r.mode.name().toLowerCase(Locale.ROOT), g.length, us(pct(g, 0.50)), us(pct(g, 0.90)),
                    us(pct(g, 0.99)), us(pct(g, 0.999)), us(pct(g, 0.9999)), us(g.length == 0 ? -1 : g[g.length - 1])));
        }
        return out.toString();
    }

    /**
     * The table without the split around collection pauses.
     *
     * @param recorders what {@link #run()} returned
     * @param thresholdNanos the threshold the run used
     * @return the table
     */
    public static String table(List<Recorder> recorders, long thresholdNanos) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%4s %-8s %12s %9s %10s %8s %9s %9s %8s %8s %8s %8s %8s %9s %14s%n", "cpu", "mode", "reads", "gaps",
                "stolen ms", "stolen%", "runq ms", "preempted", "p50 us", "p90", "p99", "p99.9", "p99.99", "max us",
                "p99.99 reads"));
        for (Recorder r : recorders) {
            long[] g = r.sortedGaps();
            out.append(String.format(Locale.ROOT,
                    "%4d %-8s %12d %9d %10.3f %8.4f %9.3f %9d %8s %8s %8s %8s %8s %9s %14s%n",
                    r.cpu, r.mode.name().toLowerCase(Locale.ROOT), r.reads, r.gapCount, r.stolenNanos / 1e6,
                    r.recordedNanos == 0 ? 0.0 : 100.0 * r.stolenNanos / r.recordedNanos, r.runDelayNanos / 1e6,
                    r.preemptions, us(pct(g, 0.50)), us(pct(g, 0.90)),
                    us(pct(g, 0.99)), us(pct(g, 0.999)), us(pct(g, 0.9999)), us(r.maxGap),
                    allReads(r, g, 0.9999, thresholdNanos)));
        }
        return out.toString();
    }

    static long pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return -1;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static String us(long nanos) {
        return nanos < 0 ? "-" : String.format(Locale.ROOT, "%.1f", nanos / 1e3);
    }

    /** The q-quantile over every read, not just the gaps: below the threshold it reads {@code <thr}. */
    private static String allReads(Recorder r, long[] sorted, double q, long thresholdNanos) {
        long rank = (long) Math.ceil(q * r.reads);
        long below = r.reads - r.gapCount;
        if (rank <= below) {
            return "<" + us(thresholdNanos) + " us";
        }
        long i = rank - below - 1 - (r.gapCount - sorted.length); // gaps beyond MAX_GAPS were not kept
        return i < 0 || i >= sorted.length ? "?" : us(sorted[(int) i]) + " us";
    }

    /**
     * Writes the gap histograms as a PNG, one panel per CPU: log2 buckets from the threshold up (x,
     * labelled with each bucket's lower bound in microseconds), the count on a log scale (y); shared
     * in red, isolated in green, side by side. Drawn with the JDK's ImageIO and the bench's pixel
     * digits, like {@code bench c2c --png}: no fonts needed.
     *
     * @param recorders what {@link #run()} returned
     * @param thresholdNanos the threshold the run used
     * @param file where to write
     * @throws IOException if the file cannot be written
     */
    public static void writePng(List<Recorder> recorders, long thresholdNanos, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int buckets = 1;
        long maxCount = 1;
        for (Recorder r : recorders) {
            buckets = Math.max(buckets, bucket(r.maxGap, thresholdNanos) + 1);
        }
        java.util.Map<Integer, long[][]> counts = new java.util.TreeMap<>();
        for (Recorder r : recorders) {
            long[][] c = counts.computeIfAbsent(r.cpu, k -> new long[Mode.values().length][]);
            long[] h = new long[buckets];
            for (int i = 0; i < r.kept; i++) {
                h[bucket(r.gaps[i], thresholdNanos)]++;
            }
            for (long v : h) {
                maxCount = Math.max(maxCount, v);
            }
            c[r.mode.ordinal()] = h;
        }
        int bar = 8;
        int slot = bar * 2 + 6;
        int margin = 40;
        int panelHeight = 160;
        int width = margin + buckets * slot + 20;
        int height = counts.size() * (panelHeight + 40) + 20;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        double top = Math.log10(maxCount + 1);
        int y0 = 10;
        for (java.util.Map.Entry<Integer, long[][]> e : counts.entrySet()) {
            PixelDigits.draw(g, Integer.toString(e.getKey()), 4, y0 + panelHeight / 2, 3);
            g.setColor(Color.GRAY);
            g.drawLine(margin, y0 + panelHeight, margin + buckets * slot, y0 + panelHeight);
            for (int m = 0; m < Mode.values().length; m++) {
                long[] h = e.getValue()[m];
                if (h == null) {
                    continue;
                }
                g.setColor(CoreToCore.heat(m == Mode.SHARED.ordinal() ? 1 : 0));
                for (int b = 0; b < buckets; b++) {
                    int barHeight = (int) Math.round(panelHeight * Math.log10(h[b] + 1) / top);
                    g.fillRect(margin + b * slot + m * bar, y0 + panelHeight - barHeight, bar - 1, barHeight);
                }
            }
            for (int b = 0; b < buckets; b += 2) {
                long lowerMicros = (thresholdNanos << b) / 1000;
                PixelDigits.draw(g, Long.toString(lowerMicros), margin + b * slot, y0 + panelHeight + 6, 1);
            }
            y0 += panelHeight + 40;
        }
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    private static int bucket(long gap, long thresholdNanos) {
        long ratio = Math.max(1, gap / Math.max(1, thresholdNanos));
        return 63 - Long.numberOfLeadingZeros(ratio);
    }
}
