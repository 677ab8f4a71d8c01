package coremanager.metrics.app;

import io.coremanager.CoreManager;
import io.coremanager.micrometer.CoreManagerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Binds the metrics, runs work on one lane, prints what the registry reads, "name: value" per line. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (CoreManager cores = CoreManager.create()) {
            new CoreManagerMetrics(cores).bindTo(registry);
            int cpu = cores.cpus().first();
            for (int i = 0; i < 5; i++) {
                cores.submit(cpu, () -> 1).join();
            }
            cores.go(cpu, () -> { }).join();
            String tag = Integer.toString(cpu);
            System.out.println("module: " + CoreManagerMetrics.class.getModule().getName());
            System.out.println("completed: " + (long) registry.get("coremanager.lane.tasks")
                    .tags("cpu", tag, "outcome", "completed").functionCounter().count());
            System.out.println("virtual threads started: " + (long) registry.get("coremanager.lane.virtual.threads.started")
                    .tags("cpu", tag).functionCounter().count());
        }
    }
}
