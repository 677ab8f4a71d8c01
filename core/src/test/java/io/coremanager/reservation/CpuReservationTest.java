package io.coremanager.reservation;

import io.coremanager.CpuSet;
import io.coremanager.testing.FakeSysfs;
import io.coremanager.testing.ReservationProbe;
import io.coremanager.topology.CpuTopology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Reservations within this JVM, across child JVMs (kill -9 included), and across two users. */
class CpuReservationTest {

    @TempDir
    Path dir;

    @Test
    void aCpuIsExclusiveWithinTheProcessAndFreeAgainAfterClose() {
        CpuReservations folder = CpuReservations.privateFolder(dir.resolve("locks"));
        try (CpuReservation r = folder.reserve(CpuSet.of(3))) {
            assertThat(r.cpus()).isEqualTo(CpuSet.of(3));
            assertThat(folder.tryReserve(CpuSet.of(3))).isEmpty();
            assertThatThrownBy(() -> folder.reserve(CpuSet.of(2, 3))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot reserve cpus 2-3: cpu 3 is reserved by this process (thread "
                            + Thread.currentThread().getName() + ")");
            assertThat(folder.tryReserve(CpuSet.of(2))).as("all or nothing: 2 was released").get()
                    .satisfies(CpuReservation::close);
            assertThat(folder.list()).filteredOn(ReservationInfo::held).extracting(ReservationInfo::cpu).containsExactly(3);
        }
        try (CpuReservation again = folder.reserve(CpuSet.of(3))) {
            assertThat(again.isHeld()).isTrue();
        }
        assertThat(folder.list()).noneMatch(ReservationInfo::held);
    }

    @Test
    void reserveAnyTakesTheLowestFreeCpu() {
        CpuReservations folder = CpuReservations.privateFolder(dir.resolve("locks"));
        try (CpuReservation first = folder.reserveAny(CpuSet.parse("4-6"));
             CpuReservation second = folder.reserveAny(CpuSet.parse("4-6"))) {
            assertThat(first.cpus()).isEqualTo(CpuSet.of(4));
            assertThat(second.cpus()).isEqualTo(CpuSet.of(5));
        }
    }

    @Test
    void aWholeCoreIsItsSmtSiblings() {
        CpuTopology topology = CpuTopology.read(FakeSysfs.machine(dir.resolve("sysfs"), 1, 4, 2).root());
        CpuReservations folder = CpuReservations.privateFolder(dir.resolve("locks"));
        try (CpuReservation core = folder.reserveCore(5, topology)) {
            assertThat(core.cpus()).isEqualTo(CpuSet.of(1, 5));
            assertThat(folder.tryReserve(CpuSet.of(1))).isEmpty();
        }
    }

    @Test
    void aPrivateFolderIsCreatedForItsOwnerOnly() throws IOException {
        Path locks = dir.resolve("new-folder");
        CpuReservations.privateFolder(locks).reserve(CpuSet.of(0)).close();
        assertThat(Integer.toOctalString((int) Files.getAttribute(locks, "unix:mode") & 0777)).isEqualTo("700");
        assertThat(Integer.toOctalString((int) Files.getAttribute(locks.resolve("cpu-0.lock"), "unix:mode") & 0777))
                .isEqualTo("600");
    }

    @Test
    void aSymbolicLinkPlantedWhereALockFileBelongsIsNotFollowed() throws IOException {
        Path locks = dir.resolve("locks");
        CpuReservations folder = CpuReservations.privateFolder(locks);
        Path victim = Files.writeString(dir.resolve("victim.txt"), "precious");
        Files.createSymbolicLink(locks.resolve("cpu-2.lock"), victim);
        assertThatThrownBy(() -> folder.reserve(CpuSet.of(2))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cpu 2: cannot use " + locks.resolve("cpu-2.lock"))
                .hasMessageContaining("a symbolic link is planted there; it is not followed");
        assertThat(Files.readString(victim)).isEqualTo("precious");
        assertThat(folder.list()).noneMatch(i -> i.cpu() == 2);
    }

    @Test
    void unsafeFoldersAreRefusedWithTheReason() throws IOException {
        Path link = dir.resolve("link");
        Files.createDirectories(dir.resolve("real"));
        Files.createSymbolicLink(link, dir.resolve("real"));
        assertThatThrownBy(() -> CpuReservations.privateFolder(link))
                .hasMessageContaining("is a symbolic link: refusing to follow it");
        Path open = Files.createDirectories(dir.resolve("open"));
        Files.setAttribute(open, "unix:mode", 0777);
        assertThatThrownBy(() -> CpuReservations.privateFolder(open))
                .hasMessageContaining("is writable by others (mode 777)");
        assertThatThrownBy(() -> CpuReservations.shared(open))
                .hasMessageContaining("world-writable without the sticky bit (mode 777)");
        assertThatThrownBy(() -> CpuReservations.privateFolder(dir).reserve(CpuSet.empty()))
                .hasMessage("cpus: empty set (expected: at least one cpu to reserve)");
    }

    @Test
    void anotherProcessIsExcludedAndKillMinus9FreesItsCpuAtOnce() throws Exception {
        Path locks = dir.resolve("locks");
        CpuReservations folder = CpuReservations.privateFolder(locks);
        try (CpuReservation mine = folder.reserve(CpuSet.of(0))) {
            String refused = runProbe(List.of(), "private", locks, 0, "try");
            assertThat(refused).contains("refused: cannot reserve cpus 0: cpu 0 is reserved by pid "
                    + ProcessHandle.current().pid() + " (thread " + Thread.currentThread().getName());
        }
        Process holder = startProbe(List.of(), "private", locks, 1, "hold");
        try {
            awaitLine(holder, "holding");
            assertThat(folder.tryReserve(CpuSet.of(1))).as("held by the child").isEmpty();
            assertThat(folder.list()).filteredOn(i -> i.cpu() == 1).singleElement()
                    .satisfies(i -> assertThat(i.held()).isTrue())
                    .satisfies(i -> assertThat(i.pid()).isEqualTo(holder.pid()));
        } finally {
            holder.destroyForcibly(); // SIGKILL: no cleanup runs in the child
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        try (CpuReservation freed = folder.reserve(CpuSet.of(1))) {
            assertThat(freed.isHeld()).isTrue();
        }
    }

    @Test
    void twoUsersDoNotTripOnEachOthersLockFiles() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run a child as another user");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runuser")), "needs runuser");
        Path shared = Path.of(System.getProperty("java.io.tmpdir"), "coremanager-test-shared-" + ProcessHandle.current().pid());
        List<String> asNobody = List.of("/usr/sbin/runuser", "-u", "nobody", "--");
        try {
            CpuReservations sharedFolder = CpuReservations.shared(shared);
            try (CpuReservation mine = sharedFolder.reserve(CpuSet.of(0));
                 CpuReservation privateMine = CpuReservations.defaultFolder().reserve(CpuSet.of(7))) {
                // Shared: the other user sees who holds cpu 0, and can take cpu 1.
                assertThat(runProbe(asNobody, "shared", shared, 0, "try"))
                        .contains("refused: cannot reserve cpus 0: cpu 0 is reserved by pid " + ProcessHandle.current().pid())
                        .contains("user root");
                assertThat(runProbe(asNobody, "shared", shared, 1, "try")).contains("reserved in " + shared);
                // Default folders are per user: root's reservation of cpu 7 is not in nobody's way.
                assertThat(runProbe(asNobody, "default", shared, 7, "try")).contains("reserved in ");
            }
            assertThat(Files.getOwner(shared.resolve("cpu-1.lock"), LinkOption.NOFOLLOW_LINKS).getName()).isEqualTo("nobody");
        } finally {
            deleteTree(shared);
        }
    }

    // ---------------------------------------------------------------- child JVMs

    private String runProbe(List<String> prefix, String mode, Path folder, int cpu, String action) throws Exception {
        Process p = startProbe(prefix, mode, folder, cpu, action);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private Process startProbe(List<String> prefix, String mode, Path folder, int cpu, String action) throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", readableClassPath(), ReservationProbe.class.getName(), mode, folder.toString(),
                Integer.toString(cpu), action));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** The library's and the probe's classes, copied where any user can read them. */
    private String readableClassPath() throws IOException {
        Path copy = Path.of(System.getProperty("java.io.tmpdir"), "coremanager-probe-cp-" + ProcessHandle.current().pid());
        if (!Files.exists(copy)) {
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path p = Path.of(entry);
                if (Files.isDirectory(p) && (p.endsWith("classes") || p.endsWith("test-classes"))) {
                    copyTree(p, copy);
                }
            }
            try (Stream<Path> all = Files.walk(copy)) {
                for (Path p : all.toList()) {
                    Files.setAttribute(p, "unix:mode", Files.isDirectory(p) ? 0755 : 0644);
                }
            }
            copy.toFile().deleteOnExit();
        }
        return copy.toString();
    }

    private static void awaitLine(Process p, String expected) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.equals(expected)) {
                return;
            }
        }
        throw new AssertionError("the child ended before printing " + expected);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
