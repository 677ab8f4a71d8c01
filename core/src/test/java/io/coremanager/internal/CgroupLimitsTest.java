package io.coremanager.internal;

import io.coremanager.CpuSet;
import io.coremanager.testing.FakeSysfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class CgroupLimitsTest {

    @TempDir
    Path root;

    @Test
    void nothingKnownWithoutProcFiles() {
        CgroupLimits limits = CgroupLimits.read(root);
        assertThat(limits.cpuset()).isNull();
        assertThat(limits.hasQuota()).isFalse();
        assertThat(limits.warnings()).isEmpty();
    }

    @Test
    void v2InAContainerWhoseMountShowsItsOwnSubtree() {
        // The container sees its cgroup as the root of the cgroup2 mount: "0::/" and mount root "/".
        FakeSysfs.at(root).file("proc/self/cgroup", "0::/")
                .file("proc/self/mountinfo", "1 0 0:1 / / rw - overlay overlay rw\n"
                        + "40 1 0:30 / /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw")
                .file("sys/fs/cgroup/cpuset.cpus.effective", "4-7")
                .file("sys/fs/cgroup/cpu.max", "200000 100000");
        CgroupLimits limits = CgroupLimits.read(root);
        assertThat(limits.cpuset()).isEqualTo(CpuSet.parse("4-7"));
        assertThat(limits.quotaCpus()).isEqualTo(2.0);
        assertThat(limits.source()).isEqualTo("sys/fs/cgroup/cpuset.cpus.effective");
    }

    @Test
    void v2PathUnderAMountRootThatIsASubtree() {
        FakeSysfs.at(root).file("proc/self/cgroup", "0::/kubepods/pod1/c1")
                .file("proc/self/mountinfo", "40 1 0:30 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup rw")
                .file("sys/fs/cgroup/c1/cpuset.cpus.effective", "1")
                .file("sys/fs/cgroup/cpuset.cpus.effective", "0-3");
        assertThat(CgroupLimits.read(root).cpuset()).isEqualTo(CpuSet.of(1));
    }

    @Test
    void hybridHierarchyTakesTheV1CpusetWhenTheUnifiedTreeHasNoCpusetController() {
        // Like this project's CI machines: cgroup2 mounted at unified/, controllers on v1.
        FakeSysfs.at(root).file("proc/self/cgroup", "3:cpuset:/\n1:cpu:/\n0::/")
                .file("proc/self/mountinfo", String.join("\n",
                        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
                        "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset",
                        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw"))
                .dir("sys/fs/cgroup/unified")
                .file("sys/fs/cgroup/cpuset/cpuset.cpus", "0-1")
                .file("sys/fs/cgroup/cpuset/cpuset.effective_cpus", "0-1")
                .file("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1")
                .file("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000");
        CgroupLimits limits = CgroupLimits.read(root);
        assertThat(limits.cpuset()).isEqualTo(CpuSet.parse("0-1"));
        assertThat(limits.hasQuota()).isFalse();
    }

    @Test
    void theTightestQuotaAlongThePathApplies() {
        FakeSysfs.at(root).file("proc/self/cgroup", "0::/a/b")
                .file("proc/self/mountinfo", "40 1 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup rw")
                .file("sys/fs/cgroup/a/b/cpu.max", "400000 100000")
                .file("sys/fs/cgroup/a/cpu.max", "50000 100000")
                .file("sys/fs/cgroup/cpu.max", "max 100000");
        assertThat(CgroupLimits.read(root).quotaCpus()).isEqualTo(0.5);
    }

    @Test
    void aMalformedQuotaIsAWarning() {
        FakeSysfs.at(root).file("proc/self/cgroup", "0::/")
                .file("proc/self/mountinfo", "40 1 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup rw")
                .file("sys/fs/cgroup/cpu.max", "lots");
        CgroupLimits limits = CgroupLimits.read(root);
        assertThat(limits.hasQuota()).isFalse();
        assertThat(limits.warnings()).singleElement().asString()
                .contains("sys/fs/cgroup/cpu.max").contains("\"lots\"").contains("expected: \"QUOTA PERIOD\"");
    }

    @Test
    void escapedMountPoints() {
        FakeSysfs.at(root).file("proc/self/cgroup", "0::/")
                .file("proc/self/mountinfo", "40 1 0:30 / /odd\\040place rw - cgroup2 cgroup rw")
                .file("odd place/cpuset.cpus.effective", "2");
        assertThat(CgroupLimits.read(root).cpuset()).isEqualTo(CpuSet.of(2));
    }

    @Test
    void thisMachineReadsWithoutWarnings() {
        CgroupLimits limits = CgroupLimits.read(Path.of("/"));
        assertThat(limits.warnings()).isEmpty();
    }
}
