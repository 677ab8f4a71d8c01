package io.coremanager.affinity;

import io.coremanager.CpuSet;
import io.coremanager.testing.NotAllowedProbe;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A CPU that exists but that the process's cgroup cpuset leaves out: a child JVM runs in a cgroup
 * v1 cpuset made for the test. Skipped where the test cannot make one (not root, no v1 cpuset
 * hierarchy, a single CPU).
 */
class CgroupRestrictedTest {

    private static final Path CPUSET_V1 = Path.of("/sys/fs/cgroup/cpuset");

    @Test
    void aCpuOutsideTheCgroupCpusetIsNamedAsNotAllowed() throws Exception {
        assumeTrue(Affinity.isSupported());
        assumeTrue(Files.isWritable(CPUSET_V1.resolve("cgroup.procs")), "no writable cgroup v1 cpuset hierarchy");
        CpuSet all = CpuSet.parse(Files.readString(CPUSET_V1.resolve("cpuset.effective_cpus")));
        assumeTrue(all.size() >= 2, "needs two cpus");
        int allowed = all.first();
        int excluded = all.next(allowed);
        Path group = CPUSET_V1.resolve("coremanager-test-" + ProcessHandle.current().pid());
        try {
            Files.createDirectory(group);
            Files.writeString(group.resolve("cpuset.cpus"), Integer.toString(allowed));
            Files.writeString(group.resolve("cpuset.mems"), Files.readString(CPUSET_V1.resolve("cpuset.effective_mems")).strip());
        } catch (IOException e) {
            assumeTrue(false, "cannot make a cpuset cgroup here: " + e);
        }
        try {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String script = "echo $$ > " + group.resolve("cgroup.procs") + " && exec " + java
                    + " --enable-native-access=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED -cp "
                    + System.getProperty("java.class.path") + " " + NotAllowedProbe.class.getName() + " " + excluded;
            Process child = new ProcessBuilder(List.of("/bin/sh", "-c", script)).redirectErrorStream(true).start();
            String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String source = "sys/fs/cgroup/cpuset/" + group.getFileName() + "/cpuset.effective_cpus";
            assertThat(output).contains("topology allowed: " + allowed);
            assertThat(output).contains("pin: sched_setaffinity(calling thread, cpus " + excluded + ") failed: EINVAL: cpus "
                    + excluded + " exist but are not allowed for this process (cgroup " + source + "); allowed cpus: " + allowed);
            assertThat(output).contains("manager: cpus " + excluded + " cannot be managed: cpus " + excluded
                    + " exist but are not allowed for this process (allowed cpus: " + allowed);
            assertThat(output).contains("unpinned lane: pinned=false answer=42 problem=sched_setaffinity(calling thread, cpus "
                    + excluded + ") failed: EINVAL: cpus " + excluded + " exist but are not allowed");
            assertThat(output).contains("lanes run unpinned (stats() shows which): cpu " + excluded);
            assertThat(output).contains("strict: cannot pin the lanes (requirePinning is set): cpu " + excluded);
        } finally {
            Files.deleteIfExists(group);
        }
    }
}
