package io.coremanager.integration;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.coremanager.PinnedThreadFactory;
import io.coremanager.affinity.Affinity;
import io.coremanager.testing.ProcWitness;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** An LMAX Disruptor whose event handlers run on pinned threads: every event is seen on the handler's CPU. */
class DisruptorPinnedTest {

    /** The ring's slot. */
    static final class Event {
        long value;
    }

    @Test
    void eventHandlersRunOnTheirPinnedCpus() throws Exception {
        assumeTrue(Affinity.isSupported() && ProcWitness.available());
        PinnedThreadFactory pinned = PinnedThreadFactory.builder().namePrefix("disruptor-").daemon(true).build();
        ConcurrentLinkedQueue<String> offCpu = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        int events = 10_000;
        CountDownLatch handled = new CountDownLatch(events * 2);
        Disruptor<Event> disruptor = new Disruptor<>(Event::new, 1024, pinned, ProducerType.SINGLE, new BusySpinWaitStrategy());
        disruptor.handleEventsWith((event, sequence, endOfBatch) -> {
            if (sequence % 100 == 0) {
                NettyPinnedEventLoopTest.check(offCpu, seen);
            }
            handled.countDown();
        }, (event, sequence, endOfBatch) -> {
            if (sequence % 100 == 0) {
                NettyPinnedEventLoopTest.check(offCpu, seen);
            }
            handled.countDown();
        });
        RingBuffer<Event> ring = disruptor.start();
        for (long i = 0; i < events; i++) {
            long value = i;
            ring.publishEvent((event, sequence) -> event.value = value);
        }
        assertThat(handled.await(60, TimeUnit.SECONDS)).isTrue();
        disruptor.halt();
        assertThat(seen).isNotEmpty().allSatisfy(name -> assertThat(name).startsWith("disruptor-"));
        assertThat(seen.stream().distinct().count()).as("two handler threads").isEqualTo(2);
        assertThat(offCpu).isEmpty();
    }
}
