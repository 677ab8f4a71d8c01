package io.coremanager;

import io.coremanager.testing.FakeSysfs;
import io.coremanager.topology.CpuTopology;
import io.coremanager.topology.MeasuredTopology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Placements and CPU checks on machines this one is not: fake topologies, no lanes started. */
class PlacementTest {

    @TempDir
    Path root;

    /** 2 packages x 4 cores x 2 threads: core n has cpus n and n+8; package 0 is cores 0-3. */
    private CpuTopology twoSockets() {
        return CpuTopology.read(FakeSysfs.machine(root.resolve("two-sockets"), 2, 4, 2).root());
    }

    private static CpuSet choose(CpuTopology t, Placement p) {
        return CpuChoice.choose(t, null, p, false);
    }

    @Test
    void allUsableIsEveryUsableCpu() {
        assertThat(choose(twoSockets(), Placement.allUsable())).isEqualTo(CpuSet.range(0, 15));
    }

    @Test
    void onePerCoreSkipsSmtSiblings() {
        assertThat(choose(twoSockets(), Placement.onePerCore())).isEqualTo(CpuSet.range(0, 7));
    }

    @Test
    void spreadAlternatesPackagesThenCoresThenSiblings() {
        CpuTopology t = twoSockets();
        assertThat(choose(t, Placement.spread(2))).isEqualTo(CpuSet.of(0, 4));
        assertThat(choose(t, Placement.spread(4))).isEqualTo(CpuSet.of(0, 1, 4, 5));
        assertThat(choose(t, Placement.spread(8))).isEqualTo(CpuSet.range(0, 7));
        assertThat(choose(t, Placement.spread(10))).isEqualTo(CpuSet.range(0, 7).union(CpuSet.of(8, 12)));
    }

    @Test
    void packFillsOneCacheCoresFirst() {
        CpuTopology t = twoSockets();
        assertThat(choose(t, Placement.pack(2))).isEqualTo(CpuSet.of(0, 1));
        assertThat(choose(t, Placement.pack(4))).isEqualTo(CpuSet.range(0, 3));
        assertThat(choose(t, Placement.pack(6))).isEqualTo(CpuSet.parse("0-3,8-9"));
        assertThat(choose(t, Placement.pack(9))).isEqualTo(CpuSet.parse("0-4,8-11"));
    }

    @Test
    void numaNodeKeepsItsCpus() {
        assertThat(choose(twoSockets(), Placement.numaNode(1))).isEqualTo(CpuSet.parse("4-7,12-15"));
        assertThatThrownBy(() -> choose(twoSockets(), Placement.numaNode(7)))
                .hasMessage("numaNode(7): no such node (nodes: [0, 1])");
    }

    @Test
    void placementsCompose() {
        CpuTopology t = twoSockets();
        assertThat(choose(t, Placement.numaNode(1).then(Placement.onePerCore()).then(Placement.pack(2))))
                .isEqualTo(CpuSet.of(4, 5));
    }

    @Test
    void performanceCoresOnHybridAndEveryCoreElsewhere() {
        FakeSysfs.at(root).cpus("0-5").core("0-1").core("2-3").core("4").core("5").pkg("0-5", 0)
                .file("sys/devices/cpu_core/cpus", "0-3").file("sys/devices/cpu_atom/cpus", "4-5");
        CpuTopology hybrid = CpuTopology.read(root);
        assertThat(choose(hybrid, Placement.performanceCores())).isEqualTo(CpuSet.range(0, 3));
        assertThat(choose(hybrid, Placement.performanceCores().then(Placement.onePerCore()))).isEqualTo(CpuSet.of(0, 2));
        assertThat(choose(twoSockets(), Placement.performanceCores())).isEqualTo(CpuSet.range(0, 15));
    }

    @Test
    void tooManyLanesNamesTheUsableCpus() {
        assertThatThrownBy(() -> choose(twoSockets(), Placement.spread(17)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spread(17): only 16 usable cpus (0-15)");
        assertThatThrownBy(() -> Placement.pack(0)).hasMessage("pack: 0 (expected: 1 or more lanes)");
    }

    @Test
    void isolatedAndDisallowedCpusAreNeverPlacedUnlessAsked() {
        FakeSysfs.machine(root, 1, 4, 1).file("sys/devices/system/cpu/isolated", "3")
                .file("proc/self/status", "Cpus_allowed_list:\t1-3\n");
        CpuTopology t = CpuTopology.read(root);
        assertThat(choose(t, Placement.allUsable())).isEqualTo(CpuSet.of(1, 2));
        assertThat(CpuChoice.choose(t, null, Placement.allUsable(), true)).isEqualTo(CpuSet.of(1, 2, 3));
    }

    @Test
    void explicitCpusGetOneMessageNamingEachProblem() {
        FakeSysfs.machine(root, 1, 8, 1).offline("6").file("sys/devices/system/cpu/isolated", "2")
                .file("proc/self/status", "Cpus_allowed_list:\t0-5\n");
        CpuTopology t = CpuTopology.read(root);
        assertThatThrownBy(() -> CoreManager.builder().topology(t).cpus(CpuSet.parse("1-2,6-7,99")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cpus 1-2,6-7,99 cannot be managed: cpus 99 do not exist on this machine (cpus: 0-7); "
                        + "cpus 6 are offline; cpus 7 exist but are not allowed for this process (allowed cpus: 0-5; "
                        + "see taskset, the cgroup cpuset or the container's cpu limits); cpus 2 are isolated "
                        + "(isolcpus/nohz_full); call includeIsolated(true) to use them (usable cpus: 0-1,3-5)");
        assertThatThrownBy(() -> CoreManager.builder().topology(t).cpus(CpuSet.empty()).build())
                .hasMessage("cpus: empty set (expected: at least one cpu; usable cpus: 0-1,3-5)");
    }

    @Test
    void aManagerOverEveryCpuOfA256CpuTopologyPlacesWithoutError() {
        FakeSysfs.machine(root, 4, 32, 2);
        CpuTopology t = CpuTopology.read(root);
        assertThat(choose(t, Placement.allUsable()).size()).isEqualTo(256);
        assertThat(choose(t, Placement.onePerCore()).size()).isEqualTo(128);
        assertThat(choose(t, Placement.spread(256)).size()).isEqualTo(256);
        assertThat(choose(t, Placement.spread(4))).isEqualTo(CpuSet.of(0, 32, 64, 96));
        assertThat(choose(t, Placement.pack(40))).isEqualTo(CpuSet.parse("0-31,128-135"));
    }

    @Test
    void onePerCoreCountsBothCoresOfAnAmdComputeUnit() {
        // Bulldozer: thread siblings 0-1 and 2-3 with four distinct core_ids: four cores, two units.
        FakeSysfs fake = FakeSysfs.at(root.resolve("bulldozer")).cpus("0-3").core("0-1").core("2-3").pkg("0-3", 0);
        for (int cpu = 0; cpu < 4; cpu++) {
            fake.file("sys/devices/system/cpu/cpu" + cpu + "/topology/core_id", Integer.toString(cpu));
        }
        CpuTopology t = CpuTopology.read(fake.root());
        assertThat(choose(t, Placement.onePerCore())).isEqualTo(CpuSet.range(0, 3));
    }

    @Test
    void measuredPlacementsUseTheMeasuredGroupsWhereSysfsShowsNone() throws Exception {
        // The 16-vCPU VM: sysfs says 16 cores; the matrix says 1,14 and 2-3 are siblings.
        FakeSysfs fake = FakeSysfs.at(root.resolve("vm")).cpus("0-15").pkg("0-15", 0);
        for (int cpu = 0; cpu < 16; cpu++) {
            fake.core(Integer.toString(cpu));
        }
        CpuTopology t = CpuTopology.read(fake.root());
        MeasuredTopology m = MeasuredTopology.parse(java.nio.file.Files.readString(
                Path.of("..", "docs", "benchmarks", "2026-11-23-xeon-16vcpu", "c2c.txt")), 2);
        assertThat(choose(t, Placement.onePerCore())).hasToString("0-15");
        assertThat(choose(t, Placement.measuredOnePerCore(m))).isEqualTo(CpuSet.parse("0-2,4-13,15"));
        assertThat(choose(t, Placement.measuredSpread(m, 14))).as("first siblings first")
                .isEqualTo(CpuSet.parse("0-2,4-13,15"));
        assertThat(choose(t, Placement.measuredSpread(m, 16))).isEqualTo(CpuSet.range(0, 15));
        assertThatThrownBy(() -> Placement.measuredSpread(m, 0)).hasMessageContaining("measuredSpread: 0");
    }

    @Test
    void measuredSpreadAlternatesMeasuredClusters() {
        // Two measured clusters (0-3, 4-7) with 15 / 60 ns; sysfs knows nothing of them.
        int[] cpus = {0, 1, 2, 3, 4, 5, 6, 7};
        double[][] nanos = new double[8][8];
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                nanos[i][j] = i / 4 == j / 4 ? 15 + (i * 3 + j * 5) % 4 : 60 + (i * 5 + j * 3) % 7; // asymmetric jitter
            }
        }
        MeasuredTopology m = MeasuredTopology.of(cpus, nanos, 2);
        CpuTopology t = CpuTopology.read(FakeSysfs.machine(root.resolve("flat"), 1, 8, 1).root());
        assertThat(m.clusters()).containsExactly(CpuSet.range(0, 3), CpuSet.range(4, 7));
        assertThat(choose(t, Placement.measuredSpread(m, 2))).isEqualTo(CpuSet.of(0, 4));
    }
}
