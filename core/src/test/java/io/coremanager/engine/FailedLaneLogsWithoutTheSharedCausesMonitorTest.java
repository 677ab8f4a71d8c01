package io.coremanager.engine;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import static io.coremanager.engine.EngineTesting.await;
import static io.coremanager.engine.EngineTesting.cpu;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * 16a32c5 keeps the failure's cause apart so that refusals need no monitor of the shared failure. But
 * that cause is itself shared (every refusal carries it, so lane code can print it or call its
 * synchronized methods), and with no handler (the default) the carrier logs it after the lane failed
 * closed: the logger's printStackTrace takes the cause's monitor (Throwable.getOurStackTrace is
 * synchronized). Holding that monitor stands for a lane virtual thread that holds it (printing a
 * refusal) and unmounted: the carrier must not need it.
 */
class FailedLaneLogsWithoutTheSharedCausesMonitorTest {

    @AfterEach
    void noFaults() {
        EngineTesting.noFaults();
    }

    @Disabled("reproduces 1/1 (carrier BLOCKED in Throwable.getOurStackTrace under Lane.failClosed -> report -> JUL"
            + " SimpleFormatter): the fix is a design choice (log a failure off the carrier, or report a copy that shares"
            + " no Throwable with refusals), not a one-liner")
    @Test
    void theCarrierOfAFailedLaneDoesNotTakeTheSharedCausesMonitorWhenItLogs() throws Exception {
        int cpu = cpu();
        Lanes group = Lanes.start(new Lanes.Config(CpuSet.of(cpu), "engine-test-", 20_000, Affinity.isSupported(), true,
                null, 0, 0, false)); // no handler: failures are logged, the default
        OutOfMemoryError loopError = new OutOfMemoryError("injected in the loop");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            synchronized (loopError) { // what a lane thread printing a refusal's cause would hold
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
            Faults.install(p -> {
                if (p == Faults.Point.CARRIER_LOOP) {
                    Faults.install(q -> {
                        if (q == Faults.Point.CARRIER_START) {
                            throw new OutOfMemoryError("unable to create native thread: injected");
                        }
                    });
                    throw loopError;
                }
            });
            group.submit(cpu, () -> "wakes the carrier into the fault");
            await("the lane fails closed", () -> group.lane(cpu).failure() != null);
            EngineTesting.noFaults();
            assertThatThrownBy(() -> group.submit(cpu, () -> "refused")).isInstanceOf(RejectedExecutionException.class)
                    .hasCause(loopError); // the refusal hands out the shared cause
            group.shutdown();
            boolean terminated = group.awaitTermination(TimeUnit.SECONDS.toNanos(20));
            Thread carrier = group.lane(cpu).carrier().thread();
            StringBuilder stack = new StringBuilder();
            if (carrier != null) {
                stack.append(carrier.getState());
                for (StackTraceElement e : carrier.getStackTrace()) {
                    stack.append("\n  at ").append(e);
                }
            }
            assertThat(terminated).as("the failed lane left while another thread held its cause's monitor; carrier: %s", stack)
                    .isTrue();
        } finally {
            release.countDown();
            holder.join();
        }
        assertThat(group.awaitTermination(TimeUnit.SECONDS.toNanos(30))).isTrue();
    }
}
