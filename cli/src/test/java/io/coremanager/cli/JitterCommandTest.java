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
        Process child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "jitter", "--seconds", "1", "--isolate", "--load-threads", "1"))
                .redirectErrorStream(true).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(out).isZero();
        assertThat(out).contains(" shared ", " isolated ", "garbage collection during the run:",
                "the gaps that overlap no collection pause");
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
