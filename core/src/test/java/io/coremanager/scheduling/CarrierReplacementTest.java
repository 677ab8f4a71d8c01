package io.coremanager.scheduling;

import io.coremanager.testing.ProcWitness;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** When the carrier's own loop fails (not a task: those are caught), a new carrier takes over, pinned. */
class CarrierReplacementTest {

    @Test
    void aFailingLoopIsReplacedByANewPinnedCarrierAndTheQueueGoesOn() throws Exception {
        List<Throwable> reported = new CopyOnWriteArrayList<>();
        CountDownLatch terminated = new CountDownLatch(1);
        int[] state = {Lane.RUNNING};
        Lane.Control control = new Lane.Control() {
            @Override
            public int state() {
                return state[0];
            }

            @Override
            public void laneTerminated(Lane lane) {
                terminated.countDown();
            }

            @Override
            public void report(Lane lane, Thread thread, Throwable failure) {
                reported.add(failure);
            }

            @Override
            public void warnOnce(String key, String message) {
            }
        };
        int cpu = io.coremanager.affinity.Affinity.get().last();
        Lane lane = new Lane(cpu, "replacement-test-" + cpu, control, 20_000, true, true, null, 0);
        lane.start();
        Thread first = lane.carrier();
        // A continuation that throws escapes the carrier's task handling: the loop itself fails.
        lane.execute(() -> {
            throw new IllegalStateException("a broken continuation");
        });
        CompletableFuture<Integer> after = new CompletableFuture<>();
        SubmittedTask<Integer> task = lane.submitted(() -> {
            after.complete(ProcWitness.available() ? ProcWitness.processor() : cpu);
            return 1;
        }, this);
        assertThat(lane.offer(task)).isTrue();
        assertThat(task.get(30, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(after.get()).isEqualTo(cpu);
        assertThat(lane.carrier()).isNotSameAs(first);
        assertThat(lane.carrierReplacements()).isEqualTo(1);
        assertThat(lane.pinnedNow()).isTrue();
        assertThat(reported).singleElement().satisfies(t -> assertThat(t).hasMessage("a broken continuation"));
        first.join(30_000);
        assertThat(first.isAlive()).isFalse();
        state[0] = Lane.SHUTDOWN;
        lane.wakeIfParked();
        assertThat(terminated.await(30, TimeUnit.SECONDS)).isTrue();
    }
}
