package io.coremanager;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** What the lane-socket tests share: a loopback address and bounded waits for a condition. */
final class LaneIoTesting {

    /** Loopback, any free port. */
    static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

    private LaneIoTesting() {
    }

    /** Waits (bounded) until {@code thread} is parked: a virtual thread parked in a lane socket is WAITING. */
    static void awaitParked(Thread thread, String where) throws InterruptedException {
        await("the thread parks in " + where, () -> thread.getState() == Thread.State.WAITING);
    }

    /** Polls {@code condition} until it holds, failing after 30 s with {@code what}. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(1); // polling a condition with a deadline, not a sleep in place of a wait
        }
    }
}
