package io.coremanager.topology;

import io.coremanager.CpuSet;
import io.coremanager.testing.FakeSysfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reader where sysfs is odd and hwloc has a rule for it (issue 14), one small tree per rule;
 * plus the one place where the reader departs from hwloc on purpose (the cgroup v1 cpuset).
 */
class HwlocRulesTest {

    @TempDir
    Path root;

    private static String cache(int cpu, int index, String file) {
        return "sys/devices/system/cpu/cpu" + cpu + "/cache/index" + index + "/" + file;
    }

    @Test
    void anAllZeroSharedCpuMapMeansTheCacheOfTheCore() {
        // Old ia64 kernels: the L3's shared_cpu_map is all zeros and there is no list.
        FakeSysfs fake = FakeSysfs.at(root).form(FakeSysfs.Form.MASKS_ONLY).cpus("0-3")
                .core("0-1").core("2-3").pkg("0-3", 0)
                .cache(3, "Unified", "12288K", "0-3");
        for (int cpu = 0; cpu < 4; cpu++) {
            fake.file(cache(cpu, 0, "shared_cpu_map"), "00000000,00000000");
        }
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.warnings()).isEmpty();
        assertThat(t.lastLevelCaches()).as("two threads of one core share their cache")
                .containsExactly(CpuSet.of(0, 1), CpuSet.of(2, 3));
        assertThat(t.cpu(1).lastLevelCache().sharedBy()).isEqualTo(CpuSet.of(0, 1));
    }

    @Test
    void aSharedCpuListWithoutItsOwnCpuFallsBackToTheMapAndWarns() {
        FakeSysfs.at(root).cpus("0-3").core("0").core("1").core("2").core("3").pkg("0-3", 0)
                .cache(2, "Unified", "1024K", "0-1").cache(2, "Unified", "1024K", "2-3")
                // cpu 2's list, written by hand, names the other pair; its map is right.
                .file(cache(2, 0, "shared_cpu_list"), "0-1")
                .file(cache(2, 0, "shared_cpu_map"), "0000000c");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.lastLevelCaches()).containsExactly(CpuSet.of(0, 1), CpuSet.of(2, 3));
        assertThat(t.cpu(2).lastLevelCache().sharedBy()).isEqualTo(CpuSet.of(2, 3));
        assertThat(t.warnings()).singleElement().asString()
                .contains("cpu2/cache/index0/shared_cpu_list").contains("does not contain cpu 2")
                .contains("shared_cpu_map").contains("2-3");
    }

    @Test
    void aSharedCpuListWithoutItsOwnCpuAndNoMapKeepsTheListAndWarns() {
        FakeSysfs.at(root).cpus("0-1").core("0").core("1").pkg("0-1", 0)
                .cache(2, "Unified", "1024K", "0").cache(2, "Unified", "1024K", "1")
                .file(cache(1, 0, "shared_cpu_list"), "0");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.cpu(1).lastLevelCache().sharedBy()).isEqualTo(CpuSet.of(0, 1));
        assertThat(t.warnings()).singleElement().asString().contains("no shared_cpu_map");
    }

    @Test
    void amdComputeUnitsAreTwoCoresInACluster() {
        // Bulldozer: thread_siblings name the compute unit, core_id tells its two cores apart.
        FakeSysfs fake = FakeSysfs.at(root).cpus("0-3").core("0-1").core("2-3").pkg("0-3", 0)
                .cache(2, "Unified", "2048K", "0-1").cache(2, "Unified", "2048K", "2-3")
                .cache(3, "Unified", "8192K", "0-3");
        for (int cpu = 0; cpu < 4; cpu++) {
            fake.file("sys/devices/system/cpu/cpu" + cpu + "/topology/core_id", Integer.toString(cpu));
        }
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.warnings()).isEmpty();
        assertThat(t.cores()).containsExactly(CpuSet.of(0), CpuSet.of(1), CpuSet.of(2), CpuSet.of(3));
        assertThat(t.siblingsOf(0)).isEqualTo(CpuSet.of(0));
        assertThat(t.cpu(0).cluster()).isEqualTo(t.cpu(1).cluster()).isNotEqualTo(Cpu.UNKNOWN);
        assertThat(t.cpu(2).cluster()).isEqualTo(t.cpu(3).cluster()).isNotEqualTo(t.cpu(0).cluster());
        assertThat(t.clusters()).containsExactly(CpuSet.of(0, 1), CpuSet.of(2, 3));
    }

    @Test
    void smtSiblingsWithOneCoreIdStayOneCore() {
        FakeSysfs fake = FakeSysfs.at(root).cpus("0-3").core("0,2").core("1,3").pkg("0-3", 0);
        fake.perCpu("0,2", "topology/core_id", "0").perCpu("1,3", "topology/core_id", "1");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.cores()).containsExactly(CpuSet.of(0, 2), CpuSet.of(1, 3));
        assertThat(t.clusters()).isEmpty();
    }

    @Test
    void cgroupV1UsesEffectiveCpusWhereHwlocUsesCpusetCpus() {
        // The parent cpuset shrank: cpuset.cpus still says 0-7, the kernel enforces 0-3. hwloc
        // reports 0-7 allowed; a lane placed on cpu 5 would be refused, so the reader takes 0-3.
        FakeSysfs.machine(root, 1, 8, 1)
                .file("proc/self/cgroup", "3:cpuset:/job\n")
                .file("proc/mounts", "cgroup /sys/fs/cgroup/cpuset cgroup rw,nosuid,cpuset 0 0\n")
                .file("sys/fs/cgroup/cpuset/job/cpuset.cpus", "0-7")
                .file("sys/fs/cgroup/cpuset/job/cpuset.effective_cpus", "0-3");
        CpuTopology t = CpuTopology.read(root);
        assertThat(t.allowedCpus()).isEqualTo(CpuSet.parse("0-3"));
        assertThat(t.cpu(5).allowed()).isFalse();
    }
}
