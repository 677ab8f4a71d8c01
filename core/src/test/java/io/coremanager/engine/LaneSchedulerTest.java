package io.coremanager.engine;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@code ScheduledExecutorService} contract, run against the JDK's single-thread scheduler as a
 * control and against {@code scheduler(cpu)}; then what only the lane's timers promise (they fire
 * on the lane's CPU, without a wake-up while the lane is busy, and the lane terminates right).
 * Waits are latches with named timeouts, never sleeps.
 */
class LaneSchedulerTest {

    /** Generous: a loaded 2-core machine. */
    private static final long WAIT_S = 30;

    private final List<Throwable> reported = EngineTesting.reports();
    private final List<Lanes> groups = new ArrayList<>();

    @AfterEach
    void closeGroups() throws InterruptedException {
        for (Lanes g : groups) {
            g.shutdownNow();
            assertThat(g.awaitTermination(TimeUnit.SECONDS.toNanos(WAIT_S))).as("group terminates").isTrue();
        }
        assertThat(reported).as("failures reported to the handler").isEmpty();
    }

    private Lanes group() {
        Lanes g = EngineTesting.group(reported);
        groups.add(g);
        return g;
    }

    /** A named way to get a scheduler for the contract suite. */
    record Kind(String name, Function<LaneSchedulerTest, ScheduledExecutorService> make) {
        @Override
        public String toString() {
            return name;
        }
    }

    interface Function<A, B> {
        B apply(A a);
    }

    static Stream<Kind> kinds() {
        return Stream.of(new Kind("Executors.newSingleThreadScheduledExecutor", t -> {
            ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor();
            t.controls.add(s);
            return s;
        }), new Kind("scheduler(cpu)", t -> t.group().scheduler(EngineTesting.cpu())));
    }

    private final List<ScheduledExecutorService> controls = new ArrayList<>();

    @AfterEach
    void closeControls() {
        controls.forEach(ScheduledExecutorService::shutdownNow);
    }

    private static void await(CountDownLatch latch, String what) throws InterruptedException {
        assertThat(latch.await(WAIT_S, TimeUnit.SECONDS)).as("timed out waiting for: " + what).isTrue();
    }

    private static void terminates(ScheduledExecutorService s) throws InterruptedException {
        assertThat(s.awaitTermination(WAIT_S, TimeUnit.SECONDS)).as("terminates").isTrue();
        assertThat(s.isTerminated()).isTrue();
    }

    // ---------------------------------------------------------------- the contract, both kinds

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void timersFireInDeadlineOrder(Kind kind) throws Exception {
        ScheduledExecutorService s = kind.make.apply(this);
        List<Integer> order = new CopyOnWriteArrayList<>();
        CountDownLatch all = new CountDownLatch(3);
        CountDownLatch gate = new CountDownLatch(1);
        s.execute(() -> awaitQuietly(gate)); // hold the scheduler so all three are queued before any is due
        for (int ms : new int[] {60, 20, 40}) {
            s.schedule(() -> {
                order.add(ms);
                all.countDown();
            }, ms, TimeUnit.MILLISECONDS);
        }
        gate.countDown();
        await(all, "three timers");
        assertThat(order).containsExactly(20, 40, 60);
        s.shutdown();
        terminates(s);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void callableResultDelayAndOrder(Kind kind) throws Exception {
        ScheduledExecutorService s = kind.make.apply(this);
        ScheduledFuture<String> soon = s.schedule(() -> "soon", 10, TimeUnit.MILLISECONDS);
        ScheduledFuture<String> late = s.schedule(() -> "late", 1, TimeUnit.HOURS);
        assertThat(late.getDelay(TimeUnit.MINUTES)).isBetween(58L, 60L);
        assertThat(soon.compareTo(late)).isNegative();
        assertThat(late.compareTo(soon)).isPositive();
        assertThat(soon.compareTo(soon)).isZero();
        assertThat(soon.get(WAIT_S, TimeUnit.SECONDS)).isEqualTo("soon");
        assertThat(soon.getDelay(TimeUnit.NANOSECONDS)).isNotPositive();
        assertThat(late.cancel(false)).isTrue();
        assertThat(s.submit(() -> 42).get(WAIT_S, TimeUnit.SECONDS)).isEqualTo(42);
        CountDownLatch ran = new CountDownLatch(1);
        s.execute(ran::countDown);
        await(ran, "execute");
        assertThat(s.submit(() -> { }, "r").get(WAIT_S, TimeUnit.SECONDS)).isEqualTo("r");
        s.shutdown();
        terminates(s);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void cancelBeforeFireNeverRunsAndDoesNotHoldTermination(Kind kind) throws Exception {
        ScheduledExecutorService s = kind.make.apply(this);
        AtomicInteger runs = new AtomicInteger();
        ScheduledFuture<?> f = s.schedule(runs::incrementAndGet, 1, TimeUnit.HOURS);
        ScheduledFuture<?> p = s.scheduleAtFixedRate(runs::incrementAndGet, 1, 1, TimeUnit.HOURS);
        assertThat(f.cancel(false)).isTrue();
        assertThat(p.cancel(true)).isTrue();
        assertThat(f.isCancelled()).isTrue();
        assertThat(f.isDone()).isTrue();
        assertThatThrownBy(f::get).isInstanceOf(CancellationException.class);
        s.shutdown();
        terminates(s);
        assertThat(runs).hasValue(0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void fixedRateRunsAndStopsOnCancel(Kind kind) throws Exception {
        ScheduledExecutorService s = kind.make.apply(this);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch five = new CountDownLatch(5);
        ScheduledFuture<?> f = s.scheduleAtFixedRate(() -> {
            if (inside.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
            }
            long end = System.nanoTime() + 2_000_000; // longer than the period: late runs, never overlapping
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
            runs.incrementAndGet();
            inside.decrementAndGet();
            five.countDown();
        }, 0, 1, TimeUnit.MILLISECONDS);
        await(five, "five fixed-rate runs");
        assertThat(f.cancel(false)).isTrue();
        assertThat(f.isDone()).isTrue();
        s.shutdown();
        terminates(s);
        int after = runs.get();
        assertThat(after).isGreaterThanOrEqualTo(5);
        assertThat(overlaps).hasValue(0);
        assertThatThrownBy(f::get).isInstanceOf(CancellationException.class);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void fixedDelayKeepsItsGap(Kind kind) throws Exception {
        ScheduledExecutorService s = kind.make.apply(this);
        long delay = TimeUnit.MILLISECONDS.toNanos(5);
        List<long[]> spans = new CopyOnWriteArrayList<>();
        CountDownLatch four = new CountDownLatch(4);
        ScheduledFuture<?> f = s.scheduleWithFixedDelay(() -> {
            long start = System.nanoTime();
            spans.add(new long[] {start, System.nanoTime()});
            four.countDown();
        }, 0, delay, TimeUnit.NANOSECONDS);
        await(four, "four fixed-delay runs");
        f.cancel(false);
        s.shutdown();
        terminates(s);
        for (int i = 1; i < 4; i++) {
            assertThat(spans.get(i)[0] - spans.get(i - 1)[1]).as("gap " + i).isGreaterThanOrEqualTo(delay);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void exceptionStopsPeriodic(Kind kind) throws Exception {
        ScheduledExecutorService s = kind.make.apply(this);
        AtomicInteger runs = new AtomicInteger();
        ScheduledFuture<?> f = s.scheduleAtFixedRate(() -> {
            if (runs.incrementAndGet() == 3) {
                throw new IllegalStateException("third");
            }
        }, 0, 1, TimeUnit.MILLISECONDS);
        assertThatThrownBy(() -> f.get(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasRootCauseMessage("third");
        assertThat(f.isDone()).isTrue();
        assertThat(f.isCancelled()).isFalse();
        s.shutdown();
        terminates(s);
        assertThat(runs).hasValue(3);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void shutdownRunsDelayedDropsPeriodicRejectsNew(Kind kind) throws Exception {
        ScheduledExecutorService s = kind.make.apply(this);
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch delayedRan = new CountDownLatch(1);
        ScheduledFuture<?> delayed = s.schedule(() -> {
            awaitQuietly(gate);
            delayedRan.countDown();
        }, 20, TimeUnit.MILLISECONDS);
        ScheduledFuture<?> periodic = s.scheduleAtFixedRate(() -> { }, 1, 1, TimeUnit.HOURS);
        s.shutdown();
        assertThat(s.isShutdown()).isTrue();
        assertThat(periodic.isCancelled()).as("periodic cancelled on shutdown").isTrue();
        assertThat(s.isTerminated()).as("a delayed timer still waits").isFalse();
        assertThatThrownBy(() -> s.schedule(() -> { }, 1, TimeUnit.MILLISECONDS))
                .isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> s.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> s.scheduleWithFixedDelay(() -> { }, 1, 1, TimeUnit.MILLISECONDS))
                .isInstanceOf(RejectedExecutionException.class);
        assertThat(s.awaitTermination(10, TimeUnit.MILLISECONDS)).isFalse();
        gate.countDown();
        await(delayedRan, "the delayed timer after shutdown");
        terminates(s);
        assertThat(delayed.isDone()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void shutdownNowHandsBackAndInterrupts(Kind kind) throws Exception {
        ScheduledExecutorService s = kind.make.apply(this);
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Throwable> seen = new AtomicReference<>();
        CountDownLatch blocker = new CountDownLatch(1);
        s.execute(() -> {
            started.countDown();
            try {
                blocker.await();
            } catch (InterruptedException e) {
                seen.set(e);
            }
        });
        s.schedule(() -> { }, 1, TimeUnit.HOURS);
        s.scheduleWithFixedDelay(() -> { }, 1, 1, TimeUnit.HOURS);
        await(started, "the running task");
        List<Runnable> back = s.shutdownNow();
        assertThat(back).hasSize(2);
        terminates(s);
        assertThat(seen.get()).as("the running task was interrupted").isInstanceOf(InterruptedException.class);
    }

    // ---------------------------------------------------------------- the lane's own promises

    @Test
    void timerFiresOnTheLanesCpu() throws Exception {
        assumeTrue(Affinity.isSupported(), "affinity unsupported here");
        Lanes g = group();
        int cpu = EngineTesting.cpu();
        ScheduledExecutorService s = g.scheduler(cpu);
        assertThat(s.schedule(CoreManager::currentCpu, 5, TimeUnit.MILLISECONDS).get(WAIT_S, TimeUnit.SECONDS))
                .isEqualTo(cpu);
        CountDownLatch three = new CountDownLatch(3);
        List<Integer> cpus = new CopyOnWriteArrayList<>();
        ScheduledFuture<?> p = s.scheduleAtFixedRate(() -> {
            cpus.add(CoreManager.currentCpu());
            three.countDown();
        }, 0, 2, TimeUnit.MILLISECONDS);
        await(three, "three periodic runs");
        p.cancel(false);
        assertThat(cpus).allMatch(c -> c == cpu);
    }

    @Test
    void timerDueWhileLaneIsBusyFiresWithoutAWakeUp() throws Exception {
        Lanes g = group();
        Lane lane = g.lane(EngineTesting.cpu());
        ScheduledExecutorService s = g.scheduler(EngineTesting.cpu());
        AtomicLong unparksAtFire = new AtomicLong(-1);
        AtomicLong unparksBefore = new AtomicLong(-1);
        CountDownLatch fired = new CountDownLatch(1);
        // From a task on the carrier: the timer is handed over while the carrier runs, then comes due
        // while it is still busy. Nothing may unpark the carrier between the two.
        s.execute(() -> {
            unparksBefore.set(lane.parking.wakeups());
            s.schedule(() -> {
                unparksAtFire.set(lane.parking.wakeups());
                fired.countDown();
            }, 2, TimeUnit.MILLISECONDS);
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
            while (System.nanoTime() < end) {
                Thread.onSpinWait(); // busy past the deadline
            }
        });
        await(fired, "the timer");
        assertThat(unparksAtFire.get()).as("unparks of the carrier").isEqualTo(unparksBefore.get());
    }

    @Test
    void idleCarrierParksUntilTheDeadlineAndFiresWithoutAWakeUp() throws Exception {
        Lanes g = group();
        Lane lane = g.lane(EngineTesting.cpu());
        ScheduledExecutorService s = g.scheduler(EngineTesting.cpu());
        AtomicLong scheduledAfter = new AtomicLong();
        CountDownLatch fired = new CountDownLatch(1);
        AtomicLong atFire = new AtomicLong();
        s.schedule(() -> {
            atFire.set(lane.parking.wakeups());
            fired.countDown();
        }, 50, TimeUnit.MILLISECONDS);
        scheduledAfter.set(lane.parking.wakeups()); // at most the hand-over's own wake-up is before this
        await(fired, "the timer");
        assertThat(atFire.get()).as("no wake-up from another thread for the deadline")
                .isEqualTo(scheduledAfter.get());
    }

    @Test
    void managerShutdownShutsViewsDownDelayedStillRunPeriodicDropped() throws Exception {
        Lanes g = group();
        ScheduledExecutorService s = g.scheduler(EngineTesting.cpu());
        CountDownLatch ran = new CountDownLatch(1);
        ScheduledFuture<?> delayed = s.schedule(ran::countDown, 30, TimeUnit.MILLISECONDS);
        ScheduledFuture<?> periodic = s.scheduleAtFixedRate(() -> { }, 1, 1, TimeUnit.HOURS);
        g.shutdown();
        assertThat(s.isShutdown()).isTrue();
        assertThatThrownBy(() -> s.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
        await(ran, "the delayed timer after the manager's shutdown");
        assertThat(g.awaitTermination(TimeUnit.SECONDS.toNanos(WAIT_S))).as("the group terminates").isTrue();
        assertThat(periodic.isCancelled()).isTrue();
        assertThat(delayed.isDone()).isTrue();
        terminates(s);
    }

    @Test
    void managerShutdownWaitsForALongDelayedTimerUntilItIsCancelled() throws Exception {
        Lanes g = group();
        ScheduledExecutorService s = g.scheduler(EngineTesting.cpu());
        ScheduledFuture<?> f = s.schedule(() -> { }, 1, TimeUnit.HOURS);
        g.shutdown();
        assertThat(g.awaitTermination(TimeUnit.MILLISECONDS.toNanos(50))).as("still waits for the timer").isFalse();
        f.cancel(false);
        assertThat(g.awaitTermination(TimeUnit.SECONDS.toNanos(WAIT_S))).as("terminates once cancelled").isTrue();
        terminates(s);
    }

    @Test
    void managerShutdownNowHandsTimersBack() throws Exception {
        Lanes g = group();
        ScheduledExecutorService s = g.scheduler(EngineTesting.cpu());
        ScheduledFuture<?> a = s.schedule(() -> { }, 1, TimeUnit.HOURS);
        ScheduledFuture<?> b = s.scheduleAtFixedRate(() -> { }, 1, 1, TimeUnit.HOURS);
        List<Runnable> back = g.shutdownNow();
        assertThat(back).containsExactlyInAnyOrder((Runnable) a, (Runnable) b);
        assertThat(a.isCancelled()).isTrue();
        assertThat(g.awaitTermination(TimeUnit.SECONDS.toNanos(WAIT_S))).isTrue();
        terminates(s);
    }

    /**
     * The carrier read the group's state twice when a timer arrived (stopping? then, is the owner
     * shut down?): a shutdownNow between the two reads made it drop a periodic timer out of the
     * registry before the shutdownNow walk reached it, which then was neither run nor handed back.
     * Failed about one run in four of {@link #managerShutdownNowHandsTimersBack()} before the fix.
     */
    @Test
    void managerShutdownNowHandsBackEveryTimerWhileTheCarrierTakesThemIn() throws Exception {
        for (int round = 0; round < 200; round++) {
            Lanes g = group();
            ScheduledExecutorService s = g.scheduler(EngineTesting.cpu());
            ScheduledFuture<?> a = s.schedule(() -> { }, 1, TimeUnit.HOURS);
            ScheduledFuture<?> b = s.scheduleAtFixedRate(() -> { }, 1, 1, TimeUnit.HOURS);
            List<Runnable> back = g.shutdownNow();
            assertThat(back).as("round %d", round).containsExactlyInAnyOrder((Runnable) a, (Runnable) b);
            assertThat(g.awaitTermination(TimeUnit.SECONDS.toNanos(WAIT_S))).isTrue();
        }
    }

    @Test
    void timersRacingWithClose() throws Exception {
        for (int round = 0; round < 20; round++) {
            Lanes g = EngineTesting.group(reported);
            ScheduledExecutorService s = g.scheduler(EngineTesting.cpu());
            List<Future<?>> accepted = new CopyOnWriteArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                producers.add(Thread.ofPlatform().start(() -> {
                    awaitQuietly(go);
                    for (int i = 0; i < 200; i++) {
                        try {
                            long micros = ThreadLocalRandom.current().nextLong(0, 2_000);
                            accepted.add(i % 10 == 0
                                    ? s.scheduleAtFixedRate(() -> { }, micros, 500, TimeUnit.MICROSECONDS)
                                    : s.schedule(() -> { }, micros, TimeUnit.MICROSECONDS));
                        } catch (RejectedExecutionException e) {
                            return;
                        }
                    }
                }));
            }
            go.countDown();
            if (round % 2 == 0) {
                g.close();
            } else {
                g.shutdownNow();
            }
            for (Thread t : producers) {
                assertThat(t.join(Duration.ofSeconds(WAIT_S))).as("producer ends").isTrue();
            }
            assertThat(g.awaitTermination(TimeUnit.SECONDS.toNanos(WAIT_S))).as("round " + round + " terminates")
                    .isTrue();
            terminates(s);
            for (Future<?> f : accepted) {
                assertThat(f.isDone()).as("every accepted timer ran, stopped or was cancelled").isTrue();
            }
        }
    }

    @Test
    void sleepOnLaneIsWokenByTheLanesOwnTimer() throws Exception {
        assumeTrue(Lanes.coreAffineThreadsSupported(), "no core-affine virtual threads here");
        Lanes g = group();
        int cpu = EngineTesting.cpu();
        Lane lane = g.lane(cpu);
        AtomicLong slept = new AtomicLong();
        AtomicLong unparksBefore = new AtomicLong();
        AtomicLong unparksAfter = new AtomicLong();
        AtomicInteger cpuAfter = new AtomicInteger(-2);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        g.go(cpu, () -> {
            try {
                unparksBefore.set(lane.parking.wakeups());
                long t0 = System.nanoTime();
                CoreManager.sleepOnLane(Duration.ofMillis(20));
                slept.set(System.nanoTime() - t0);
                unparksAfter.set(lane.parking.wakeups());
                cpuAfter.set(CoreManager.currentCpu());
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                done.countDown();
            }
        });
        await(done, "the sleeper");
        assertThat(failure.get()).isNull();
        assertThat(slept.get()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
        assertThat(unparksAfter.get()).as("nobody else woke the carrier for the sleep").isEqualTo(unparksBefore.get());
        if (Affinity.isSupported()) {
            assertThat(cpuAfter.get()).isEqualTo(cpu);
        }
    }

    @Test
    void sleepOnLaneIsInterruptible() throws Exception {
        assumeTrue(Lanes.coreAffineThreadsSupported(), "no core-affine virtual threads here");
        Lanes g = group();
        AtomicReference<Throwable> seen = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        Thread t = g.go(EngineTesting.cpu(), () -> {
            try {
                CoreManager.sleepOnLane(Duration.ofHours(1));
            } catch (Throwable e) {
                seen.set(e);
            } finally {
                done.countDown();
            }
        });
        t.interrupt();
        await(done, "the interrupted sleeper");
        assertThat(seen.get()).isInstanceOf(InterruptedException.class);
        assertThat(g.lane(EngineTesting.cpu()).timers.live()).as("its timer retired").isZero();
    }

    @Test
    void sleepOnLaneOffTheLaneIsThreadSleep() throws Exception {
        long t0 = System.nanoTime();
        CoreManager.sleepOnLane(Duration.ofMillis(5));
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(5));
        CoreManager.sleepOnLane(Duration.ofMillis(-1));
    }

    /**
     * A timeout per request, cancelled when the request ends: the cancelled timers used to stay in the
     * carrier's heap until their deadlines (an hour here), so the heap grew with every request.
     */
    @Test
    void cancelledTimersDoNotAccumulateInTheHeap() throws Exception {
        Lanes g = group();
        int cpu = EngineTesting.cpu();
        ScheduledExecutorService s = g.scheduler(cpu);
        // A live timer due before the timeouts: the carrier drops cancelled timers as they reach the
        // heap's head, and this one keeps them from reaching it.
        ScheduledFuture<?> heartbeat = s.schedule(() -> { }, 30, TimeUnit.MINUTES);
        int requests = 20 * LaneTimers.PURGE_MIN;
        List<ScheduledFuture<?>> timeouts = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < requests / 20; i++) {
                timeouts.add(s.schedule(() -> { }, 1, TimeUnit.HOURS));
            }
            // The carrier has put them in its heap once it runs a task queued after them.
            int inHeap = g.submit(cpu, () -> g.lane(cpu).timers.heapSize()).get(WAIT_S, TimeUnit.SECONDS);
            assertThat(inHeap).as("the timers reached the heap").isGreaterThan(requests / 20);
            timeouts.forEach(t -> assertThat(t.cancel(false)).isTrue());
            timeouts.clear();
        }
        ScheduledFuture<?> live = s.schedule(() -> { }, 1, TimeUnit.HOURS);
        int heap = g.submit(cpu, () -> g.lane(cpu).timers.heapSize()).get(WAIT_S, TimeUnit.SECONDS);
        assertThat(heap).as("timers in the heap after %d cancelled and 2 live", requests)
                .isLessThanOrEqualTo(2 * LaneTimers.PURGE_MIN + 2);
        assertThat(live.isDone() || heartbeat.isDone()).isFalse();
        assertThat(g.lane(cpu).timers.live()).as("counted live").isEqualTo(2);
        live.cancel(false);
        heartbeat.cancel(false);
    }

    @Test
    void coreManagerSchedulerIsTheLanes() throws Exception {
        int cpu = EngineTesting.cpu();
        try (CoreManager cores = CoreManager.builder().cpus(CpuSet.of(cpu)).build()) {
            ScheduledExecutorService s = cores.scheduler(cpu);
            Callable<Thread> who = Thread::currentThread;
            assertThat(s.schedule(who, 1, TimeUnit.MILLISECONDS).get(WAIT_S, TimeUnit.SECONDS).getName())
                    .endsWith(String.valueOf(cpu));
            ScheduledFuture<?> delayed = s.schedule(() -> { }, 20, TimeUnit.MILLISECONDS);
            cores.shutdown();
            assertThat(s.isShutdown()).isTrue();
            assertThat(cores.awaitTermination(Duration.ofSeconds(WAIT_S))).isTrue();
            assertThat(delayed.isDone()).isTrue();
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(WAIT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
