package io.coremanager.cli;

import io.coremanager.testing.FakeSysfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.coremanager.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

class TopologyCommandTest {

    @TempDir
    Path root;

    @Test
    void jsonHasTheDocumentedShape() {
        FakeSysfs.machine(root, 2, 2, 2)
                .file("proc/self/status", "Cpus_allowed_list:\t0-5\n")
                .file("proc/self/cgroup", "0::/")
                .file("proc/self/mountinfo", "40 1 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup rw")
                .file("sys/fs/cgroup/cpu.max", "400000 100000");
        MainTest.Result r = run("topology", "--json", "--root", root.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("{\"cpus\": [{\"cpu\": 0, \"online\": true, \"allowed\": true, "
                + "\"isolated\": false, \"core\": 0, \"package\": 0, \"node\": 0, \"llc\": 0, \"kind\": null");
        assertThat(r.out()).contains("{\"cpu\": 7, \"online\": true, \"allowed\": false, \"isolated\": false, "
                + "\"core\": 3, \"package\": 1, \"node\": 1, \"llc\": 1, \"kind\": null");
        assertThat(r.out()).contains("\"allowed\": \"0-5\", \"quota\": 4.0, \"warnings\": []");
    }

    @Test
    void treeShowsEachLevelAndTheSummary() {
        FakeSysfs.machine(root, 2, 2, 2).offline("7").file("sys/devices/system/cpu/isolated", "2");
        MainTest.Result r = run("topology", "--root", root.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains(
                "package 0 > NUMA node 0 > L3 32 MiB  cpus 0-1,4-5\n  core 0  cpus 0,4  SMT\n  core 1  cpus 1,5  SMT\n",
                "package 1 > NUMA node 1 > L3 32 MiB  cpus 2-3,6\n  core 2  cpus 2[isolated],6  SMT\n  core 3  cpus 3\n",
                "offline: cpus 7",
                "NUMA distances:",
                "2 packages, 2 NUMA nodes, 4 cores, 8 CPUs (offline: 7); this process may use 0-6, isolated 2");
    }

    @Test
    void aMissingRootIsExitCodeTwoAndOneLine() {
        MainTest.Result r = run("topology", "--root", root.resolve("nope").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").startsWith("coremanager: --root ")
                .endsWith("nope: no such folder (expected: a folder holding sys/ and proc/)");
    }

    @Test
    void aRootThatIsAFileIsExitCodeTwo() throws Exception {
        Path file = java.nio.file.Files.writeString(root.resolve("file"), "x");
        MainTest.Result r = run("topology", "--root", file.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("not a folder");
    }

    @Test
    void thisMachineReads() {
        MainTest.Result r = run("topology");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("package ").contains("this process may use");
    }

    @Test
    void measureReportsTheMeasuredGroupsBesideSysfs() {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.coremanager.topology.CpuTopology.current().usableCpus().size() >= 2,
                "needs two usable cpus");
        MainTest.Result r = run("topology", "--measure", "--measure-ms", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Measured (core-to-core round trips, 2 ms per pair):", "  measured SMT siblings: ",
                "  measured cache clusters: ", "  thresholds: ", "  outliers: ");
        MainTest.Result json = run("topology", "--json", "--measure", "--measure-ms", "2");
        assertThat(json.code()).as(json.err()).isZero();
        assertThat(json.out()).contains("\"measured\": {\"cpus\": ", "\"siblings\": ", "\"clusters\": ", "\"outliers\": ");
    }

    @Test
    void measureCannotGoWithARoot() {
        MainTest.Result r = run("topology", "--measure", "--root", root.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--measure measures this machine; it cannot go with --root");
    }

    @Test
    void clustersOfSeveralCoresAreALevelBetweenTheCacheAndTheCores() {
        // A small hybrid: P-cores 0-1 and 2-3 (SMT, an L2 each), E-cores 4-7 sharing one L2.
        FakeSysfs.at(root).cpus("0-7").core("0-1").core("2-3").core("4").core("5").core("6").core("7")
                .pkg("0-7", 0).cluster("0-1", 0).cluster("2-3", 8).cluster("4-7", 16)
                .cache(2, "Unified", "1280K", "0-1").cache(2, "Unified", "1280K", "2-3")
                .cache(2, "Unified", "2048K", "4-7").cache(3, "Unified", "12288K", "0-7");
        MainTest.Result r = run("topology", "--root", root.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("package 0 > NUMA node 0 > L3 12 MiB  cpus 0-7\n"
                + "  core 0  cpus 0,1  SMT\n"
                + "  core 1  cpus 2,3  SMT\n"
                + "  cluster 2 L2 2 MiB  cpus 4-7\n"
                + "    core 2  cpus 4\n");
        MainTest.Result json = run("topology", "--json", "--root", root.toString());
        assertThat(json.out()).contains("\"clusters\": [\"4-7\"]");
    }

    @Test
    void amdComputeUnitsShowAsClusters() {
        FakeSysfs fake = FakeSysfs.at(root).cpus("0-3").core("0-1").core("2-3").pkg("0-3", 0)
                .cache(2, "Unified", "2048K", "0-1").cache(2, "Unified", "2048K", "2-3")
                .cache(3, "Unified", "8192K", "0-3");
        for (int cpu = 0; cpu < 4; cpu++) {
            fake.file("sys/devices/system/cpu/cpu" + cpu + "/topology/core_id", Integer.toString(cpu));
        }
        MainTest.Result r = run("topology", "--root", root.toString());
        assertThat(r.out()).startsWith("package 0 > NUMA node 0 > L3 8 MiB  cpus 0-3\n"
                + "  cluster 0 L2 2 MiB  cpus 0-1\n    core 0  cpus 0\n    core 1  cpus 1\n"
                + "  cluster 1 L2 2 MiB  cpus 2-3\n");
    }
}
