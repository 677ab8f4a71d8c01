package io.coremanager.micrometer;

import io.coremanager.CoreManager;
import io.coremanager.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Micrometer module on the module path: an application module ({@code src/test/module-app},
 * {@code requires io.coremanager.micrometer;}) with Micrometer's jars as automatic modules, run with
 * the flags naming {@code io.coremanager}, binds the metrics and reads them.
 */
class MicrometerModulePathTest {

    @Test
    void anApplicationModuleBindsAndReadsTheMetrics(@TempDir Path dir) throws Exception {
        Path metrics = ChildJvm.locationOf(CoreManagerMetrics.class);
        assertThat(metrics.resolve("module-info.class")).as("the module's descriptor").exists();
        List<Path> modulePath = new ArrayList<>(List.of(ChildJvm.locationOf(CoreManager.class), metrics));
        // micrometer-core and what it needs at run time (commons, observation, HdrHistogram, LatencyUtils).
        Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> entry.matches(".*(micrometer-|HdrHistogram|LatencyUtils).*\\.jar"))
                .map(Path::of).forEach(modulePath::add);
        Path app = dir.resolve("app");
        ChildJvm.compileModule(Path.of("src/test/module-app/coremanager.metrics.app"), app, modulePath);
        modulePath.add(app);

        ChildJvm.Result r = ChildJvm.run(List.of("--module-path", ChildJvm.join(modulePath),
                "--add-opens", "java.base/java.lang=io.coremanager",
                "--enable-native-access=io.coremanager",
                "-m", "coremanager.metrics.app/coremanager.metrics.app.Main"));

        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).doesNotContain("WARNING")
                .contains("module: io.coremanager.micrometer\n", "completed: 5\n", "virtual threads started: 1\n");
    }
}
