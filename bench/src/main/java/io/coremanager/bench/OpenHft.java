package io.coremanager.bench;

import io.coremanager.bench.harness.Contender;
import io.coremanager.bench.harness.Contenders;
import net.openhft.affinity.AffinityLock;

import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

/**
 * OpenHFT Java-Thread-Affinity as its users run it: a single-thread executor whose thread holds an
 * {@code AffinityLock} on the target CPU (its lock files and JNA calls included).
 */
final class OpenHft {

    static final String NAME = "openhft-affinity";

    private OpenHft() {
    }

    static Contender create(int cpu) {
        ThreadFactory factory = task -> Thread.ofPlatform().name("openhft-" + cpu).daemon(true).unstarted(() -> {
            try (AffinityLock lock = AffinityLock.acquireLock(cpu)) {
                task.run();
            }
        });
        return Contenders.executorContender(NAME, Executors.newSingleThreadExecutor(factory));
    }

    /** Any contender by name, OpenHFT included. */
    static Contender contender(String name, int cpu) {
        return NAME.equals(name) ? create(cpu) : Contenders.create(name, cpu);
    }
}
