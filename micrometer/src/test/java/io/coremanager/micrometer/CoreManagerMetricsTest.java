package io.coremanager.micrometer;

import io.coremanager.CoreManager;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CoreManagerMetricsTest {

    @Test
    void everyLaneHasItsMetersAndTheyFollowTheStatistics() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (CoreManager cores = CoreManager.create()) {
            new CoreManagerMetrics(cores, Tags.of("manager", "test")).bindTo(registry);
            int cpu = cores.cpus().first();
            for (int i = 0; i < 10; i++) {
                cores.submit(cpu, () -> 1).get();
            }
            cores.go(cpu, () -> { }).join();
            String tag = Integer.toString(cpu);
            assertThat(registry.get("coremanager.lane.tasks").tags("cpu", tag, "outcome", "completed", "manager", "test")
                    .functionCounter().count()).isEqualTo(10);
            assertThat(registry.get("coremanager.lane.tasks").tags("cpu", tag, "outcome", "submitted").functionCounter().count())
                    .isEqualTo(10);
            assertThat(registry.get("coremanager.lane.virtual.threads.started").tags("cpu", tag).functionCounter().count())
                    .isEqualTo(1);
            assertThat(registry.get("coremanager.lane.pinned").tags("cpu", tag).gauge().value()).isEqualTo(1);
            assertThat(registry.get("coremanager.lane.queued").tags("cpu", tag).gauge().value()).isZero();
            assertThat(registry.get("coremanager.lane.busy").tags("cpu", tag).functionCounter().count()).isPositive();
            assertThat(registry.getMeters().stream().map(m -> m.getId().getTag("cpu")).distinct())
                    .hasSize(cores.cpus().size());
        }
    }
}
