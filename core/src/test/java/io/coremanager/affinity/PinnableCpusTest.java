package io.coremanager.affinity;

import io.coremanager.CpuSet;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The explanations a refusal carries, on machines this one cannot pretend to be. */
class PinnableCpusTest {

    private final PinnableCpus machine = PinnableCpus.of(
            CpuSet.parse("0-15"), CpuSet.parse("0-13"), CpuSet.parse("0-7"), "sys/fs/cgroup/app/cpuset.cpus.effective");

    @Test
    void aCpuOutsideTheCpusetIsNamedWithTheCgroup() {
        assertThat(machine.explain(CpuSet.of(9), "?"))
                .isEqualTo("cpus 9 exist but are not allowed for this process (cgroup sys/fs/cgroup/app/cpuset.cpus.effective)");
    }

    @Test
    void eachKindOfRefusalIsNamed() {
        assertThat(machine.explain(CpuSet.parse("3,9,14,20-21"), "?"))
                .isEqualTo("cpus 20-21 do not exist on this machine (possible cpus: 0-15); cpus 14 are offline; "
                        + "cpus 9 exist but are not allowed for this process (cgroup sys/fs/cgroup/app/cpuset.cpus.effective)");
    }

    @Test
    void theFallbackIsUsedWhenNothingCanBeNamed() {
        assertThat(machine.explain(CpuSet.of(3), "the kernel refused")).isEqualTo("the kernel refused");
    }
}
