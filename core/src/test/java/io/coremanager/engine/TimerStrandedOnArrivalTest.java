package io.coremanager.engine;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import static io.coremanager.engine.EngineTesting.closeWithin30s;
import static io.coremanager.engine.EngineTesting.cpu;
import static io.coremanager.engine.EngineTesting.group;
import static io.coremanager.engine.EngineTesting.inject;
import static io.coremanager.engine.EngineTesting.reports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The case b09b4f5 left: a timer polled from the queue is out of the queue and not yet in the heap
 * while LaneTimers.arrive purges (0098c26: a walk of the heap, retiring timers, an allocation) and
 * grows the heap. An Error there left it counted live and registered but nowhere: its future never
 * completed and the lane could never leave.
 */
class TimerStrandedOnArrivalTest {

    @AfterEach
    void noFaults() {
        EngineTesting.noFaults();
    }

    @Test
    void anErrorAsATimerArrivesFailsItsFutureAndTheLaneStillCloses() throws Exception {
        Lanes group = group(reports());
        int cpu = cpu();
        OutOfMemoryError error = new OutOfMemoryError("injected as the timer goes into the heap");
        inject(Faults.Point.TIMER_ARRIVING, 1, error);
        ScheduledFuture<String> f = group.scheduler(cpu).schedule(() -> "ran", 1, TimeUnit.MILLISECONDS);
        assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).hasCause(error);
        ScheduledFuture<String> later = group.scheduler(cpu).schedule(() -> "ran", 1, TimeUnit.MILLISECONDS);
        assertThat(later.get(30, TimeUnit.SECONDS)).as("the lane goes on").isEqualTo("ran");
        closeWithin30s(group);
    }
}
