package io.coremanager;

import io.coremanager.testing.FakeSysfs;
import io.coremanager.topology.CpuTopology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The cgroup CPU quota sizes the default placement (issue 14), on fake cgroup v1 and v2 trees. */
class CpuQuotaSizingTest {

    @TempDir
    Path temp;
    private int trees;

    /** A fresh tree for each machine: the v2 mountinfo would shadow a later v1 proc/mounts. */
    private Path fresh() {
        return temp.resolve("tree" + trees++);
    }

    /** {@code packages} x {@code cores} CPUs without SMT, under a cgroup v2 {@code cpu.max}. */
    private CpuTopology v2(int packages, int cores, String cpuMax) {
        Path root = fresh();
        FakeSysfs.machine(root, packages, cores, 1)
                .file("proc/self/cgroup", "0::/app.slice/web.service")
                .file("proc/self/mountinfo", "30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate")
                .file("sys/fs/cgroup/app.slice/web.service/cpu.max", cpuMax);
        return CpuTopology.read(root);
    }

    private CpuTopology v1(String quotaUs, String periodUs) {
        Path root = fresh();
        FakeSysfs.machine(root, 1, 8, 1)
                .file("proc/self/cgroup", "4:cpu,cpuacct:/docker/abc\n1:name=systemd:/\n")
                .file("proc/mounts", "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0\n")
                .file("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", quotaUs)
                .file("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", periodUs);
        return CpuTopology.read(root);
    }

    private static CpuChoice.Choice byDefault(CpuTopology t, boolean sizeByQuota) {
        return CpuChoice.chooseForLanes(t, null, Placement.allUsable(), false, sizeByQuota);
    }

    @Test
    void v2QuotaOfTwoOnEightCpusManagesTwoLanesSpreadApart() {
        CpuTopology t = v2(2, 4, "200000 100000"); // packages 0-3 and 4-7
        CpuChoice.Choice choice = byDefault(t, true);
        assertThat(choice.cpus()).as("one lane per package: spread").isEqualTo(CpuSet.of(0, 4));
        CpuQuotaDecision d = choice.quota();
        assertThat(d.outcome()).isEqualTo(CpuQuotaDecision.Outcome.SIZED_TO_QUOTA);
        assertThat(d.lanes()).isEqualTo(2);
        assertThat(d.usableCpus()).isEqualTo(8);
        assertThat(d.throttlingLikely()).isFalse();
        assertThat(d.describe()).isEqualTo("cgroup cpu quota 2.00 cpus below the 8 usable cpus: 2 lanes placed by "
                + "spread (sizeByCpuQuota(false) takes all 8)");
        assertThat(CpuQuotaDecision.forDefaultPlacement(t)).isEqualTo(d);
    }

    @Test
    void v1FractionalQuotaRoundsUp() {
        CpuChoice.Choice choice = byDefault(v1("250000", "100000"), true);
        assertThat(choice.cpus().size()).isEqualTo(3);
        assertThat(choice.quota().quotaCpus()).isEqualTo(2.5);
        assertThat(choice.quota().outcome()).isEqualTo(CpuQuotaDecision.Outcome.SIZED_TO_QUOTA);
    }

    @Test
    void aQuotaBelowOneCpuStillGetsOneLane() {
        assertThat(byDefault(v1("20000", "100000"), true).cpus().size()).isEqualTo(1);
    }

    @Test
    void sizingOffTakesEveryUsableCpuAndSaysTheyWillBeThrottled() {
        CpuChoice.Choice choice = byDefault(v2(1, 8, "200000 100000"), false);
        assertThat(choice.cpus()).isEqualTo(CpuSet.range(0, 7));
        assertThat(choice.quota().outcome()).isEqualTo(CpuQuotaDecision.Outcome.SIZING_OFF);
        assertThat(choice.quota().throttlingLikely()).isTrue();
        assertThat(choice.quota().describe()).contains("8 lanes").contains("throttled together");
    }

    @Test
    void anExplicitPlacementIsKeptAndFlaggedAboveTheQuota() {
        CpuTopology t = v2(1, 8, "200000 100000");
        CpuChoice.Choice choice = CpuChoice.chooseForLanes(t, null, Placement.spread(4), false, true);
        assertThat(choice.cpus().size()).isEqualTo(4);
        assertThat(choice.quota().outcome()).isEqualTo(CpuQuotaDecision.Outcome.CHOSEN_ABOVE_QUOTA);
        assertThat(choice.quota().describe()).contains("at most 2 lanes");
        CpuChoice.Choice explicit = CpuChoice.chooseForLanes(t, CpuSet.of(1), Placement.allUsable(), false, true);
        assertThat(explicit.cpus()).isEqualTo(CpuSet.of(1));
        assertThat(explicit.quota().outcome()).isEqualTo(CpuQuotaDecision.Outcome.QUOTA_COVERS_LANES);
    }

    @Test
    void unlimitedOrGenerousQuotasChangeNothing() {
        CpuChoice.Choice max = byDefault(v2(1, 8, "max 100000"), true);
        assertThat(max.cpus()).isEqualTo(CpuSet.range(0, 7));
        assertThat(max.quota().outcome()).isEqualTo(CpuQuotaDecision.Outcome.NO_QUOTA);
        assertThat(max.quota().quota()).isEmpty();
        CpuChoice.Choice generous = byDefault(v1("1600000", "100000"), true);
        assertThat(generous.cpus()).isEqualTo(CpuSet.range(0, 7));
        assertThat(generous.quota().outcome()).isEqualTo(CpuQuotaDecision.Outcome.QUOTA_COVERS_LANES);
    }

    @Test
    void theBuiltManagerReportsItsDecision() {
        CpuTopology t = v1("50000", "100000");
        try (CoreManager cores = CoreManager.builder().topology(t).build()) {
            assertThat(cores.cpus().size()).isEqualTo(1);
            assertThat(cores.quotaDecision().outcome()).isEqualTo(CpuQuotaDecision.Outcome.SIZED_TO_QUOTA);
            assertThat(cores.quotaDecision().quotaCpus()).isEqualTo(0.5);
        }
    }

    @Test
    void aBadDecisionNamesTheBadValue() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> new CpuQuotaDecision(-1, 4, 4, CpuQuotaDecision.Outcome.NO_QUOTA))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("quotaCpus: -1.0");
    }
}
