package io.coremanager.engine;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Helpers for the engine's package-private tests: a group on one CPU, fault injection, waiting. */
final class EngineTesting {

    private EngineTesting() {
    }

    /** The CPU the engine tests use: the last one this process may use. */
    static int cpu() {
        return Affinity.isSupported() ? Affinity.get().last() : 0;
    }

    /** A group of one lane on {@link #cpu()}, parking when idle, failures collected into {@code reported}. */
    static Lanes group(List<Throwable> reported) {
        return Lanes.start(new Lanes.Config(CpuSet.of(cpu()), "engine-test-", 20_000, Affinity.isSupported(), true,
                (t, e) -> reported.add(e), 0, 0, false));
    }

    static List<Throwable> reports() {
        return new CopyOnWriteArrayList<>();
    }

    /** Waits up to 30 s for {@code condition}, failing with {@code what} if it never holds. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(1);
        }
    }

    /** Injects {@code error} at {@code point} the next {@code times} times it is reached. */
    static void inject(Faults.Point point, int times, Error error) {
        int[] left = {times};
        Faults.install(p -> {
            if (p == point) {
                synchronized (left) {
                    if (left[0] > 0) {
                        left[0]--;
                        throw error;
                    }
                }
            }
        });
    }

    /**
     * The next carrier-loop step throws (an {@code OutOfMemoryError}) and the replacement carrier
     * cannot be created: the lane whose carrier takes that step fails closed.
     */
    static void failTheLaneClosedAtItsNextStep() {
        Faults.install(p -> {
            if (p == Faults.Point.CARRIER_LOOP) {
                Faults.install(q -> {
                    if (q == Faults.Point.CARRIER_START) {
                        throw new OutOfMemoryError("unable to create native thread: injected");
                    }
                });
                throw new OutOfMemoryError("injected in the loop");
            }
        });
    }

    static void noFaults() {
        Faults.install(null);
    }

    /** Closes {@code group}, failing if it does not terminate within 30 s. */
    static void closeWithin30s(Lanes group) throws InterruptedException {
        group.shutdown();
        if (!group.awaitTermination(TimeUnit.SECONDS.toNanos(30))) {
            throw new AssertionError("the group did not terminate: " + group);
        }
    }
}
