package io.coremanager.testing;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import io.coremanager.topology.CpuTopology;

/** Run inside a cgroup cpuset that leaves out cpu {@code args[0]}: prints what each layer says of it. */
public final class NotAllowedProbe {

    private NotAllowedProbe() {
    }

    public static void main(String[] args) throws Exception {
        int cpu = Integer.parseInt(args[0]);
        System.out.println("topology allowed: " + CpuTopology.current().allowedCpus());
        try {
            Affinity.pin(cpu);
            System.out.println("pin: succeeded");
        } catch (RuntimeException e) {
            System.out.println("pin: " + e.getMessage());
        }
        try {
            CoreManager.builder().cpus(CpuSet.of(cpu)).build().close();
            System.out.println("manager: built");
        } catch (IllegalArgumentException e) {
            System.out.println("manager: " + e.getMessage());
        }
        // A topology that believes the cpu is allowed (read before the cgroup changed, say): the
        // kernel refuses at pin time, and the manager must say so rather than pretend.
        java.nio.file.Path root = java.nio.file.Files.createTempDirectory("probe-sysfs");
        CpuTopology stale = CpuTopology.read(FakeSysfs.machine(root, 1, cpu + 1, 1).root());
        try (CoreManager cores = CoreManager.builder().topology(stale).cpus(CpuSet.of(cpu)).build()) {
            System.out.println("unpinned lane: pinned=" + cores.pinnedNow(cpu) + " answer="
                    + cores.submit(cpu, () -> 42).get() + " problem=" + cores.stats(cpu).pinProblem());
        }
        try {
            CoreManager.builder().topology(stale).cpus(CpuSet.of(cpu)).requirePinning(true).build().close();
            System.out.println("strict: built");
        } catch (IllegalStateException e) {
            System.out.println("strict: " + e.getMessage());
        }
    }
}
