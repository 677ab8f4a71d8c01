package io.coremanager;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The JFR events a manager's life leaves in a recording, as the JDK's {@code jfr print} shows them. */
class JfrEventsTest {

    @TempDir
    Path dir;

    @Test
    void aManagersLifeIsRecordedWithoutAnEventPerTask() throws Exception {
        Path file = dir.resolve("coremanager.jfr");
        int cpus;
        try (Recording recording = new Recording()) {
            for (String name : List.of("LaneStart", "LaneStop", "Pin", "LaneStall", "Rejection")) {
                recording.enable("io.coremanager." + name);
            }
            recording.start();
            CoreManager cores = CoreManager.create();
            cpus = cores.cpus().size();
            for (int i = 0; i < 1000; i++) {
                cores.submit(cores.cpus().first(), () -> 1).get();
            }
            cores.close();
            assertThatThrownBy(() -> cores.execute(cores.cpus().first(), () -> { }))
                    .isInstanceOf(RejectedExecutionException.class);
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        assertThat(events).filteredOn(e -> e.getEventType().getName().equals("io.coremanager.LaneStart")).hasSize(cpus)
                .allSatisfy(e -> assertThat(e.getBoolean("pinned")).isTrue());
        assertThat(events).filteredOn(e -> e.getEventType().getName().equals("io.coremanager.LaneStop")).hasSize(cpus);
        assertThat(events).filteredOn(e -> e.getEventType().getName().equals("io.coremanager.Pin")).hasSizeGreaterThanOrEqualTo(cpus);
        assertThat(events).filteredOn(e -> e.getEventType().getName().equals("io.coremanager.Rejection")).hasSize(1)
                .allSatisfy(e -> assertThat(e.getString("reason")).contains("is shut down"));
        assertThat(events).as("no event per task").hasSizeLessThan(100);

        Path jfr = Path.of(System.getProperty("java.home"), "bin", "jfr");
        assumeTrue(Files.isExecutable(jfr), "no jfr tool in this runtime");
        Process print = new ProcessBuilder(jfr.toString(), "print", "--categories", "CoreManager", file.toString())
                .redirectErrorStream(true).start();
        String text = new String(print.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(print.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(text).contains("io.coremanager.LaneStart", "io.coremanager.LaneStop", "io.coremanager.Rejection",
                "carrier = \"coremanager-cpu-");
    }
}
