package coremanager.app;

import io.coremanager.CoreAffineThreads;
import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import io.coremanager.topology.CpuTopology;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Prints one line per check, "name: value", for ModulePathTest to read: where submit and go ran,
 * whether go made a real virtual thread, the topology, and the module CoreManager was loaded as.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("module: " + CoreManager.class.getModule().getName()
                + " named=" + CoreManager.class.getModule().isNamed());
        System.out.println("app module: " + Main.class.getModule().getName());
        System.out.println("affinity supported: " + Affinity.isSupported()
                + Affinity.unsupportedReason().map(r -> " (" + r + ")").orElse(""));
        System.out.println("core-affine threads supported: " + CoreAffineThreads.isSupported()
                + CoreAffineThreads.unsupportedReason().map(r -> " (" + r + ")").orElse(""));

        CpuTopology topology = CpuTopology.current();
        System.out.println("topology usable: " + topology.usableCpus());
        System.out.println("topology summary: " + topology.summary().lines().findFirst().orElse(""));

        try (CoreManager cores = CoreManager.builder().requireCoreAffineVirtualThreads(true).build()) {
            CpuSet cpus = cores.cpus();
            for (int cpu : cpus.toArray()) {
                int ranOn = cores.submit(cpu, CoreManager::currentCpu).join();
                System.out.println("submit " + cpu + ": ran on " + ranOn);

                AtomicReference<String> seen = new AtomicReference<>();
                Thread t = cores.go(cpu, () -> {
                    int before = CoreManager.currentCpu();
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    Thread.yield();
                    seen.set("virtual=" + Thread.currentThread().isVirtual() + " ran on " + before + ","
                            + CoreManager.currentCpu());
                });
                t.join();
                System.out.println("go " + cpu + ": " + seen.get() + " expected " + cpu + "," + cpu);
            }
            System.out.println("cpus: " + cpus);
        }
        System.out.println("done");
    }
}
