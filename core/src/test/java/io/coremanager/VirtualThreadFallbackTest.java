package io.coremanager;

import io.coremanager.affinity.Affinity;
import io.coremanager.testing.FallbackProbe;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Behaviour that needs a JVM of its own: without {@code --add-opens java.base/java.lang} go() falls
 * back, says so once, and a strict builder fails; and the JDK's lazily started socket pollers never
 * land on a lane.
 */
class VirtualThreadFallbackTest {

    private static String runJava(List<String> jvmFlags, Class<?> main) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java));
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(output).isZero();
        return output;
    }

    @Test
    void whereAffinityIsUnsupportedEverythingRunsUnpinnedAndSaysWhy() throws Exception {
        String output = runJava(List.of("-Dos.name=Darwin", "--enable-native-access=ALL-UNNAMED"),
                io.coremanager.testing.UnsupportedPlatformProbe.class);
        assertThat(output).contains("supported: false",
                "reason: cpu affinity is supported on Linux only; this platform is Darwin",
                "currentCpu: -1",
                "set: sched_setaffinity: cpu affinity is supported on Linux only; this platform is Darwin",
                "manager: " + Runtime.getRuntime().availableProcessors() + " lanes, answer 42, pinned false",
                "lanes run unpinned (stats() shows which)",
                "strict: pinning is required but cpu affinity is supported on Linux only",
                "isolation: lane isolation is unavailable: cpu affinity is supported on Linux only",
                "strict isolation: lane isolation is unavailable: cpu affinity is supported on Linux only");
    }

    @Test
    void theJdksSocketPollersNeverLandOnALane() throws Exception {
        assumeTrue(Affinity.isSupported());
        String output = runJava(List.of("--enable-native-access=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED"), io.coremanager.testing.PollerProbe.class);
        assertThat(output).contains("echo 42 on VirtualThread[#").contains("late carrier needed: false")
                .doesNotContain("after its lane closed");
    }

    @Test
    void withoutTheAddOpensFlagGoRunsOnPinnedPlatformThreadsAndSaysSoOnce() throws Exception {
        assumeTrue(Affinity.isSupported());
        String output = runJava(List.of("--enable-native-access=ALL-UNNAMED"), FallbackProbe.class);
        assertThat(output).contains("ran virtual=false on=true\nran virtual=false on=true\nran virtual=false on=true");
        assertThat(output.split("--add-opens java.base/java.lang=ALL-UNNAMED", -1))
                .as("the warning appears once in the fallback, once in the strict failure: %s", output).hasSize(3);
        assertThat(output).contains("core-affine virtual threads are unavailable")
                .contains("strict: core-affine virtual threads are required but");
    }
}
