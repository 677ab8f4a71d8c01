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
 *   <li>counters {@code coremanager.lane.tasks} (tag {@code outcome}: submitted, completed, failed),
 *       {@code coremanager.lane.virtual.threads.started}, {@code coremanager.lane.steps} (virtual-thread
 *       continuations run), {@code coremanager.lane.busy} (seconds), {@code coremanager.lane.stalls},
 *       {@code coremanager.lane.carrier.replacements};</li>
 *   <li>gauges {@code coremanager.lane.queued}, {@code coremanager.lane.virtual.threads.live},
 *       {@code coremanager.lane.pinned} (1 or 0, asked of the kernel at each read),
 *       {@code coremanager.lane.stall.longest} (seconds).</li>
 * </ul>
 *
 * <pre>{@code
 * new CoreManagerMetrics(cores).bindTo(registry);
 * }</pre>
 *
 * <p>Meters read {@link CoreManager#stats(int)} when the registry polls them: nothing is added to
 * the lanes' hot paths. The binder holds the manager strongly; bind it for the manager's life.
 */
public final class CoreManagerMetrics implements MeterBinder {

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
            counter(registry, "coremanager.lane.tasks", lane.and("outcome", "submitted"), cpu, LaneStats::submitted, "tasks");
            counter(registry, "coremanager.lane.tasks", lane.and("outcome", "completed"), cpu, LaneStats::completed, "tasks");
            counter(registry, "coremanager.lane.tasks", lane.and("outcome", "failed"), cpu, LaneStats::failed, "tasks");
            counter(registry, "coremanager.lane.virtual.threads.started", lane, cpu, LaneStats::virtualThreadsStarted, "threads");
            counter(registry, "coremanager.lane.steps", lane, cpu, LaneStats::continuations, "steps");
            counter(registry, "coremanager.lane.busy", lane, cpu, s -> s.busyNanos() / 1e9, "seconds");
            counter(registry, "coremanager.lane.stalls", lane, cpu, LaneStats::stalls, "stalls");
            counter(registry, "coremanager.lane.carrier.replacements", lane, cpu, LaneStats::carrierReplacements, "carriers");
            gauge(registry, "coremanager.lane.queued", lane, cpu, LaneStats::queued, "entries");
            gauge(registry, "coremanager.lane.virtual.threads.live", lane, cpu, LaneStats::liveVirtualThreads, "threads");
            gauge(registry, "coremanager.lane.pinned", lane, cpu, s -> s.pinned() ? 1 : 0, null);
            gauge(registry, "coremanager.lane.stall.longest", lane, cpu, s -> s.longestStallNanos() / 1e9, "seconds");
        }
    }

    private void counter(MeterRegistry registry, String name, Tags lane, int cpu, ToDoubleFunction<LaneStats> value,
                         String unit) {
        FunctionCounter.builder(name, cores, c -> value.applyAsDouble(c.stats(cpu))).tags(lane).baseUnit(unit)
                .register(registry);
    }

    private void gauge(MeterRegistry registry, String name, Tags lane, int cpu, ToDoubleFunction<LaneStats> value,
                       String unit) {
        Gauge.builder(name, cores, c -> value.applyAsDouble(c.stats(cpu))).tags(lane).baseUnit(unit).register(registry);
    }
}
