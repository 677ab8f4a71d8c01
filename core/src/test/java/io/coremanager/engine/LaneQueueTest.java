package io.coremanager.engine;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** The lane queue: order, chunk boundaries, closing, and concurrent take-back, single and multi producer. */
class LaneQueueTest {

    @Test
    void fifoAcrossChunkBoundaries() {
        LaneQueue q = new LaneQueue();
        int n = LaneQueue.CHUNK_SIZE * 3 + 7;
        for (int i = 0; i < n; i++) {
            assertThat(q.offer(i)).isTrue();
        }
        assertThat(q.size()).isEqualTo(n);
        for (int i = 0; i < n; i++) {
            assertThat(q.poll()).isEqualTo(i);
        }
        assertThat(q.poll()).isNull();
        assertThat(q.hasClaimed()).isFalse();
        assertThat(q.size()).isZero();
    }

    @Test
    void closesOnlyWhenEmptyAndThenRefuses() {
        LaneQueue q = new LaneQueue();
        q.offer("a");
        assertThat(q.closeIfEmpty()).isFalse();
        assertThat(q.poll()).isEqualTo("a");
        assertThat(q.closeIfEmpty()).isTrue();
        assertThat(q.isClosed()).isTrue();
        assertThat(q.offer("b")).isFalse();
        assertThat(q.poll()).isNull();
    }

    @Test
    void takeEachShowsEveryQueuedElementWithoutRemovingIt() {
        LaneQueue q = new LaneQueue();
        for (int i = 0; i < 2000; i++) {
            q.offer(i);
        }
        List<Object> seen = new ArrayList<>();
        q.takeEach(seen::add);
        assertThat(seen).hasSize(2000).as("takeEach only looks: the slots stay").isNotEmpty();
        List<Object> rest = new ArrayList<>();
        Object e;
        while ((e = q.poll()) != null) {
            rest.add(e);
        }
        assertThat(rest).hasSize(2000);
        assertThat(q.hasClaimed()).isFalse();
    }

    @Test
    void manyProducersOneConsumerAndARacingTakeBackLoseAndDuplicateNothing() throws Exception {
        int producers = 4;
        int perProducer = 200_000;
        LaneQueue q = new LaneQueue();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            long base = (long) p * perProducer;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException ex) {
                    throw new AssertionError(ex);
                }
                for (int i = 0; i < perProducer; i++) {
                    q.offer(new Item(base + i));
                }
            }));
        }
        Set<Object> consumed = new HashSet<>();
        List<Object> takenBack = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        Thread taker = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                q.takeEach(x -> {
                    Item item = (Item) x;
                    if (item.value % 7 == 0 && item.claimToHandBack()) {
                        takenBack.add(item.value);
                    }
                });
            }
        });
        long[] lastPerProducer = new long[producers];
        java.util.Arrays.fill(lastPerProducer, -1);
        start.countDown();
        long expected = (long) producers * perProducer;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (consumed.size() + takenBack.size() < expected && System.nanoTime() < deadline) {
            Object e = q.poll();
            if (e == null) {
                Thread.onSpinWait();
                continue;
            }
            Item item = (Item) e;
            int p = (int) (item.value / perProducer);
            assertThat(item.value).as("per-producer order").isGreaterThan(lastPerProducer[p]);
            lastPerProducer[p] = item.value;
            if (item.claimToRun()) {
                assertThat(consumed.add(item.value)).as("consumed once").isTrue();
            }
        }
        stop.set(true);
        taker.join();
        for (Thread t : threads) {
            t.join();
        }
        Object e;
        while ((e = q.poll()) != null) {
            if (((Item) e).claimToRun()) {
                assertThat(consumed.add(((Item) e).value)).isTrue();
            }
        }
        Set<Object> all = new HashSet<>(consumed);
        for (Object t : takenBack) {
            assertThat(all.add(t)).as("taken back and consumed: %s", t).isTrue();
        }
        assertThat(all).hasSize((int) expected);
        assertThat(takenBack).isNotEmpty();
    }

    @Test
    void anErrorBetweenClaimAndPublicationLeavesASkippedSlotNotAHole() {
        LaneQueue q = new LaneQueue();
        q.offer("before");
        EngineTesting.inject(Faults.Point.CLAIMED, 1, new StackOverflowError("injected"));
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> q.offer("lost")).isInstanceOf(StackOverflowError.class);
        } finally {
            EngineTesting.noFaults();
        }
        q.offer("after");
        assertThat(q.poll()).isEqualTo("before");
        assertThat(q.poll()).as("the skipped slot is passed over, not waited at").isEqualTo("after");
        assertThat(q.poll()).isNull();
        assertThat(q.hasClaimed()).isFalse();
        assertThat(q.closeIfEmpty()).isTrue();
    }

    @Test
    void manyProducersWithRandomErrorsAtTheClaimLoseOnlyWhatTheyWereToldWasRefused() throws Exception {
        int producers = 4;
        int perProducer = 50_000;
        LaneQueue q = new LaneQueue();
        java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();
        Faults.install(p -> {
            if (p == Faults.Point.CLAIMED && java.util.concurrent.ThreadLocalRandom.current().nextInt(100) == 0) {
                throw new OutOfMemoryError("injected");
            }
        });
        try {
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < perProducer; i++) {
                        try {
                            q.offer(i);
                        } catch (OutOfMemoryError e) {
                            refused.incrementAndGet();
                        }
                    }
                }));
            }
            long consumed = 0;
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (consumed + refused.get() < (long) producers * perProducer && System.nanoTime() < deadline) {
                if (q.poll() != null) {
                    consumed++;
                } else {
                    Thread.onSpinWait();
                }
            }
            for (Thread t : threads) {
                t.join();
            }
            while (q.poll() != null) {
                consumed++;
            }
            assertThat(refused.get()).isPositive();
            assertThat(consumed + refused.get()).isEqualTo((long) producers * perProducer);
            assertThat(q.hasClaimed()).isFalse();
        } finally {
            EngineTesting.noFaults();
        }
    }

    /** A claimable element, as the lane's user tasks are. */
    private static final class Item extends ClaimedTask {
        final long value;

        Item(long value) {
            this.value = value;
        }

        @Override
        public Throwable runCatching() {
            return null;
        }

        @Override
        public boolean reportsFailure() {
            return false;
        }

        @Override
        public TaskOwner owner() {
            return null;
        }

        @Override
        public Runnable handBack(String reason) {
            return null;
        }

        @Override
        public boolean failClosed(java.util.concurrent.RejectedExecutionException reason) {
            return false;
        }
    }
}
