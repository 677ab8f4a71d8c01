package io.coremanager.topology;

import io.coremanager.CpuSet;
import io.coremanager.testing.FakeSysfs;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Randomly damaged sysfs trees (files deleted, emptied, filled with garbage or huge numbers,
 * replaced by link cycles): the reader never throws and always returns a usable topology.
 */
class TopologyFuzzProperties {

    enum Kind { DELETE, EMPTY, GARBAGE, HUGE_NUMBER, NEGATIVE, SELF_LINK, PARENT_LINK, DIRECTORY }

    record Damage(int target, Kind kind, String garbage) {
    }

    @Provide
    Arbitrary<List<Damage>> damages() {
        Arbitrary<String> garbage = Arbitraries.strings().ofMaxLength(40)
                .withChars("0123456789abcdef,-:/x \n\t\0\u00ff");
        return Combinators.combine(Arbitraries.integers().between(0, 100_000), Arbitraries.of(Kind.class), garbage)
                .as(Damage::new).list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(tries = 80)
    void damagedTreesReadIntoUsableTopologies(@ForAll("damages") List<Damage> damages,
                                              @ForAll boolean smt, @ForAll boolean masksOnly) throws IOException {
        Path root = Files.createTempDirectory("fuzz-sysfs");
        try {
            FakeSysfs fake = FakeSysfs.machine(root, 2, 2, smt ? 2 : 1);
            if (masksOnly) {
                fake.form(FakeSysfs.Form.MASKS_ONLY).core("0");
            }
            fake.file("proc/self/cgroup", "0::/a").file("proc/self/mountinfo", "1 0 0:1 / /sys/fs/cgroup rw - cgroup2 c rw")
                    .file("sys/fs/cgroup/a/cpuset.cpus.effective", "0-2").file("sys/fs/cgroup/a/cpu.max", "150000 100000");
            List<Path> paths = everything(root);
            for (Damage damage : damages) {
                apply(damage, paths.get(damage.target() % paths.size()));
            }

            CpuTopology t = CpuTopology.read(root);

            assertThat(t.cpus()).isNotEmpty();
            assertThat(t.onlineCpus()).containsAll(t.allowedCpus());
            CpuSet covered = CpuSet.empty();
            for (CpuSet core : t.cores()) {
                assertThat(core.intersects(covered)).as("cores overlap: %s", t.cores()).isFalse();
                covered = covered.union(core);
            }
            for (Cpu cpu : t.cpus()) {
                if (cpu.online() && cpu.core() != Cpu.UNKNOWN) {
                    assertThat(cpu.siblings().contains(cpu.cpu())).isTrue();
                    assertThat(t.cores()).contains(cpu.siblings());
                }
            }
            assertThat(t.summary()).isNotBlank();
        } finally {
            deleteAll(root);
        }
    }

    private static List<Path> everything(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(p -> !p.equals(root)).sorted().toList();
        }
    }

    private static void apply(Damage damage, Path path) throws IOException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        switch (damage.kind()) {
            case DELETE -> deleteAll(path);
            case EMPTY -> replace(path, "");
            case GARBAGE -> {
                deleteAll(path);
                Files.write(path, damage.garbage().getBytes(StandardCharsets.ISO_8859_1));
            }
            case HUGE_NUMBER -> replace(path, "99999999999999999999999");
            case NEGATIVE -> replace(path, "-7");
            case SELF_LINK -> {
                deleteAll(path);
                Files.createSymbolicLink(path, path.getFileName());
            }
            case PARENT_LINK -> {
                deleteAll(path);
                Files.createSymbolicLink(path, Path.of(".."));
            }
            case DIRECTORY -> {
                deleteAll(path);
                Files.createDirectories(path);
            }
        }
    }

    private static void replace(Path path, String text) throws IOException {
        deleteAll(path);
        Files.writeString(path, text);
    }

    private static void deleteAll(Path path) throws IOException {
        if (Files.isSymbolicLink(path) || !Files.isDirectory(path)) {
            Files.deleteIfExists(path);
            return;
        }
        List<Path> all = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(all::add);
        }
        for (Path p : all) {
            Files.deleteIfExists(p);
        }
    }
}
