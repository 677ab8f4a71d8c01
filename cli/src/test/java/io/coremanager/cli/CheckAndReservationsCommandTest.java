package io.coremanager.cli;

import io.coremanager.CpuSet;
import io.coremanager.reservation.CpuReservation;
import io.coremanager.reservation.CpuReservations;
import io.coremanager.testing.FakeSysfs;
import io.coremanager.topology.CpuTopology;
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
    void checkSaysWhatTheQuotaIsAndWhatCreateDoesAboutIt() {
        FakeSysfs.machine(dir, 1, 8, 1)
                .file("proc/self/cgroup", "0::/")
                .file("proc/self/mountinfo", "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw")
                .file("sys/fs/cgroup/cpu.max", "200000 100000");
        assertThat(CheckCommand.findings(CpuTopology.read(dir)))
                .anySatisfy(f -> assertThat(f.what()).isEqualTo("CoreManager.create(): cgroup cpu quota 2.00 cpus below "
                        + "the 8 usable cpus: 2 lanes placed by spread (sizeByCpuQuota(false) takes all 8)"));
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
