package io.coremanager.engine;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The books balance under faults (issue 10): producers ({@code execute} and {@code submit}),
 * core-affine virtual threads that sleep and park, and {@code close()} / {@code shutdownNow()}
 * racing them, while errors are injected at random points (an {@code OutOfMemoryError} or
 * {@code StackOverflowError} at a queue claim, a failed wake-up after publication, a failing
 * carrier loop, a carrier thread that cannot be created). In every round: every accepted task ran,
 * or its future failed with a reason, or it was handed back (or, on a lane that failed closed,
 * reported); every future is done; every virtual thread ended; every carrier left. Runs for
 * {@code coremanager.stress.seconds} (default 4). Lane code produces too (issue 13, the mesh): relay
 * tasks and virtual threads hand {@code execute} tasks to the lanes from their lane, through the
 * lane-to-lane mesh, with faults injected at the mesh append as well. One round in five loses a
 * carrier for good (its lane fails closed); {@code -Dstress.everyRoundLosesACarrier=true} makes it
 * every round. A group that does not terminate is described lane by lane, with its carriers' stacks.
 */
class FaultInjectionStressTest {

    private static final long SECONDS = Long.getLong("coremanager.stress.seconds", 4);
    /** Tasks appended to mesh pairs in this run, over all rounds. */
    private static long meshAppended;
    /** Whether the current thread is one of the test's producers. */
    private static final ThreadLocal<Boolean> PRODUCER = ThreadLocal.withInitial(() -> false);

    @AfterEach
    void noFaultsLeft() {
        EngineTesting.noFaults();
    }

    @Test
    void acceptedWorkIsNeverLostUnderInjectedFaultsAndRacingShutdown() throws Exception {
        CpuSet cpus = Affinity.isSupported() ? Affinity.get() : CpuSet.of(0);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        int rounds = 0;
        long accepted = 0;
        meshAppended = 0;
        while (System.nanoTime() - end < 0 || rounds < 3) {
            accepted += round(cpus, rounds++);
        }
        System.out.printf("fault-injection stress: %d rounds, %d tasks accepted (%d through the mesh), books balanced "
                + "in every round%n", rounds, accepted, meshAppended);
        assertThat(accepted).isPositive();
        if (cpus.size() > 1) {
            assertThat(meshAppended).as("lane code handed tasks over through the mesh").isPositive();
        }
    }

    private static long round(CpuSet cpus, int round) throws Exception {
        ConcurrentLinkedQueue<Throwable> reported = new ConcurrentLinkedQueue<>();
        Lanes group = Lanes.start(new Lanes.Config(cpus, "stress-" + round + "-", round % 2 == 0 ? 0 : 20_000,
                Affinity.isSupported(), true, (t, e) -> reported.add(e), 0, 0, false));
        int[] cpuList = cpus.toArray();
        int lanesThatMayFail = round % 5 == 4 || Boolean.getBoolean("stress.everyRoundLosesACarrier") ? 1 : 0; // some rounds also lose a carrier for good
        AtomicLong carrierStartFaults = new AtomicLong(lanesThatMayFail);
        Faults.install(point -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            switch (point) {
                case CLAIMED -> {
                    // A StackOverflowError only in a producer's own call: the JDK retries a virtual
                    // thread's wake-up after an OutOfMemoryError but not after a StackOverflowError
                    // (VirtualThread.submitRunContinuation), so one there would lose the wake-up in
                    // the JDK, whatever the scheduler does.
                    if (r.nextInt(200) == 0) {
                        throw PRODUCER.get() && r.nextBoolean() ? new StackOverflowError("injected")
                                : new OutOfMemoryError("injected");
                    }
                }
                case PUBLISHED -> {
                    if (r.nextInt(500) == 0) {
                        throw new StackOverflowError("injected at the wake-up");
                    }
                }
                case MESH_APPEND -> {
                    if (r.nextInt(200) == 0) {
                        throw new OutOfMemoryError("injected at a mesh append");
                    }
                }
                case CARRIER_LOOP -> {
                    if (r.nextInt(20_000) == 0) {
                        throw new OutOfMemoryError("injected in the loop");
                    }
                }
                case CARRIER_START -> {
                    if (carrierStartFaults.getAndDecrement() > 0) {
                        throw new OutOfMemoryError("unable to create native thread: injected");
                    }
                }
            }
        });

        AtomicLong executedRan = new AtomicLong();
        AtomicLong executedAccepted = new AtomicLong();
        ConcurrentLinkedQueue<CompletableFuture<Integer>> futures = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Thread> vthreads = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            producers.add(Thread.ofPlatform().start(() -> produce(group, cpuList, go, executedRan, executedAccepted,
                    futures, vthreads)));
        }
        go.countDown();
        Thread.sleep(ThreadLocalRandom.current().nextInt(5, 40));
        List<Runnable> handedBack = new ArrayList<>();
        if (round % 3 == 0) {
            handedBack.addAll(group.shutdownNow());
        } else {
            group.shutdown();
        }
        for (Thread t : producers) {
            t.join();
        }
        // Faults stop before the final wait: a lane must still drain what it accepted.
        EngineTesting.noFaults();
        if (!group.awaitTermination(TimeUnit.SECONDS.toNanos(60))) {
            throw new AssertionError("round " + round + ": the group did not terminate: " + group + describe(group, cpuList));
        }
        for (Thread t : vthreads) {
            t.join(30_000);
            assertThat(t.isAlive()).as("round %d: virtual thread ended", round).isFalse();
        }
        long submittedRan = 0;
        long submittedFailed = 0;
        for (CompletableFuture<Integer> f : futures) {
            assertThat(f).as("round %d: every future is done", round).isDone();
            if (f.isCompletedExceptionally()) {
                Throwable cause = f.handle((v, t) -> t).join();
                assertThat(cause).as("round %d: a future fails with a reason", round)
                        .isInstanceOfAny(CancellationException.class, RejectedExecutionException.class);
                submittedFailed++;
            } else {
                submittedRan++;
            }
        }
        long executedHandedBack = handedBack.stream().filter(r -> r instanceof Counted || r instanceof Relay).count();
        long executedFailedClosed = reported.stream().filter(t -> t instanceof RejectedExecutionException
                && t.getMessage().startsWith("task")).count();
        assertThat(executedRan.get() + executedHandedBack + executedFailedClosed)
                .as("round %d: every accepted execute() task ran, was handed back, or was reported with its failed lane",
                        round)
                .isEqualTo(executedAccepted.get());
        assertThat(submittedRan + submittedFailed).isEqualTo(futures.size());
        for (int cpu : cpuList) {
            assertThat(group.lane(cpu).isTerminated()).as("round %d: carrier of cpu %d left", round, cpu).isTrue();
            Lane lane = group.lane(cpu);
            for (int i = 0; i < lane.meshWidth(); i++) {
                MeshPair pair = lane.inbound(i);
                if (pair != null) {
                    meshAppended += pair.appended();
                    assertThat(pair.size()).as("round %d: %s is empty", round, pair).isZero();
                }
            }
        }
        return executedAccepted.get() + futures.size();
    }

    /** Each lane's state, what keeps it from leaving, and its carrier's stack: what a hang needs to be understood. */
    private static String describe(Lanes group, int[] cpus) {
        StringBuilder sb = new StringBuilder();
        for (int cpu : cpus) {
            Lane lane = group.lane(cpu);
            sb.append("\n  cpu ").append(cpu).append(": terminated ").append(lane.isTerminated())
                    .append(", live threads ").append(lane.threads.live()).append(", live timers ")
                    .append(lane.timers.live()).append(", mesh quiet ").append(lane.meshQuiet())
                    .append(", queue has published ").append(lane.queue.hasPublished()).append(", ").append(group.stats(cpu));
            for (int i = 0; i < lane.meshWidth(); i++) {
                MeshPair pair = lane.inbound(i);
                if (pair != null && pair.size() != 0) {
                    sb.append("\n    inbound ").append(pair).append(": ").append(pair.size()).append(" waiting");
                }
            }
            Thread carrier = lane.carrier().thread();
            if (carrier != null) {
                sb.append("\n    carrier ").append(carrier).append(" ").append(carrier.getState());
                for (StackTraceElement e : carrier.getStackTrace()) {
                    sb.append("\n      at ").append(e);
                }
            }
        }
        return sb.toString();
    }

    private static void produce(Lanes group, int[] cpus, CountDownLatch go, AtomicLong executedRan,
                                AtomicLong executedAccepted, ConcurrentLinkedQueue<CompletableFuture<Integer>> futures,
                                ConcurrentLinkedQueue<Thread> vthreads) {
        try {
            go.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        PRODUCER.set(true);
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < 20_000; i++) {
            int cpu = cpus[r.nextInt(cpus.length)];
            try {
                switch (r.nextInt(10)) {
                    case 0 -> vthreads.add(group.go(cpu, () -> {
                        relay(group, cpus, executedRan, executedAccepted); // from a core-affine virtual thread
                        for (int k = 0; k < 3; k++) {
                            try {
                                Thread.sleep(1);
                            } catch (InterruptedException e) {
                                return;
                            }
                            Thread.yield();
                        }
                    }));
                    case 1, 2, 3 -> {
                        group.execute(cpu, new Counted(executedRan));
                        executedAccepted.incrementAndGet();
                    }
                    case 4 -> {
                        group.execute(cpu, new Relay(group, cpus, executedRan, executedAccepted));
                        executedAccepted.incrementAndGet();
                    }
                    default -> futures.add(group.submit(cpu, () -> 1));
                }
            } catch (RejectedExecutionException | OutOfMemoryError | StackOverflowError refused) {
                if (refused instanceof RejectedExecutionException && group.isShutdown() && r.nextInt(50) == 0) {
                    return; // the group is shut down: stop soon
                }
            }
        }
    }

    /** Hands up to 20 {@code execute} tasks to random lanes from lane code (the mesh), booking the accepted ones. */
    private static void relay(Lanes group, int[] cpus, AtomicLong ran, AtomicLong accepted) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int n = 1 + r.nextInt(20);
        for (int k = 0; k < n; k++) {
            try {
                group.execute(cpus[r.nextInt(cpus.length)], new Counted(ran));
                accepted.incrementAndGet();
            } catch (RejectedExecutionException | OutOfMemoryError | StackOverflowError refused) {
                // refused: nothing was queued (the fault seams throw before anything is written)
            }
        }
    }

    /** An {@code execute} task that first relays tasks from its lane, then counts its own run. */
    private record Relay(Lanes group, int[] cpus, AtomicLong ran, AtomicLong accepted) implements Runnable {
        @Override
        public void run() {
            relay(group, cpus, ran, accepted);
            ran.incrementAndGet();
        }
    }

    /** An {@code execute} task that counts its run: told apart from others in a hand-back list. */
    private record Counted(AtomicLong ran) implements Runnable {
        @Override
        public void run() {
            ran.incrementAndGet();
        }
    }
}
