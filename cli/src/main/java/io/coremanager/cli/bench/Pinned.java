package io.coremanager.cli.bench;

import io.coremanager.affinity.Affinity;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadFactory;

/** Platform threads pinned to a CPU: the callers and the pinned contenders of the benchmarks. */
public final class Pinned {

    private Pinned() {
    }

    /** Runs {@code body} on a new platform thread pinned to {@code cpu} and returns its result. */
    public static <T> T call(int cpu, Callable<T> body) throws Exception {
        FutureTask<T> task = new FutureTask<>(() -> {
            pin(cpu);
            return body.call();
        });
        Thread thread = Thread.ofPlatform().name("bench-caller-" + cpu).start(task);
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw (Error) e.getCause();
        } finally {
            thread.join();
        }
    }

    /** A factory of daemon threads that pin themselves to {@code cpu} before running. */
    public static ThreadFactory factory(int cpu, String name) {
        return task -> Thread.ofPlatform().name(name).daemon(true).unstarted(() -> {
            pin(cpu);
            task.run();
        });
    }

    /** Pins the calling thread where the platform allows; benchmarks still run (unpinned) elsewhere. */
    public static void pin(int cpu) {
        if (Affinity.isSupported()) {
            Affinity.pin(cpu);
        }
    }
}
