package io.coremanager.testing;

import io.coremanager.CpuSet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes a fake {@code sys/} and {@code proc/} tree, the way a kernel of a given age lays them out,
 * for {@code CpuTopology.read(root)}. Each method writes its files at once; later calls overwrite.
 *
 * <pre>{@code
 * FakeSysfs.at(dir).cpus("0-7").core("0,4").core("1,5").pkg("0-7", 0).cache(3, "Unified", "8192K", "0-7");
 * }</pre>
 */
public final class FakeSysfs {

    /** How sibling lists are written: the modern list files, or the old kernels' masks only. */
    public enum Form { LISTS, MASKS_ONLY, OLD_NAMES }

    private final Path root;
    private final Path cpuDir;
    private final Map<Integer, Integer> nextCacheIndex = new HashMap<>();
    private Form form = Form.LISTS;

    private FakeSysfs(Path root) {
        this.root = root;
        this.cpuDir = root.resolve("sys/devices/system/cpu");
    }

    public static FakeSysfs at(Path root) {
        return new FakeSysfs(root);
    }

    public Path root() {
        return root;
    }

    public FakeSysfs form(Form form) {
        this.form = form;
        return this;
    }

    /** CPUs {@code list}: possible, present and online, with a folder each. */
    public FakeSysfs cpus(String list) {
        CpuSet cpus = CpuSet.parse(list);
        file("sys/devices/system/cpu/possible", list);
        file("sys/devices/system/cpu/present", list);
        file("sys/devices/system/cpu/online", list);
        cpus.forEachCpu(c -> dir("sys/devices/system/cpu/cpu" + c + "/topology"));
        return this;
    }

    /** Takes {@code list} offline the modern way: the online list shrinks and their topology goes. */
    public FakeSysfs offline(String list) {
        CpuSet off = CpuSet.parse(list);
        CpuSet online = CpuSet.parse(read("sys/devices/system/cpu/online")).minus(off);
        file("sys/devices/system/cpu/online", online.toString());
        off.forEachCpu(c -> {
            delete("sys/devices/system/cpu/cpu" + c + "/topology");
            delete("sys/devices/system/cpu/cpu" + c + "/cache");
            file("sys/devices/system/cpu/cpu" + c + "/online", "0");
        });
        return this;
    }

    /** One physical core: its SMT siblings. */
    public FakeSysfs core(String siblings) {
        return siblings(siblings, "core_cpus", "thread_siblings");
    }

    /** One package: its CPUs and the kernel's {@code physical_package_id}. */
    public FakeSysfs pkg(String cpus, int id) {
        siblings(cpus, "package_cpus", "core_siblings");
        CpuSet.parse(cpus).forEachCpu(c -> file(topology(c) + "/physical_package_id", Integer.toString(id)));
        return this;
    }

    /** One cluster ({@code cluster_cpus}): cores sharing an L2 or an ARM cluster. */
    public FakeSysfs cluster(String cpus, int id) {
        siblings(cpus, "cluster_cpus", null);
        CpuSet.parse(cpus).forEachCpu(c -> file(topology(c) + "/cluster_id", Integer.toString(id)));
        return this;
    }

    /** One die. */
    public FakeSysfs die(String cpus, int id) {
        siblings(cpus, "die_cpus", null);
        CpuSet.parse(cpus).forEachCpu(c -> file(topology(c) + "/die_id", Integer.toString(id)));
        return this;
    }

    private FakeSysfs siblings(String list, String name, String oldName) {
        CpuSet set = CpuSet.parse(list);
        set.forEachCpu(c -> {
            String dir = topology(c);
            switch (form) {
                case LISTS -> {
                    file(dir + "/" + name + "_list", set.toString());
                    file(dir + "/" + name, set.toMask());
                    if (oldName != null) {
                        file(dir + "/" + oldName + "_list", set.toString());
                        file(dir + "/" + oldName, set.toMask());
                    }
                }
                case MASKS_ONLY -> file(dir + "/" + (oldName == null ? name : oldName), set.toMask());
                case OLD_NAMES -> {
                    if (oldName != null) {
                        file(dir + "/" + oldName + "_list", set.toString());
                    }
                }
            }
        });
        return this;
    }

    /** A cache shared by {@code cpus}: {@code type} is Data, Instruction or Unified, size like 32K. */
    public FakeSysfs cache(int level, String type, String size, String cpus) {
        CpuSet set = CpuSet.parse(cpus);
        set.forEachCpu(c -> {
            int index = nextCacheIndex.merge(c, 1, Integer::sum) - 1;
            String dir = "sys/devices/system/cpu/cpu" + c + "/cache/index" + index;
            file(dir + "/level", Integer.toString(level));
            file(dir + "/type", type);
            file(dir + "/size", size);
            if (form == Form.MASKS_ONLY) {
                file(dir + "/shared_cpu_map", set.toMask());
            } else {
                file(dir + "/shared_cpu_list", set.toString());
            }
        });
        return this;
    }

    /** A NUMA node with its CPUs and its distance row (to the online nodes, in order). */
    public FakeSysfs node(int id, String cpus, int... distances) {
        String dir = "sys/devices/system/node/node" + id;
        if (form == Form.MASKS_ONLY) {
            file(dir + "/cpumap", CpuSet.parse(cpus).toMask());
        } else {
            file(dir + "/cpulist", cpus);
        }
        StringBuilder row = new StringBuilder();
        for (int d : distances) {
            row.append(row.isEmpty() ? "" : " ").append(d);
        }
        file(dir + "/distance", row.toString());
        return this;
    }

    /** The same value of a per-CPU file (cpu_capacity, cpufreq/base_frequency) for each CPU of {@code cpus}. */
    public FakeSysfs perCpu(String cpus, String file, String value) {
        CpuSet.parse(cpus).forEachCpu(c -> file("sys/devices/system/cpu/cpu" + c + "/" + file, value));
        return this;
    }

    /** Writes {@code text} (plus a newline, as the kernel does) at {@code relative}. */
    public FakeSysfs file(String relative, String text) {
        Path file = root.resolve(relative);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public FakeSysfs dir(String relative) {
        try {
            Files.createDirectories(root.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public FakeSysfs delete(String relative) {
        Path path = root.resolve(relative);
        try {
            if (Files.isDirectory(path)) {
                try (var walk = Files.walk(path)) {
                    for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            } else {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    private String read(String relative) {
        try {
            return Files.readString(root.resolve(relative)).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String topology(int cpu) {
        return "sys/devices/system/cpu/cpu" + cpu + "/topology";
    }

    /**
     * A common machine: {@code packages} packages of {@code coresPerPackage} cores of
     * {@code threadsPerCore} threads, numbered as Intel does (the first thread of every core first,
     * then the second threads), one NUMA node and one L3 per package, L1/L2 per core.
     */
    public static FakeSysfs machine(Path root, int packages, int coresPerPackage, int threadsPerCore) {
        int cores = packages * coresPerPackage;
        int cpus = cores * threadsPerCore;
        FakeSysfs fake = at(root).cpus("0-" + (cpus - 1));
        for (int p = 0; p < packages; p++) {
            CpuSet.Builder pkg = CpuSet.builder();
            for (int c = 0; c < coresPerPackage; c++) {
                int core = p * coresPerPackage + c;
                CpuSet.Builder siblings = CpuSet.builder();
                for (int t = 0; t < threadsPerCore; t++) {
                    siblings.add(core + t * cores);
                }
                CpuSet set = siblings.build();
                pkg.addAll(set);
                fake.core(set.toString())
                        .cache(1, "Data", "48K", set.toString())
                        .cache(1, "Instruction", "32K", set.toString())
                        .cache(2, "Unified", "2048K", set.toString());
                String coreId = Integer.toString(c);
                set.forEachCpu(cpu -> fake.file(topology(cpu) + "/core_id", coreId));
            }
            CpuSet pkgSet = pkg.build();
            fake.pkg(pkgSet.toString(), p).cache(3, "Unified", "32768K", pkgSet.toString());
            int[] distances = new int[packages];
            for (int q = 0; q < packages; q++) {
                distances[q] = q == p ? 10 : 21;
            }
            fake.node(p, pkgSet.toString(), distances);
        }
        fake.file("sys/devices/system/node/online", "0-" + (packages - 1));
        fake.file("sys/devices/system/node/possible", "0-" + (packages - 1));
        return fake;
    }
}
