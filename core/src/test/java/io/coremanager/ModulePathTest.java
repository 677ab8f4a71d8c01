package io.coremanager;

import io.coremanager.affinity.Affinity;
import io.coremanager.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * CoreManager on the module path, as the README tells users to run it: an application module
 * ({@code src/test/module-app}, {@code requires io.coremanager;}) compiled against the library's
 * module and run with {@code --add-opens java.base/java.lang=io.coremanager} and
 * {@code --enable-native-access=io.coremanager}, nothing for {@code ALL-UNNAMED}. It submits a task
 * and starts a core-affine virtual thread on every usable CPU, checks each ran there
 * ({@link CoreManager#currentCpu()}), and reads the topology. The rest of the suite runs on the
 * class path.
 */
class ModulePathTest {

    private static final Path APP_SOURCES = Path.of("src/test/module-app/coremanager.app");

    @Test
    void anApplicationModuleSubmitsGoesAndReadsTheTopology(@TempDir Path dir) throws Exception {
        Path library = ChildJvm.locationOf(CoreManager.class);
        assertThat(library.resolve("module-info.class")).as("the library's module descriptor").exists();
        Path app = dir.resolve("app");
        ChildJvm.compileModule(APP_SOURCES, app, List.of(library));

        ChildJvm.Result result = ChildJvm.run(List.of(
                "--module-path", ChildJvm.join(List.of(library, app)),
                "--add-opens", "java.base/java.lang=io.coremanager",
                "--enable-native-access=io.coremanager",
                "-m", "coremanager.app/coremanager.app.Main"));
        String output = result.output();

        assertThat(result.exitCode()).as(output).isZero();
        assertThat(output).as("no warning: the flags name the module")
                .doesNotContain("WARNING").doesNotContain("ALL-UNNAMED");
        assertThat(output).contains("module: io.coremanager named=true", "app module: coremanager.app",
                "core-affine threads supported: true", "topology summary: ", "done");

        CpuSet cpus = cpusLine(output);
        assertThat(cpus.isEmpty()).as(output).isFalse();
        assumeTrue(Affinity.isSupported(), "affinity unsupported here: where work ran cannot be checked");
        assertThat(output).contains("affinity supported: true");
        for (int cpu : cpus.toArray()) {
            assertThat(output).contains("submit " + cpu + ": ran on " + cpu + "\n");
            assertThat(output).contains("go " + cpu + ": virtual=true ran on " + cpu + "," + cpu
                    + " expected " + cpu + "," + cpu + "\n");
        }
    }

    private static CpuSet cpusLine(String output) {
        Matcher m = Pattern.compile("(?m)^cpus: (.*)$").matcher(output);
        assertThat(m.find()).as(output).isTrue();
        return CpuSet.parse(m.group(1).strip());
    }
}
