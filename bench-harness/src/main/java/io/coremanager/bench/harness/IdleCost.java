package io.coremanager.bench.harness;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.IdleStrategy;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

/**
 * What an idle manager costs: the process's CPU time over a period with the manager built and
 * idle, minus the same period without it, per lane, as a share of one CPU.
 */
public final class IdleCost {

    private IdleCost() {
    }

    /**
     * The idle cost of a manager of {@code cpus} with {@code idle}, in percent of one CPU per lane.
     * Takes about twice {@code millis}: once without the manager, once with it.
     *
     * @param cpus the CPUs of the manager's lanes
     * @param idle what the lanes do when they run out of work
     * @param millis how long each of the two periods lasts, in milliseconds
     * @return the extra CPU time per lane, in percent of one CPU (0 if the manager cost nothing)
     * @throws InterruptedException if interrupted while waiting out a period
     */
    public static double percentPerLane(CpuSet cpus, IdleStrategy idle, long millis) throws InterruptedException {
        double baseline = cpuNanosOver(millis);
        try (CoreManager cores = Contenders.manager(cpus, idle)) {
            cores.submitToAll(() -> null).forEach(java.util.concurrent.CompletableFuture::join);
            // Let spinThenPark finish its spin before the clock starts: we measure idle, not wind-down.
            TimeUnit.MILLISECONDS.sleep(50);
            double withManager = cpuNanosOver(millis);
            return Math.max(0, withManager - baseline) * 100.0 / (millis * 1e6) / cpus.size();
        }
    }

    private static double cpuNanosOver(long millis) throws InterruptedException {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long before = os.getProcessCpuTime();
        TimeUnit.MILLISECONDS.sleep(millis);
        return os.getProcessCpuTime() - before;
    }
}
