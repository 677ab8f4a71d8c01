package io.coremanager.engine;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.coremanager.engine.EngineTesting.cpu;
import static io.coremanager.engine.EngineTesting.group;
import static io.coremanager.engine.EngineTesting.reports;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * b09b4f5: LaneTimer.failStranded claims the timer, then sets the exception whether or not its own
 * claim won. A shutdownNow that claimed the timer (NEW to HANDED_BACK) but has not yet cancelled its
 * future leaves the future NEW: failStranded's setException then succeeds, and shutdownNow still lists
 * the timer as handed back. The caller gets both a hand-back and a failure.
 */
class StrandedTimerHandedBackIsNotAlsoFailedTest {

    @AfterEach
    void noFaults() {
        EngineTesting.noFaults();
    }

    @Test
    void aTimerThatShutdownNowHandsBackIsNotAlsoFailedByTheCarriersError() throws Exception {
        int rounds = Integer.getInteger("stranded.rounds", 200);
        int both = 0;
        for (int round = 0; round < rounds; round++) {
            Lanes group = group(reports());
            int cpu = cpu();
            AtomicReference<LaneTimer<?>> timer = new AtomicReference<>();
            CountDownLatch inHand = new CountDownLatch(1);
            OutOfMemoryError error = new OutOfMemoryError("injected with a due timer in hand");
            Faults.install(p -> {
                if (p == Faults.Point.TIMER_POLLED) {
                    Faults.install(null);
                    inHand.countDown();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    LaneTimer<?> t;
                    while (((t = timer.get()) == null || t.waiting()) && System.nanoTime() - deadline < 0) {
                        Thread.onSpinWait(); // until shutdownNow claimed it
                    }
                    throw error;
                }
            });
            ScheduledFuture<String> f = group.scheduler(cpu).schedule(() -> "ran", 1, TimeUnit.MILLISECONDS);
            timer.set((LaneTimer<?>) f);
            assertThat(inHand.await(30, TimeUnit.SECONDS)).isTrue();
            List<Runnable> handedBack = group.shutdownNow();
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (Exception expected) {
                // cancelled (handed back) or failed
            }
            if (handedBack.contains(f) && f.state() == Future.State.FAILED) {
                both++;
            }
            assertThat(group.awaitTermination(TimeUnit.SECONDS.toNanos(30))).isTrue();
        }
        assertThat(both).as("rounds (of %d) where shutdownNow handed the timer back and its future failed too", rounds)
                .isZero();
    }
}
