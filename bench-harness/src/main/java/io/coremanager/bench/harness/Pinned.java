package io.coremanager.bench.harness;

import io.coremanager.affinity.Affinity;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadFactory;

/** Platform threads pinned to a CPU: the callers and the pinned contenders of the benchmarks. */
public final class Pinned {

    private Pinned() {
    }

    /**
     * Runs {@code body} on a new platform thread pinned to {@code cpu} and returns its result.
     *
     * @param <T> the result's type
     * @param cpu the CPU to pin the thread to
     * @param body what the thread runs
     * @return what {@code body} returned
     * @throws Exception what {@code body} threw, or an interruption while waiting for it
     */
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

    /**
     * A factory of daemon threads that pin themselves to {@code cpu} before running.
     *
     * @param cpu the CPU each thread pins itself to
     * @param name the name of each thread
     * @return the factory; its threads are unstarted
     */
    public static ThreadFactory factory(int cpu, String name) {
        return task -> Thread.ofPlatform().name(name).daemon(true).unstarted(() -> {
            pin(cpu);
            task.run();
        });
    }

    /**
     * Pins the calling thread where the platform allows; benchmarks still run (unpinned) elsewhere.
     *
     * @param cpu the CPU to pin the calling thread to
     */
    public static void pin(int cpu) {
        if (Affinity.isSupported()) {
            Affinity.pin(cpu);
        }
    }
}
