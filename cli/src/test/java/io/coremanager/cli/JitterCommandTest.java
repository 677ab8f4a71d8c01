package io.coremanager.cli;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import io.coremanager.isolation.JvmThreads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.coremanager.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class JitterCommandTest {

    @Test
    void badValuesAreUsageErrorsOfOneLine() {
        assertThat(run("jitter", "--seconds", "0").code()).isEqualTo(Main.USAGE);
        assertThat(run("jitter", "--seconds", "0").err()).isEqualTo("coremanager: --seconds: 0 (expected: 1 to 3600)\n");
        assertThat(run("jitter", "--threshold-ns", "-5").err()).contains("--threshold-ns: -5 (expected: 1 to 1000000000)");
        assertThat(run("jitter", "--cpus", "4095").err()).contains("--cpus 4095: expected cpus this process may use");
        assumeTrue(JvmThreads.isSupported());
        CpuSet all = Affinity.get();
        MainTest.Result r = run("jitter", "--cpus", all.toString(), "--isolate");
        assertThat(r.code()).isEqualTo(Main.USAGE);
        assertThat(r.err()).contains("--isolate: cpus " + all + " cover every cpu this process may use");
    }

    @Test
    void aShortRunPrintsTheGapsPerCpuAndDrawsThem(@TempDir Path dir) throws Exception {
        assumeTrue(JvmThreads.isSupported());
        Path png = dir.resolve("jitter.png");
        MainTest.Result r = run("jitter", "--seconds", "1", "--load-threads", "0", "--png", png.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("p99.99", "runq ms", "preempted", " shared ", "histograms written to " + png)
                .doesNotContain(" isolated ");
        assertThat(Files.readAllBytes(png)).startsWith(0x89, 'P', 'N', 'G');
    }

    @Test
    void isolateComparesBothModesInOneRun() throws Exception {
        assumeTrue(JvmThreads.isSupported() && Affinity.get().size() >= 2, "needs affinity and 2 cpus");
        // a JVM of its own: isolation changes the masks of the whole process
        String out = jitterInItsOwnJvm("--seconds", "1", "--isolate", "--load-threads", "1", "--safepoints");
        assertThat(out).contains(" shared ", " isolated ", "garbage collection during the run:",
                "the gaps that overlap no collection pause", "safepoints (JFR), by the mode whose round they began in");
        assertThat(out).as(out).containsPattern("(?m)^ shared +\\d+ ").containsPattern("(?m)^ isolated +\\d+ ");
    }

    @Test
    void roundTripNeedsACpuOutsideTheLanesForTheCaller() {
        assertThat(run("jitter", "--round-trip", "--pause-us", "-1").err())
                .isEqualTo("coremanager: --pause-us: -1 (expected: 0 to 1000000)\n");
        assertThat(run("jitter", "--pause-us", "5").err()).contains("--pause-us: 5 (expected: only with --round-trip)");
        assumeTrue(JvmThreads.isSupported());
        CpuSet all = Affinity.get();
        MainTest.Result r = run("jitter", "--round-trip", "--cpus", all.toString());
        assertThat(r.code()).isEqualTo(Main.USAGE);
        assertThat(r.err()).isEqualTo("coremanager: --round-trip: cpus " + all
                + " cover every cpu this process may use (" + all + "); leave at least one for the caller\n");
    }

    @Test
    void roundTripPrintsThePercentilesOfTheSharedMode() {
        assumeTrue(JvmThreads.isSupported() && Affinity.get().size() >= 2, "needs affinity and 2 cpus");
        int lane = Affinity.get().last();
        MainTest.Result r = run("jitter", "--round-trip", "--cpus", Integer.toString(lane), "--seconds", "1",
                "--load-threads", "1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("jitter --round-trip to lanes on cpus " + lane + " (idle strategy ",
                "round trips", "p99.99", "caller runq ms", "carriers runq ms", "garbage collection during the run:")
                .doesNotContain(" isolated ", "\u001b");
        assertThat(roundTrips(r.out(), "shared")).isPositive();
    }

    @Test
    void roundTripWithIsolateComparesBothModesInOneRun() throws Exception {
        assumeTrue(JvmThreads.isSupported() && Affinity.get().size() >= 2, "needs affinity and 2 cpus");
        // a JVM of its own: isolation changes the masks of the whole process
        String out = jitterInItsOwnJvm("--round-trip", "--isolate", "--cpus", Integer.toString(Affinity.get().last()),
                "--seconds", "1", "--load-threads", "1", "--safepoints");
        // Both ends of the round trip are kept clear, unless the caller's cpu is the last one left to the JVM.
        CpuSet allowed = Affinity.get();
        CpuSet lanesAndCaller = CpuSet.of(allowed.last()).with(allowed.first());
        CpuSet clear = allowed.minus(lanesAndCaller).isEmpty() ? CpuSet.of(allowed.last()) : lanesAndCaller;
        assertThat(out).contains("shared and isolated (cpus " + clear + " kept clear)",
                "safepoints (JFR), by the mode whose round they began in");
        assertThat(roundTrips(out, "shared")).as(out).isPositive();
        assertThat(roundTrips(out, "isolated")).as(out).isPositive();
    }

    /**
     * Runs {@code coremanager jitter ARGS} in a JVM of its own (isolation changes the masks of the
     * whole process) and returns its output; fails, having killed it, if it has not exited with 0
     * within 120 s (the output goes to a file, so a child that hangs cannot hang the test).
     */
    private static String jitterInItsOwnJvm(String... args) throws Exception {
        Path log = Files.createTempFile("jitter-child", ".txt");
        try {
            List<String> command = new java.util.ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "jitter"));
            command.addAll(List.of(args));
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean exited = child.waitFor(120, TimeUnit.SECONDS);
            if (!exited) {
                child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(exited).as("the child exited within 120 s; its output:%n%s", out).isTrue();
            assertThat(child.exitValue()).as(out).isZero();
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** The round-trip count of the table's line for {@code mode}: its second column. */
    private static long roundTrips(String out, String mode) {
        return out.lines().filter(l -> l.startsWith(mode + " ")).map(l -> l.trim().split(" +")[1])
                .mapToLong(Long::parseLong).findFirst().orElseThrow(() -> new AssertionError("no " + mode + " line in\n" + out));
    }

    @Test
    void checkListsTheThreadsThatMayRunOnTheCpusGiven() {
        assumeTrue(JvmThreads.isSupported());
        int cpu = Affinity.get().first();
        MainTest.Result r = run("check", "--cpus", Integer.toString(cpu));
        assertThat(r.out()).contains("cpu " + cpu + ": ").contains("threads of this JVM may run there")
                .contains("GC [").contains("isolate(true)");
        assertThat(run("check", "--pid", "999999999").err()).contains("--pid 999999999: no such process here");
        MainTest.Result other = run("check", "--pid", Long.toString(ProcessHandle.current().pid()));
        assertThat(other.out()).contains("has no lane carriers");
    }
}
