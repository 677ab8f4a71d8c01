package io.coremanager.topology;

import io.coremanager.CpuSet;
import io.coremanager.testing.FakeSysfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The reader against small fake sysfs trees, one kind of machine per test. */
class CpuTopologyTest {

    @TempDir
    Path root;

    @Test
    void twoSocketSmtNumaMachine() {
        FakeSysfs.machine(root, 2, 4, 2); // cpus 0-15; core n has threads n and n+8
        CpuTopology t = CpuTopology.read(root);

        assertThat(t.warnings()).isEmpty();
        assertThat(t.cores()).hasSize(8).first().isEqualTo(CpuSet.of(0, 8));
        assertThat(t.packages()).containsExactly(CpuSet.parse("0-3,8-11"), CpuSet.parse("4-7,12-15"));
        assertThat(t.lastLevelCaches()).isEqualTo(t.packages());
        assertThat(t.siblingsOf(9)).isEqualTo(CpuSet.of(1, 9));
        assertThat(t.coreOf(9)).isEqualTo(t.coreOf(1));
        assertThat(t.coreOf(9)).isNotEqualTo(t.coreOf(5));
        assertThat(t.packageOf(12)).isEqualTo(OptionalInt.of(1));
        assertThat(t.nodeOf(12)).isEqualTo(OptionalInt.of(1));
        assertThat(t.llcOf(12)).isEqualTo(t.llcOf(4)).isNotEqualTo(t.llcOf(0));
        assertThat(t.distance(0, 1)).isEqualTo(OptionalInt.of(21));
        assertThat(t.distance(1, 1)).isEqualTo(OptionalInt.of(10));
        assertThat(t.kindOf(3)).isEqualTo(CoreKind.UNKNOWN);
        assertThat(t.isHybrid()).isFalse();
        assertThat(t.allowedCpus()).isEqualTo(CpuSet.range(0, 15));
        assertThat(t.cpuQuota()).isEmpty();
        Cpu cpu5 = t.cpu(5);
        assertThat(cpu5.caches()).extracting(Cache::level).containsExactly(1, 1, 2, 3);
        assertThat(cpu5.lastLevelCache().sizeBytes()).isEqualTo(32L << 20);
        assertThat(t.summary()).isEqualTo("2 packages, 2 NUMA nodes, 8 cores, 16 CPUs; this process may use 0-15");
    }

    @Test
    void oldKernelsMasksOnly() {
        FakeSysfs.at(root).form(FakeSysfs.Form.MASKS_ONLY).cpus("0-3")
                .core("0,2").core("1,3").pkg("0-3", 0)
                .cache(2, "Unified", "1024K", "0,2").cache(2, "Unified", "1024K", "1,3")
                .node(0, "0-3", 10);
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.warnings()).isEmpty();
        assertThat(t.cores()).containsExactly(CpuSet.of(0, 2), CpuSet.of(1, 3));
        assertThat(t.lastLevelCaches()).containsExactly(CpuSet.of(0, 2), CpuSet.of(1, 3));
    }

    @Test
    void threadSiblingsListWhereCoreCpusListIsMissing() {
        FakeSysfs.at(root).form(FakeSysfs.Form.OLD_NAMES).cpus("0-3").core("0-1").core("2-3").pkg("0-3", 0);
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.cores()).containsExactly(CpuSet.parse("0-1"), CpuSet.parse("2-3"));
        assertThat(t.packages()).containsExactly(CpuSet.parse("0-3"));
    }

    @Test
    void packagesAreGroupedBySiblingListsNotByIds() {
        // POWER: physical_package_id is -1 everywhere; core_siblings says who is together.
        FakeSysfs fake = FakeSysfs.at(root).cpus("0-7").core("0-3").core("4-7").pkg("0-3", -1).pkg("4-7", -1);
        CpuTopology t = CpuTopology.read(fake.root());
        assertThat(t.packages()).containsExactly(CpuSet.parse("0-3"), CpuSet.parse("4-7"));
        assertThat(t.packageOf(0)).isNotEqualTo(t.packageOf(4));
    }

    @Test
    void repeatedKernelIdsAcrossPackagesStillMakeDistinctGroups() {
        // core_id 0 exists in both packages: the sibling lists keep the cores apart.
        FakeSysfs.machine(root, 2, 1, 2);
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.cores()).containsExactly(CpuSet.of(0, 2), CpuSet.of(1, 3));
    }

    @Test
    void offlineCpusWithoutTopologyFolders() {
        FakeSysfs.machine(root, 1, 4, 2).offline("2,6");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.warnings()).isEmpty();
        assertThat(t.onlineCpus()).isEqualTo(CpuSet.parse("0-1,3-5,7"));
        assertThat(t.cpu(2).online()).isFalse();
        assertThat(t.cpu(2).allowed()).isFalse();
        assertThat(t.cpu(2).core()).isEqualTo(Cpu.UNKNOWN);
        assertThat(t.coreOf(2)).isEmpty();
        assertThat(t.siblingsOf(2)).isEmpty();
        assertThat(t.siblingsOf(6)).isEmpty();
        assertThat(t.cores()).containsExactly(CpuSet.of(0, 4), CpuSet.of(1, 5), CpuSet.of(3, 7));
        assertThat(t.summary()).contains("8 CPUs (offline: 2,6)");
    }

    @Test
    void offlineCpusOfOldKernelsThatHaveNoOnlineList() {
        FakeSysfs.machine(root, 1, 2, 1).delete("sys/devices/system/cpu/online")
                .delete("sys/devices/system/cpu/cpu1/topology").file("sys/devices/system/cpu/cpu1/online", "0");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.onlineCpus()).isEqualTo(CpuSet.of(0));
        assertThat(t.cpu(1).online()).isFalse();
    }

    @Test
    void sparseCpuNumbers() {
        FakeSysfs fake = FakeSysfs.at(root).cpus("0,2,4,6,64,130");
        for (int c : new int[] {0, 2, 4, 6, 64, 130}) {
            fake.core(Integer.toString(c));
        }
        fake.pkg("0,2,4,6", 0).pkg("64,130", 1).node(0, "0,2,4,6", 10, 20).node(2, "64,130", 20, 10);
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.warnings()).isEmpty();
        assertThat(t.allCpus()).isEqualTo(CpuSet.parse("0,2,4,6,64,130"));
        assertThat(t.cores()).hasSize(6);
        assertThat(t.nodeOf(130)).isEqualTo(OptionalInt.of(2));
        assertThat(t.distance(2, 0)).isEqualTo(OptionalInt.of(20));
        assertThatThrownBy(() -> t.cpu(1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cpu 1 is not on this machine (cpus: 0,2,4,6,64,130)");
        assertThatThrownBy(() -> t.distance(1, 0)).hasMessageContaining("node 1 is not on this machine (nodes: [0, 2])");
    }

    @Test
    void noNodeFoldersMeansOneNode() {
        FakeSysfs.machine(root, 1, 2, 1).delete("sys/devices/system/node");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.nodes()).singleElement().satisfies(n -> {
            assertThat(n.id()).isZero();
            assertThat(n.cpus()).isEqualTo(CpuSet.parse("0-1"));
        });
        assertThat(t.nodeOf(1)).isEqualTo(OptionalInt.of(0));
    }

    @Test
    void noCacheFoldersMeansNoLastLevelCache() {
        FakeSysfs.at(root).cpus("0-1").core("0").core("1").pkg("0-1", 0);
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.lastLevelCaches()).isEmpty();
        assertThat(t.llcOf(0)).isEmpty();
        assertThat(t.cpu(0).caches()).isEmpty();
    }

    @Test
    void isolatedCpusFromSysfsAndNohzFull() {
        FakeSysfs.machine(root, 1, 4, 1).file("sys/devices/system/cpu/isolated", "2")
                .file("sys/devices/system/cpu/nohz_full", "3");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.isolatedCpus()).isEqualTo(CpuSet.of(2, 3));
        assertThat(t.usableCpus()).isEqualTo(CpuSet.of(0, 1));
        assertThat(t.summary()).contains("isolated 2-3");
    }

    @Test
    void isolatedCpusFromTheKernelCommandLineWhereSysfsLacksTheFile() {
        FakeSysfs.machine(root, 1, 8, 1).file("proc/cmdline", "ro quiet isolcpus=domain,managed_irq,4-5 nohz_full=7");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.isolatedCpus()).isEqualTo(CpuSet.parse("4-5,7"));
    }

    @Test
    void moreThan1024Cpus() {
        FakeSysfs fake = FakeSysfs.at(root).form(FakeSysfs.Form.MASKS_ONLY).cpus("0-1099");
        for (int core = 0; core < 550; core++) {
            fake.core(core + "," + (core + 550));
        }
        fake.pkg("0-549,550-1099", 0).node(0, "0-1099", 10);
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.warnings()).isEmpty();
        assertThat(t.cores()).hasSize(550);
        assertThat(t.siblingsOf(1099)).isEqualTo(CpuSet.of(549, 1099));
        assertThat(t.allowedCpus().size()).isEqualTo(1100);
    }

    @Test
    void hybridFromIntelDeviceLists() {
        FakeSysfs.at(root).cpus("0-5").core("0-1").core("2-3").core("4").core("5").pkg("0-5", 0)
                .file("sys/devices/cpu_core/cpus", "0-3").file("sys/devices/cpu_atom/cpus", "4-5");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.isHybrid()).isTrue();
        assertThat(t.kindOf(1)).isEqualTo(CoreKind.PERFORMANCE);
        assertThat(t.kindOf(5)).isEqualTo(CoreKind.EFFICIENCY);
        assertThat(t.cpusWhere(c -> c.kind() == CoreKind.PERFORMANCE)).isEqualTo(CpuSet.parse("0-3"));
        assertThat(t.summary()).contains("(4 performance, 2 efficiency)");
    }

    @Test
    void hybridFromCpuCapacityWithThreeTiers() {
        // An ARM phone: one prime core, three big, four little.
        FakeSysfs fake = FakeSysfs.at(root).cpus("0-7");
        for (int c = 0; c < 8; c++) {
            fake.core(Integer.toString(c));
        }
        fake.pkg("0-7", 0).perCpu("0-3", "cpu_capacity", "410").perCpu("4-6", "cpu_capacity", "860")
                .perCpu("7", "cpu_capacity", "1024");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.cpusWhere(c -> c.kind() == CoreKind.EFFICIENCY)).isEqualTo(CpuSet.parse("0-3"));
        assertThat(t.cpusWhere(c -> c.kind() == CoreKind.PERFORMANCE)).isEqualTo(CpuSet.parse("4-7"));
    }

    @Test
    void hybridFromBaseFrequencyDespiteTurboMaxSpread() {
        FakeSysfs.machine(root, 1, 4, 1)
                .perCpu("0-1", "cpufreq/base_frequency", "1900000").perCpu("2-3", "cpufreq/base_frequency", "1400000")
                .perCpu("0", "cpufreq/cpuinfo_max_freq", "5000000").perCpu("1", "cpufreq/cpuinfo_max_freq", "4800000")
                .perCpu("2-3", "cpufreq/cpuinfo_max_freq", "3900000");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.cpusWhere(c -> c.kind() == CoreKind.PERFORMANCE)).isEqualTo(CpuSet.parse("0-1"));
        assertThat(t.cpusWhere(c -> c.kind() == CoreKind.EFFICIENCY)).isEqualTo(CpuSet.parse("2-3"));
    }

    @Test
    void turboBoostMaxFavouredCoresDoNotMakeAUniformMachineHybrid() {
        FakeSysfs.machine(root, 1, 4, 1).perCpu("0-3", "cpufreq/base_frequency", "2100000")
                .perCpu("0,2", "cpufreq/cpuinfo_max_freq", "4800000").perCpu("1,3", "cpufreq/cpuinfo_max_freq", "4500000");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.isHybrid()).isFalse();
        assertThat(t.kindOf(0)).isEqualTo(CoreKind.UNKNOWN);
    }

    @Test
    void cgroupV2CpusetAndQuota() {
        FakeSysfs.machine(root, 1, 8, 1)
                .file("proc/self/cgroup", "0::/app.slice/web.service")
                .file("proc/self/mountinfo", "30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate")
                .file("sys/fs/cgroup/app.slice/web.service/cpuset.cpus.effective", "2-5")
                .file("sys/fs/cgroup/app.slice/web.service/cpu.max", "max 100000")
                .file("sys/fs/cgroup/app.slice/cpu.max", "250000 100000");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.warnings()).isEmpty();
        assertThat(t.allowedCpus()).isEqualTo(CpuSet.parse("2-5"));
        assertThat(t.cpu(1).allowed()).isFalse();
        assertThat(t.cpuQuota()).isEqualTo(OptionalDouble.of(2.5));
        assertThat(t.summary()).endsWith("this process may use 2-5 (cgroup quota 2.5 CPUs)");
    }

    @Test
    void cgroupV1CpusetUnderItsMountAndCfsQuota() {
        FakeSysfs.machine(root, 1, 8, 1)
                .file("proc/self/cgroup", "4:cpu,cpuacct:/docker/abc\n3:cpuset:/docker/abc\n1:name=systemd:/\n")
                .file("proc/mounts", "cgroup /sys/fs/cgroup/cpuset cgroup rw,nosuid,cpuset 0 0\n"
                        + "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\n")
                .file("sys/fs/cgroup/cpuset/docker/abc/cpuset.cpus", "0-1,6")
                .file("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "150000")
                .file("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.allowedCpus()).isEqualTo(CpuSet.parse("0-1,6"));
        assertThat(t.cpuQuota()).isEqualTo(OptionalDouble.of(1.5));
    }

    @Test
    void legacyCpusetFileSystemWithProcSelfCpuset() {
        FakeSysfs.machine(root, 1, 8, 1).file("proc/self/cpuset", "/dummy")
                .file("proc/mounts", "none /dev/cpuset cpuset rw 0 0")
                .file("dev/cpuset/dummy/cpus", "1-3");
        assertThat(CpuTopology.read(root).allowedCpus()).isEqualTo(CpuSet.parse("1-3"));
    }

    @Test
    void cpusAllowedListWhenThereIsNoCgroup() {
        FakeSysfs.machine(root, 1, 8, 1).file("proc/self/status", "Name:\tjava\nCpus_allowed:\tf0\nCpus_allowed_list:\t4-7\n");
        assertThat(CpuTopology.read(root).allowedCpus()).isEqualTo(CpuSet.parse("4-7"));
    }

    @Test
    void corruptFilesBecomeWarningsNotExceptions() {
        FakeSysfs.machine(root, 1, 4, 2)
                .file("sys/devices/system/cpu/cpu1/topology/core_cpus_list", "1,5-x")
                .file("sys/devices/system/cpu/cpu1/topology/core_cpus", "zz")
                .file("sys/devices/system/cpu/cpu1/topology/thread_siblings_list", "")
                .file("sys/devices/system/cpu/cpu1/topology/thread_siblings", "")
                .file("sys/devices/system/cpu/cpu2/cache/index3/size", "lots")
                .file("sys/devices/system/node/node0/distance", "banana");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.warnings()).anySatisfy(w -> assertThat(w).contains("cpu1/topology/core_cpus_list").contains("1,5-x"));
        assertThat(t.warnings()).anySatisfy(w -> assertThat(w).contains("index3/size").contains("lots"));
        assertThat(t.warnings()).anySatisfy(w -> assertThat(w).contains("node0/distance").contains("banana"));
        assertThat(t.cpus()).hasSize(8);
        assertThat(t.siblingsOf(0)).isEqualTo(CpuSet.of(0, 4));
        assertThat(t.siblingsOf(1)).as("taken from cpu 5's list").isEqualTo(CpuSet.of(1, 5));
        assertThat(t.cpu(2).lastLevelCache().sizeBytes()).isEqualTo(-1);
    }

    @Test
    void aTreeWithNothingDegradesToAvailableProcessorsInOnePackage() {
        CpuTopology t = CpuTopology.read(root);
        int n = Runtime.getRuntime().availableProcessors();
        assertThat(t.cpus()).hasSize(n);
        assertThat(t.packages()).hasSize(1);
        assertThat(t.warnings()).singleElement().asString().contains("no cpus found").contains("assuming one package of " + n);
    }

    @Test
    void cpuinfoIsTheFallbackForCpusWithoutTopology() {
        FakeSysfs.at(root).file("proc/cpuinfo", String.join("\n",
                "processor\t: 0", "physical id\t: 0", "core id\t: 0", "",
                "processor\t: 1", "physical id\t: 0", "core id\t: 0", "",
                "processor\t: 2", "physical id\t: 1", "core id\t: 0", ""));
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.allCpus()).isEqualTo(CpuSet.parse("0-2"));
        assertThat(t.cores()).containsExactly(CpuSet.of(0, 1), CpuSet.of(2));
        assertThat(t.packages()).containsExactly(CpuSet.of(0, 1), CpuSet.of(2));
        assertThat(t.packageOf(2)).isEqualTo(OptionalInt.of(1));
    }

    @Test
    void nulTerminatedFilesFromSnapshotToolsRead() {
        FakeSysfs.machine(root, 1, 2, 1).file("sys/devices/system/node/node0/cpulist", "0-1\n\0");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.warnings()).isEmpty();
        assertThat(t.nodes().getFirst().cpus()).isEqualTo(CpuSet.parse("0-1"));
    }

    @Test
    void groupsAreListedByLowestCpu() {
        FakeSysfs.machine(root, 2, 2, 1);
        List<CpuSet> cores = CpuTopology.read(root).cores();
        assertThat(cores).extracting(CpuSet::first).isSorted();
    }

    @Test
    void anL2SharedByCoresIsTheirClusterWhereTheKernelNamesNone() {
        // A kernel before cluster_cpus (5.16): four E-cores share an L2; the P-core has its own.
        FakeSysfs.at(root).cpus("0-5").core("0-1").core("2").core("3").core("4").core("5").pkg("0-5", 0)
                .cache(2, "Unified", "1280K", "0-1").cache(2, "Unified", "2048K", "2-5")
                .cache(3, "Unified", "12288K", "0-5");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.clusters()).containsExactly(CpuSet.parse("2-5"));
        assertThat(t.cpu(0).cluster()).isNotEqualTo(t.cpu(2).cluster());
    }
}
