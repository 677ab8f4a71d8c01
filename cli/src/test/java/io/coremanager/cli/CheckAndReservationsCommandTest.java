package io.coremanager.cli;

import io.coremanager.CpuSet;
import io.coremanager.reservation.CpuReservation;
import io.coremanager.reservation.CpuReservations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.coremanager.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

class CheckAndReservationsCommandTest {

    @TempDir
    Path dir;

    @Test
    void checkReportsEachAreaAndExitsOneOnlyOnWarnings() {
        MainTest.Result r = run("check");
        assertThat(r.out()).contains("java ", "native access", "virtual threads", "cpu affinity", "this process may use cpus",
                "cpu reservations");
        boolean warned = r.out().lines().anyMatch(l -> l.startsWith("WARN"));
        assertThat(r.code()).isEqualTo(warned ? 1 : 0);
        assertThat(r.out()).contains(warned ? "warning" : "no warnings");
    }

    @Test
    void reservationsShowsWhoHoldsWhat() {
        CpuReservations folder = CpuReservations.privateFolder(dir.resolve("locks"));
        try (CpuReservation held = folder.reserve(CpuSet.of(2))) {
            folder.reserve(CpuSet.of(3)).close();
            MainTest.Result r = run("reservations", "--dir", folder.folder().toString());
            assertThat(r.code()).isZero();
            assertThat(r.out()).contains("lock folder " + folder.folder())
                    .containsPattern("\\n +2  held +" + ProcessHandle.current().pid() + "  " + Thread.currentThread().getName())
                    .containsPattern("\\n +3  free +-");
        }
    }

    @Test
    void aMissingFolderIsAUsageError() {
        MainTest.Result r = run("reservations", "--dir", dir.resolve("nope").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("nope: no such folder");
    }
}
