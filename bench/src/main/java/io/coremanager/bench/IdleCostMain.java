package io.coremanager.bench;

import io.coremanager.CpuSet;
import io.coremanager.IdleStrategy;
import io.coremanager.bench.harness.IdleCost;

import java.util.List;

/**
 * 5. Idle cost: CPU time used by an idle manager of every usable CPU, per lane, for each idle
 * strategy. {@code java -cp benchmarks.jar io.coremanager.bench.IdleCostMain [millis]}.
 */
public final class IdleCostMain {

    private IdleCostMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        long millis = args.length > 0 ? Long.parseLong(args[0]) : 5_000;
        CpuSet cpus = BenchCpus.usable();
        System.out.printf("idle cost of a manager of %d lanes (%s), over %d ms, per lane in %% of one CPU%n",
                cpus.size(), cpus, millis);
        for (IdleStrategy idle : List.of(IdleStrategy.park(), IdleStrategy.spinThenPark(), IdleStrategy.busySpin())) {
            System.out.printf("%-20s %7.3f %%%n", idle, IdleCost.percentPerLane(cpus, idle, millis));
        }
    }
}
