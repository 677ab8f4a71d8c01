package io.coremanager.engine;

import io.coremanager.CpuSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The lane-to-lane mesh (issue 13, part 2): per-pair FIFO under concurrent producers, a single
 * hand-off reaching its lane without other traffic, hand-back of pair-queued tasks on
 * {@code shutdownNow}, no carrier leaving with pair-queued (or not yet published) work, failure
 * atomicity of an append, and the statistics. The lanes are not pinned (cpus 0-2 exist as lanes
 * whatever the machine), and park when idle, so every hand-off needs its wake-up.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MeshTest {

    private static final int A = 0;
    private static final int B = 1;
    private static final int C = 2;

    private final List<Throwable> reported = new CopyOnWriteArrayList<>();
    private Lanes group;

    private Lanes start(long spinNanos) {
        group = Lanes.start(new Lanes.Config(CpuSet.of(A, B, C), "mesh-test-", spinNanos, false, true,
                (t, e) -> reported.add(e), 0, 0, false));
        return group;
    }

    @AfterEach
    void stop() throws InterruptedException {
        EngineTesting.noFaults();
        if (group != null) {
            group.shutdownNow();
            assertThat(group.awaitTermination(TimeUnit.SECONDS.toNanos(30))).as("terminated").isTrue();
        }
    }

    /** The mesh pair from {@code source} to {@code destination}, or null if that source never sent there. */
    private MeshPair pair(int source, int destination) {
        return group.lane(destination).inbound(group.lanes().indexOf(group.lane(source)));
    }

    @Test
    void orderPerPairIsFifoUnderConcurrentProducers() throws Exception {
        start(0);
        int perSender = 2_000;
        int virtualSenders = 4;
        // B records, per source lane, the sequence numbers stamped by that lane's code as it sent.
        Map<String, List<Long>> seenOnB = new ConcurrentHashMap<>();
        AtomicLong stampA = new AtomicLong(); // touched by A's code only: its sends in their order
        AtomicLong stampC = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger expected = new AtomicInteger();
        AtomicInteger ran = new AtomicInteger();
        Runnable countRan = () -> {
            if (ran.incrementAndGet() == expected.get()) {
                done.countDown();
            }
        };
        List<Thread> threads = new ArrayList<>();
        List<Thread> outside = new ArrayList<>();
        expected.set(virtualSenders * perSender + perSender + perSender + 2 * perSender);
        // Several core-affine virtual threads on A, and run-to-completion tasks on A.
        for (int v = 0; v < virtualSenders; v++) {
            String sender = "A-vt" + v;
            threads.add(group.go(A, () -> {
                for (int i = 0; i < perSender; i++) {
                    long stamp = stampA.getAndIncrement();
                    long mine = i;
                    group.execute(B, () -> {
                        seenOnB.computeIfAbsent("A", k -> new ArrayList<>()).add(stamp); // B's carrier only
                        seenOnB.computeIfAbsent(sender, k -> new ArrayList<>()).add(mine);
                        countRan.run();
                    });
                    if (i % 7 == 0) {
                        Thread.yield(); // lets the other senders of A interleave
                    }
                }
            }));
        }
        for (int chunk = 0; chunk < perSender / 100; chunk++) {
            int first = chunk * 100;
            group.execute(A, () -> {
                for (int i = first; i < first + 100; i++) {
                    long stamp = stampA.getAndIncrement();
                    long mine = i;
                    group.execute(B, () -> {
                        seenOnB.computeIfAbsent("A", k -> new ArrayList<>()).add(stamp);
                        seenOnB.computeIfAbsent("A-task", k -> new ArrayList<>()).add(mine);
                        countRan.run();
                    });
                }
            });
        }
        // Another lane sends to B meanwhile.
        threads.add(group.go(C, () -> {
            for (int i = 0; i < perSender; i++) {
                long stamp = stampC.getAndIncrement();
                group.execute(B, () -> {
                    seenOnB.computeIfAbsent("C", k -> new ArrayList<>()).add(stamp);
                    countRan.run();
                });
            }
        }));
        // And outside threads, through B's queue.
        for (int t = 0; t < 2; t++) {
            String sender = "outside" + t;
            outside.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perSender; i++) {
                    long mine = i;
                    group.execute(B, () -> {
                        seenOnB.computeIfAbsent(sender, k -> new ArrayList<>()).add(mine);
                        countRan.run();
                    });
                }
            }));
        }
        for (Thread t : outside) {
            t.join(60_000);
        }
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertThat(done.await(60, TimeUnit.SECONDS)).as("every hand-off ran on B: %s of %s", ran, expected).isTrue();

        assertThat(seenOnB.get("A")).as("A's sends, in the order A's code made them")
                .hasSize(virtualSenders * perSender + perSender).isSorted().doesNotHaveDuplicates();
        assertThat(seenOnB.get("C")).hasSize(perSender).isSorted().doesNotHaveDuplicates();
        for (String sender : seenOnB.keySet()) {
            assertThat(seenOnB.get(sender)).as(sender).isSorted().doesNotHaveDuplicates();
        }
        // The lanes' sends went through the mesh, the outside ones through B's queue.
        assertThat(pair(A, B).appended()).isEqualTo(virtualSenders * perSender + perSender);
        assertThat(pair(C, B).appended()).isEqualTo(perSender);
        assertThat(group.stats(B).submitted()).as("mesh hand-offs count as submitted")
                .isEqualTo(expected.get());
        assertThat(reported).isEmpty();
    }

    @Test
    void aSingleHandOffFromATaskReachesItsLaneWithoutOtherTraffic() throws Exception {
        start(0); // B parks when idle: the hand-off must wake it, and no batch fills
        for (int round = 0; round < 50; round++) {
            CompletableFuture<Integer> onB = new CompletableFuture<>();
            group.execute(A, () -> group.execute(B, () -> onB.complete(group.laneCpuOf(Thread.currentThread()))));
            assertThat(onB.get(30, TimeUnit.SECONDS)).isEqualTo(B);
        }
        assertThat(pair(A, B).appended()).isEqualTo(50);
        // From a core-affine virtual thread that then parks on what B does.
        CountDownLatch fromB = new CountDownLatch(1);
        Thread vt = group.go(A, () -> {
            group.execute(B, fromB::countDown);
            try {
                fromB.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(fromB.await(30, TimeUnit.SECONDS)).isTrue();
        vt.join(30_000);
        // From a task that then blocks its carrier waiting for B's future: the wait flushes first.
        CompletableFuture<Integer> outer = group.submit(A, () -> group.submit(B, () -> 7).join() + 1);
        assertThat(outer.get(30, TimeUnit.SECONDS)).isEqualTo(8);
        // And back: a round trip A -> B -> A, lane code both ways.
        CompletableFuture<Integer> back = new CompletableFuture<>();
        group.execute(A, () -> group.execute(B, () -> group.execute(A, () -> back.complete(42))));
        assertThat(back.get(30, TimeUnit.SECONDS)).isEqualTo(42);
        assertThat(pair(B, A).appended()).isEqualTo(1);
        assertThat(reported).isEmpty();
    }

    @Test
    void shutdownNowHandsBackWhatWaitsInAPair() throws Exception {
        start(20_000);
        CountDownLatch bBusy = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        group.execute(B, () -> {
            bBusy.countDown();
            try {
                never.await(); // holds B's carrier until shutdownNow interrupts it
            } catch (InterruptedException e) {
                // shutdownNow
            }
        });
        assertThat(bBusy.await(30, TimeUnit.SECONDS)).isTrue();
        int k = 100;
        AtomicInteger ran = new AtomicInteger();
        List<Runnable> sent = new CopyOnWriteArrayList<>();
        group.execute(A, () -> {
            for (int i = 0; i < k; i++) {
                Runnable r = ran::incrementAndGet;
                sent.add(r);
                group.execute(B, r);
            }
        });
        EngineTesting.await("the hand-offs wait in the pair", () -> pair(A, B) != null && pair(A, B).size() == k);
        assertThat(group.stats(B).queued()).isEqualTo(k);
        List<Runnable> handedBack = group.shutdownNow();
        assertThat(handedBack).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(group.awaitTermination(TimeUnit.SECONDS.toNanos(30))).isTrue();
        assertThat(ran).hasValue(0);
    }

    @Test
    void theDestinationDoesNotLeaveWhileASourceIsInTheSectionThatHandedOff() throws Exception {
        start(0);
        CountDownLatch bBusy = new CountDownLatch(1);
        CountDownLatch releaseB = new CountDownLatch(1);
        group.execute(B, () -> { // B runs (not parked) while A hands off: nothing is published early
            bBusy.countDown();
            try {
                releaseB.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(bBusy.await(30, TimeUnit.SECONDS)).isTrue();
        int k = 10; // fewer than a pair's batch: published only when A's task returns
        AtomicInteger ran = new AtomicInteger();
        CountDownLatch sent = new CountDownLatch(1);
        CountDownLatch releaseA = new CountDownLatch(1);
        group.execute(A, () -> {
            for (int i = 0; i < k; i++) {
                group.execute(B, ran::incrementAndGet);
            }
            sent.countDown();
            try {
                releaseA.await(); // holds A's carrier in its section, hand-offs unpublished (no flush point here)
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(sent.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(pair(A, B).appended()).isEqualTo(k);
        assertThat(pair(A, B).size()).as("not published yet").isZero();
        group.shutdown();
        releaseB.countDown();
        // B is idle, the group shut down, no thread alive: B would leave now, but A is in a section.
        EngineTesting.await("B closed its mesh", () -> !group.lane(B).meshOpen());
        EngineTesting.await("B ran what it could see", () -> ran.get() == k);
        EngineTesting.await("B waits parked (or left)", () -> group.lane(B).parking.isParked() || group.lane(B).isTerminated());
        assertThat(group.lane(B).isTerminated()).as("B left while A could still publish to it").isFalse();
        releaseA.countDown();
        assertThat(group.awaitTermination(TimeUnit.SECONDS.toNanos(30))).as("terminated").isTrue();
        assertThat(ran).as("every hand-off accepted before shutdown ran").hasValue(k);
        assertThat(group.stats(B).completed()).isEqualTo(k + 1);
    }

    @Test
    void aLaneWithQueuedHandOffsDrainsThemBeforeLeaving() throws Exception {
        start(20_000);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch bBusy = new CountDownLatch(1);
        group.execute(B, () -> {
            bBusy.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(bBusy.await(30, TimeUnit.SECONDS)).isTrue();
        int k = 500; // several batches of the pair
        AtomicInteger ran = new AtomicInteger();
        group.execute(A, () -> {
            for (int i = 0; i < k; i++) {
                group.execute(B, ran::incrementAndGet);
            }
        });
        EngineTesting.await("published", () -> pair(A, B) != null && pair(A, B).size() == k);
        group.shutdown();
        release.countDown();
        assertThat(group.awaitTermination(TimeUnit.SECONDS.toNanos(30))).isTrue();
        assertThat(ran).hasValue(k);
        // After shutdown, lane code is refused like anyone.
        assertThatThrownBy(() -> group.execute(B, () -> { })).isInstanceOf(RejectedExecutionException.class);
    }

    @Test
    void aLaneThatFailsClosedFailsWhatReachesItThroughTheMesh() throws Exception {
        start(20_000);
        CountDownLatch bBusy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> holder = group.submit(B, () -> {
            bBusy.countDown();
            release.await();
            return null;
        });
        assertThat(bBusy.await(30, TimeUnit.SECONDS)).isTrue();
        int k = 40;
        List<CompletableFuture<String>> sent = new CopyOnWriteArrayList<>();
        group.execute(A, () -> {
            for (int i = 0; i < k; i++) {
                sent.add(group.submit(B, () -> "ran"));
            }
        });
        EngineTesting.await("the hand-offs wait in the pair", () -> pair(A, B) != null && pair(A, B).size() == k);
        String bCarrier = "mesh-test-" + B;
        Faults.install(p -> { // B's loop fails, and no replacement can start: B fails closed
            if (p == Faults.Point.CARRIER_LOOP && Thread.currentThread().getName().equals(bCarrier)) {
                Faults.install(q -> {
                    if (q == Faults.Point.CARRIER_START) {
                        throw new OutOfMemoryError("unable to create native thread: injected");
                    }
                });
                throw new OutOfMemoryError("injected in the loop");
            }
        });
        release.countDown();
        holder.get(30, TimeUnit.SECONDS);
        assertThat(sent).hasSize(k);
        for (CompletableFuture<String> f : sent) {
            assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(RejectedExecutionException.class)
                    .hasMessageContaining("no new carrier could be started");
        }
        // Lane code's next hand-off to the failed lane is refused, before anything is appended.
        CompletableFuture<String> again = group.submit(A, () -> {
            try {
                group.submit(B, () -> "ran");
                return "accepted";
            } catch (RejectedExecutionException e) {
                return "refused";
            }
        });
        assertThat(again.get(30, TimeUnit.SECONDS)).isEqualTo("refused");
        assertThat(pair(A, B).appended()).isEqualTo(k);
    }

    @Test
    void anAppendThatFailsLeavesNoHole() throws Exception {
        start(0);
        List<Long> seen = new CopyOnWriteArrayList<>();
        List<Throwable> refused = new CopyOnWriteArrayList<>();
        CountDownLatch allSent = new CountDownLatch(1);
        EngineTesting.inject(Faults.Point.MESH_APPEND, 3, new OutOfMemoryError("injected at the append"));
        group.execute(A, () -> {
            for (long i = 0; i < 300; i++) { // crosses a chunk boundary (256)
                long n = i;
                try {
                    group.execute(B, () -> seen.add(n));
                } catch (OutOfMemoryError e) {
                    refused.add(e);
                    seen.add(-1L - n); // B will never see n: note it as refused, in A's order
                }
            }
            allSent.countDown();
        });
        assertThat(allSent.await(30, TimeUnit.SECONDS)).isTrue();
        EngineTesting.await("B ran what was appended", () -> seen.size() == 300);
        assertThat(refused).hasSize(3);
        List<Long> ranOnB = seen.stream().filter(n -> n >= 0).toList();
        assertThat(ranOnB).hasSize(297).isSorted();
        assertThat(pair(A, B).appended()).isEqualTo(297);
        assertThat(group.stats(B).submitted()).isEqualTo(297);
    }
}
