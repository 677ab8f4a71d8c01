package io.coremanager.testing;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import io.coremanager.topology.CpuTopology;

/** Run inside a cgroup cpuset that leaves out cpu {@code args[0]}: prints what each layer says of it. */
public final class NotAllowedProbe {

    private NotAllowedProbe() {
    }

    public static void main(String[] args) {
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
    }
}
