package io.coremanager.topology;

import io.coremanager.CpuSet;
import io.coremanager.testing.FakeSysfs;
import io.coremanager.testing.PropertyCheck;
import io.coremanager.testing.PropertyCheck.Gen;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Randomly damaged sysfs trees (files deleted, emptied, filled with garbage or huge numbers,
 * replaced by link cycles): the reader never throws and always returns a usable topology. See
 * {@link PropertyCheck} for seeds and replay; a failure shrinks to the fewest damages that still fail.
 */
class TopologyFuzzProperties {

    enum Kind { DELETE, EMPTY, GARBAGE, HUGE_NUMBER, NEGATIVE, SELF_LINK, PARENT_LINK, DIRECTORY }

    record Damage(int target, Kind kind, String garbage) {
    }

    private static final String GARBAGE_CHARS = "0123456789abcdef,-:/x \n\t\0\u00ff";

    private static final Gen<Damage> DAMAGE = random -> new Damage(random.nextInt(0, 100_001),
            Kind.values()[random.nextInt(Kind.values().length)], PropertyCheck.strings(GARBAGE_CHARS, 0, 40).next(random));

    record Case(List<Damage> damages, boolean smt, boolean masksOnly) {
    }

    private static final Gen<Case> CASES = random -> new Case(PropertyCheck.lists(DAMAGE, 1, 12).next(random),
            random.nextBoolean(), random.nextBoolean());

    /** Each kind of damage alone, before the random ones, on a plain machine and an SMT one with masks only in turn. */
    private static final List<Case> EDGE_CASES = Stream.of(Kind.values())
            .map(kind -> kind.ordinal() % 2 == 0
                    ? new Case(List.of(new Damage(0, kind, "")), false, false)
                    : new Case(List.of(new Damage(7, kind, "\0x,")), true, true))
            .toList();

    @Test
    void damagedTreesReadIntoUsableTopologies() {
        PropertyCheck.forAll("damaged trees read into usable topologies", 80, EDGE_CASES, CASES,
                c -> PropertyCheck.<Damage>dropOne(1).candidates(c.damages()).map(d -> new Case(d, c.smt(), c.masksOnly())),
                c -> {
                    try {
                        damagedTreeReadsIntoAUsableTopology(c.damages(), c.smt(), c.masksOnly());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    private static void damagedTreeReadsIntoAUsableTopology(List<Damage> damages, boolean smt, boolean masksOnly)
            throws IOException {
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
