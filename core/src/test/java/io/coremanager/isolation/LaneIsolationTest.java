package io.coremanager.isolation;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import io.coremanager.reservation.CpuReservations;
import io.coremanager.testing.IsolationProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Lane isolation. What changes the masks of the whole process runs in a child JVM
 * ({@link IsolationProbe}); what the unsupported platform does is in {@code VirtualThreadFallbackTest}.
 */
class LaneIsolationTest {

    private static String runJava(List<String> flags, Class<?> main, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(flags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(output).isZero();
        return output;
    }

    @Test
    void aLaneCpuKeepsNoOtherThreadOfTheJvmAndCloseRestoresTheMasks() throws Exception {
        assumeTrue(JvmThreads.isSupported() && Affinity.get().size() >= 2, "needs affinity and 2 cpus");
        String out = runJava(List.of("--enable-native-access=ALL-UNNAMED", "-XX:+UseG1GC", "-Xmx64m"),
                IsolationProbe.class, "200");
        assertThat(out).contains("work done true",
                "others on the lane cpu after gc and jit: []",
                "competitor reported: true",
                "pinned onto lane still there: true",
                "pinned elsewhere untouched: true",
                "new thread moved within one interval: true",
                "sweeps after gc: true",
                "masks not restored after close: 0",
                "is pinned onto lane cpus");
        assertThat(out).contains("GC", "JIT_COMPILER", "VM", "LANE_CARRIER");
    }

    @Test
    void keepOffMovesEveryThreadButTheSparedAndNeverEmptiesAMask() throws Exception {
        assumeTrue(JvmThreads.isSupported() && Affinity.get().size() >= 2, "needs affinity and 2 cpus");
        String out = runJava(List.of("--enable-native-access=ALL-UNNAMED"), io.coremanager.testing.KeepOffProbe.class);
        assertThat(out).contains("all cpus: moved 0, nowhere else true, masks intact true",
                "pinned thread moved to the rest: true", "spared reported: true", "caller moved: true", "failed: 0",
                "none left on cpu " + Affinity.get().last() + ": true");
    }

    @Test
    void lanesOnEveryAllowedCpuCannotBeIsolatedAndSaySoOrFailWhenStrict() {
        assumeTrue(JvmThreads.isSupported());
        CpuSet all = Affinity.get();
        try (CoreManager cores = CoreManager.builder().cpus(all).isolate(true).build()) {
            assertThat(cores.isolator().orElseThrow().isActive()).isFalse();
            assertThat(cores.isolator().orElseThrow().inactiveReason().orElseThrow())
                    .contains("lane isolation is impossible: the lanes' cpus " + all + " cover every cpu");
        }
        assertThatThrownBy(() -> CoreManager.builder().cpus(all).isolate(true).strictIsolation(true).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("(strict isolation is set)");
    }

    @Test
    void badArgumentsAreRefusedWithTheValueAndWhatIsValid() {
        assertThatThrownBy(() -> CoreManager.builder().isolationInterval(Duration.ZERO))
                .hasMessage("interval: PT0S (expected: 1 ms or more)");
        assertThatThrownBy(() -> LaneIsolator.start(CpuSet.empty(), t -> false, Duration.ofSeconds(1), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("laneCpus: empty set");
        assertThatThrownBy(() -> JvmThreads.keepOff(CpuSet.empty())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void exclusiveLanesRefuseACpuAnotherManagerHoldsAndNameTheHolder(@TempDir Path folder) {
        CpuReservations locks = CpuReservations.privateFolder(folder);
        CpuSet one = CpuSet.of(Affinity.isSupported() ? Affinity.get().last() : 0);
        try (CoreManager first = CoreManager.builder().cpus(one).exclusive(locks).build()) {
            assertThat(first.cpus()).isEqualTo(one);
            assertThatThrownBy(() -> CoreManager.builder().cpus(one).exclusive(locks).build())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("exclusive lanes: cannot reserve cpus " + one)
                    .hasMessageContaining("reserved by this process");
        }
        try (CoreManager again = CoreManager.builder().cpus(one).exclusive(locks).build()) {
            assertThat(again.cpus()).as("closing the first manager released its cpus").isEqualTo(one);
        }
    }
}
