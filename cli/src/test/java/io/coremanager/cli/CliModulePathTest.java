package io.coremanager.cli;

import io.coremanager.CoreManager;
import io.coremanager.affinity.Affinity;
import io.coremanager.bench.harness.Contenders;
import io.coremanager.testing.ChildJvm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CLI as a module ({@code io.coremanager.cli}) on the module path with the library's module and
 * picocli's ({@code info.picocli}), run with the flags naming {@code io.coremanager}, nothing for
 * {@code ALL-UNNAMED}: its commands work there as they do from the runnable jar.
 */
class CliModulePathTest {

    private static List<String> jvm;

    @BeforeAll
    static void modulePath() {
        Path cli = ChildJvm.locationOf(Main.class);
        assertThat(cli.resolve("module-info.class")).as("the CLI's module descriptor").exists();
        jvm = List.of("--module-path", ChildJvm.join(List.of(ChildJvm.locationOf(CoreManager.class), cli,
                        ChildJvm.locationOf(Contenders.class), ChildJvm.locationOf(CommandLine.class))),
                "--add-opens", "java.base/java.lang=io.coremanager",
                "--enable-native-access=io.coremanager",
                "-m", "io.coremanager.cli/io.coremanager.cli.Main");
    }

    private static ChildJvm.Result coremanager(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(jvm);
        command.addAll(List.of(arguments));
        ChildJvm.Result r = ChildJvm.run(command);
        assertThat(r.output()).as("no warning: the flags name the module").doesNotContain("WARNING");
        return r;
    }

    @Test
    void versionTopologyAndAMalformedListWork() throws Exception {
        ChildJvm.Result version = coremanager("--version");
        assertThat(version.exitCode()).as(version.output()).isZero();
        assertThat(version.output()).startsWith("coremanager ").contains("affinity: ");

        ChildJvm.Result topology = coremanager("topology");
        assertThat(topology.exitCode()).as(topology.output()).isZero();
        assertThat(topology.output()).contains("core ", "this process may use");

        ChildJvm.Result bad = coremanager("demo", "--cpus", "0-a");
        assertThat(bad.exitCode()).as(bad.output()).isEqualTo(2);
        assertThat(bad.output()).contains("coremanager: Invalid value for option '--cpus'").doesNotContain("\tat ");
    }

    @Test
    void theDemoKeepsEveryTaskAndVirtualThreadOnItsCpu() throws Exception {
        assumeTrue(Affinity.isSupported(), "affinity unsupported here");
        ChildJvm.Result demo = coremanager("demo", "--tasks", "200", "--vthreads", "2", "--rounds", "3");
        assertThat(demo.exitCode()).as(demo.output()).isZero();
        assertThat(demo.output()).contains("core-affine: 0 off-cpu observations in ");
    }

    @Test
    void checkSeesNativeAccessAndTheVirtualThreadHookOfTheLibraryModule() throws Exception {
        ChildJvm.Result check = coremanager("check");
        assertThat(check.output()).contains("OK   native access is enabled for CoreManager's module",
                "OK   core-affine virtual threads are available");
    }
}
