package io.coremanager.micrometer;

import io.coremanager.CoreManager;
import io.coremanager.LaneStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * A Micrometer {@link MeterBinder} of a {@link CoreManager}'s per-lane statistics, each meter
 * tagged with its {@code cpu}:
 *
 * <ul>
 *   <li>counters {@code coremanager.lane.tasks} (tag {@code outcome}: submitted, completed, failed,
 *       cancelled),
 *       {@code coremanager.lane.virtual.threads.started}, {@code coremanager.lane.steps} (virtual-thread
 *       continuations run), {@code coremanager.lane.busy} (seconds), {@code coremanager.lane.stalls},
 *       {@code coremanager.lane.carrier.replacements};</li>
 *   <li>gauges {@code coremanager.lane.queued}, {@code coremanager.lane.virtual.threads.live},
 *       {@code coremanager.lane.pinned} (1 or 0, asked of the kernel once per scrape),
 *       {@code coremanager.lane.stall.longest} (seconds).</li>
 * </ul>
 *
 * <pre>{@code
 * new CoreManagerMetrics(cores).bindTo(registry);
 * }</pre>
 *
 * <p>Meters read the lanes when the registry polls them: nothing is added to the lanes' hot paths.
 * A scrape reads each lane once: one {@link CoreManager#stats(int)} snapshot (cheap counters) and
 * one {@link CoreManager#pinnedNow(int)} (a system call) per lane, shared by that lane's meters for
 * {@value #FRESH_MILLIS} ms, not one of each per meter. The binder holds the manager strongly; bind
 * it for the manager's life.
 */
public final class CoreManagerMetrics implements MeterBinder {

    /** How long one reading of a lane serves its meters: longer than a scrape, shorter than any interval between two. */
    static final long FRESH_MILLIS = 200;

    private final CoreManager cores;
    private final Iterable<Tag> tags;

    /**
     * Metrics of {@code cores}.
     *
     * @param cores the manager whose lanes to measure
     * @throws NullPointerException if {@code cores} is null
     */
    public CoreManagerMetrics(CoreManager cores) {
        this(cores, Tags.empty());
    }

    /**
     * Metrics of {@code cores}, with {@code tags} added to every meter (to tell managers apart).
     *
     * @param cores the manager whose lanes to measure
     * @param tags tags for every meter, besides {@code cpu}
     * @throws NullPointerException if {@code cores} or {@code tags} is null
     */
    public CoreManagerMetrics(CoreManager cores, Iterable<Tag> tags) {
        this.cores = Objects.requireNonNull(cores, "cores");
        this.tags = Objects.requireNonNull(tags, "tags");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (int cpu : cores.cpus().toArray()) {
            Tags lane = Tags.concat(tags, "cpu", Integer.toString(cpu));
            LaneReading reading = new LaneReading(cores, cpu);
            counter(registry, "coremanager.lane.tasks", lane.and("outcome", "submitted"), reading, LaneStats::submitted, "tasks");
            counter(registry, "coremanager.lane.tasks", lane.and("outcome", "completed"), reading, LaneStats::completed, "tasks");
            counter(registry, "coremanager.lane.tasks", lane.and("outcome", "failed"), reading, LaneStats::failed, "tasks");
            counter(registry, "coremanager.lane.tasks", lane.and("outcome", "cancelled"), reading, LaneStats::cancelled, "tasks");
            counter(registry, "coremanager.lane.virtual.threads.started", lane, reading, LaneStats::virtualThreadsStarted, "threads");
            counter(registry, "coremanager.lane.steps", lane, reading, LaneStats::continuations, "steps");
            counter(registry, "coremanager.lane.busy", lane, reading, s -> s.busyNanos() / 1e9, "seconds");
            counter(registry, "coremanager.lane.stalls", lane, reading, LaneStats::stalls, "stalls");
            counter(registry, "coremanager.lane.carrier.replacements", lane, reading, LaneStats::carrierReplacements, "carriers");
            gauge(registry, "coremanager.lane.queued", lane, reading, LaneStats::queued, "entries");
            gauge(registry, "coremanager.lane.virtual.threads.live", lane, reading, LaneStats::liveVirtualThreads, "threads");
            Gauge.builder("coremanager.lane.pinned", cores, c -> reading.pinned() ? 1 : 0).tags(lane).register(registry);
            gauge(registry, "coremanager.lane.stall.longest", lane, reading, s -> s.longestStallNanos() / 1e9, "seconds");
        }
    }

    // The meters' state object is the manager, which Micrometer holds weakly (as before); each
    // function holds its lane's reading strongly.
    private void counter(MeterRegistry registry, String name, Tags lane, LaneReading reading,
                         ToDoubleFunction<LaneStats> value, String unit) {
        FunctionCounter.builder(name, cores, c -> value.applyAsDouble(reading.stats())).tags(lane).baseUnit(unit)
                .register(registry);
    }

    private void gauge(MeterRegistry registry, String name, Tags lane, LaneReading reading,
                       ToDoubleFunction<LaneStats> value, String unit) {
        Gauge.builder(name, cores, c -> value.applyAsDouble(reading.stats())).tags(lane).baseUnit(unit)
                .register(registry);
    }

    /**
     * One lane's last reading, shared by its meters: refreshed when older than {@link #FRESH_MILLIS}.
     * Registries may poll from several threads; a race reads the lane twice, which is harmless.
     */
    static final class LaneReading {
        private final CoreManager cores;
        private final int cpu;
        private volatile Reading last;

        private record Reading(LaneStats stats, boolean pinned, long atNanos) {
        }

        LaneReading(CoreManager cores, int cpu) {
            this.cores = cores;
            this.cpu = cpu;
        }

        private Reading fresh() {
            Reading r = last;
            long now = System.nanoTime();
            if (r == null || now - r.atNanos() > FRESH_MILLIS * 1_000_000) {
                r = new Reading(cores.stats(cpu), cores.pinnedNow(cpu), now);
                last = r;
            }
            return r;
        }

        LaneStats stats() {
            return fresh().stats();
        }

        boolean pinned() {
            return fresh().pinned();
        }
    }
}
