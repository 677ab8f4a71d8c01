package io.coremanager.engine;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Regression tests from the second adversarial review (lane timers, lane-local I/O): each reproduced
 * a bug and failed before its fix; each asserts what the contract promises. Every wait is bounded.
 * (The review also showed that a pinned virtual thread, one inside a class initializer, that
 * sleeps on its lane or waits on a lane socket parks the carrier that must wake it; that is
 * documented on sleepOnLane and LaneSocket rather than fixed.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Review2RegressionTest {

    private final List<Throwable> reported = EngineTesting.reports();
    private final List<Lanes> groups = new ArrayList<>();
    private final List<Thread> toInterrupt = new ArrayList<>();

    @AfterEach
    void cleanUp() throws InterruptedException {
        EngineTesting.noFaults();
        for (Thread t : toInterrupt) {
            t.interrupt();
        }
        for (Lanes g : groups) {
            g.shutdownNow();
            g.awaitTermination(TimeUnit.SECONDS.toNanos(20));
        }
        for (Thread t : toInterrupt) {
            t.interrupt();
            t.join(5_000);
        }
    }

    private Lanes group() {
        Lanes g = EngineTesting.group(reported);
        groups.add(g);
        return g;
    }

    // ------------------------------------------------------------------ 1. invokeAll on the own carrier

    /**
     * LaneExecutorService refuses invokeAll/invokeAny on its own carrier (they would wait for ever);
     * LaneScheduledExecutorService inherits AbstractExecutorService's, whose plain FutureTask.get()
     * blocks the carrier that has to run the tasks: the lane hangs until something interrupts it.
     */
    @Test
    void schedulerInvokeAllFromItsOwnCarrierFailsAtOnce() throws Exception {
        Lanes g = group();
        int cpu = EngineTesting.cpu();
        ScheduledExecutorService sched = g.scheduler(cpu);
        CompletableFuture<Object> f = g.submit(cpu, () -> {
            try {
                return sched.invokeAll(List.<Callable<Integer>>of(() -> 1)).getFirst().get();
            } catch (IllegalStateException expected) {
                return "refused";
            }
        });
        Object outcome;
        try {
            outcome = f.get(5, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            outcome = "HUNG: the carrier waits in FutureTask.get for a task only it can run";
        }
        assertThat(outcome).as("invokeAll from the lane's own carrier").isEqualTo("refused");
    }

    @Test
    void schedulerInvokeAnyFromItsOwnCarrierFailsAtOnce() throws Exception {
        Lanes g = group();
        int cpu = EngineTesting.cpu();
        ScheduledExecutorService sched = g.scheduler(cpu);
        CompletableFuture<Object> f = g.submit(cpu, () -> {
            try {
                return sched.invokeAny(List.<Callable<Integer>>of(() -> 1));
            } catch (IllegalStateException expected) {
                return "refused";
            }
        });
        Object outcome;
        try {
            outcome = f.get(5, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            outcome = "HUNG";
        }
        assertThat(outcome).as("invokeAny from the lane's own carrier").isEqualTo("refused");
    }


    /**
     * A lane that fails closed fails its heap timers with setException (failAll → failClosed); the
     * sleeper only "sleeps out the rest" when the timer isCancelled(), so it returns at once: a 3 s
     * sleepOnLane returns in milliseconds. A later sleepOnLane throws RejectedExecutionException
     * (offerTimer), which Lanes.sleep does not declare.
     */
    @Test
    void sleepOnLaneOnALaneThatFailsClosedSleepsItsFullDurationAndDoesNotThrowRejected() throws Exception {
        assumeTrue(Lanes.coreAffineThreadsSupported(), "no core-affine virtual threads here");
        List<Throwable> own = EngineTesting.reports();
        Lanes g = EngineTesting.group(own);
        groups.add(g);
        int cpu = EngineTesting.cpu();
        AtomicLong firstSleptMs = new AtomicLong(-1);
        AtomicReference<Throwable> secondSleep = new AtomicReference<>();
        CountDownLatch sleeping = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread t = g.go(cpu, () -> {
            try {
                long t0 = System.nanoTime();
                sleeping.countDown();
                Lanes.sleep(TimeUnit.SECONDS.toNanos(3));
                firstSleptMs.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                try {
                    Lanes.sleep(TimeUnit.MILLISECONDS.toNanos(10));
                } catch (Throwable e) {
                    secondSleep.set(e);
                }
            } catch (Throwable e) {
                secondSleep.set(e);
            } finally {
                done.countDown();
            }
        });
        toInterrupt.add(t);
        assertThat(sleeping.await(10, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(100); // the timer is in the heap
        EngineTesting.failTheLaneClosedAtItsNextStep();
        g.lane(cpu).wake();
        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        EngineTesting.noFaults();
        assertThat(g.stats(cpu).failure()).as("the lane failed closed").isNotNull();
        String outcome = "first sleep " + (firstSleptMs.get() >= 2_900 ? "full" : "cut short: " + firstSleptMs.get() + " ms")
                + "; second sleep " + (secondSleep.get() == null ? "ok" : "threw " + secondSleep.get());
        assertThat(outcome).as("sleepOnLane (3 s, then 10 ms) on a lane that fails closed mid-sleep")
                .isEqualTo("first sleep full; second sleep ok");
    }

    // ------------------------------------------------------------------ 4. untracked sleeper holds close()

    /**
     * Untracked virtual threads (Thread.ofVirtual() inside a core-affine one) do not hold the lane
     * open: the engine runs their late steps on a late carrier. But a sleepOnLane of one counts a live
     * timer that the carrier waits for even after shutdown (the sleeps owner is never shut down), so
     * a heartbeat loop in such a thread keeps the group from ever terminating: close() hangs.
     * With Thread.sleep the same group terminates at once.
     */
    @Test
    void anUntrackedThreadSleepingOnTheLaneInALoopDoesNotKeepTheGroupFromTerminating() throws Exception {
        assumeTrue(Lanes.coreAffineThreadsSupported(), "no core-affine virtual threads here");
        boolean control = terminatesWithUntrackedHeartbeat(false);
        boolean lane = terminatesWithUntrackedHeartbeat(true);
        assertThat(control).as("control: heartbeat with Thread.sleep, group terminates after shutdown").isTrue();
        assertThat(lane).as("heartbeat with sleepOnLane, group terminates after shutdown").isTrue();
    }

    private boolean terminatesWithUntrackedHeartbeat(boolean onLane) throws Exception {
        Lanes g = group();
        int cpu = EngineTesting.cpu();
        AtomicReference<Thread> inner = new AtomicReference<>();
        AtomicInteger beats = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        g.go(cpu, () -> {
            inner.set(Thread.ofVirtual().start(() -> {
                started.countDown();
                try {
                    while (true) {
                        if (onLane) {
                            Lanes.sleep(TimeUnit.MILLISECONDS.toNanos(50));
                        } else {
                            Thread.sleep(50);
                        }
                        beats.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    // end
                }
            }));
        }).join(10_000);
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        toInterrupt.add(inner.get());
        g.shutdown();
        boolean terminated = g.awaitTermination(TimeUnit.SECONDS.toNanos(3));
        inner.get().interrupt();
        return terminated;
    }

    // ------------------------------------------------------------------ 5. watchdog cancels a periodic timer

    /**
     * ScheduledExecutorService: a periodic task stops only if a run throws, it is cancelled, or the
     * executor shuts down. The stall watchdog (interruptStalled) interrupting one slow run of a
     * periodic timer moves its claim to INTERRUPTED; rearm() then requires DONE and drop()s it: the
     * timer is cancelled for good although its run returned normally.
     */
    @Test
    void aWatchdogInterruptOfOneSlowRunDoesNotCancelAPeriodicTimer() throws Exception {
        Lanes g = Lanes.start(new Lanes.Config(CpuSet.of(EngineTesting.cpu()), "review2-wd-", 20_000,
                Affinity.isSupported(), true, (t, e) -> reported.add(e), 0, TimeUnit.MILLISECONDS.toNanos(50), true));
        groups.add(g);
        int cpu = EngineTesting.cpu();
        ScheduledExecutorService sched = g.scheduler(cpu);
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger interruptsSeen = new AtomicInteger();
        CountDownLatch three = new CountDownLatch(3);
        ScheduledFuture<?> f = sched.scheduleWithFixedDelay(() -> {
            if (runs.incrementAndGet() == 1) {
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
                while (System.nanoTime() - end < 0) {
                    if (Thread.interrupted()) {
                        interruptsSeen.incrementAndGet(); // swallowed: the run returns normally
                    }
                    Thread.onSpinWait();
                }
            }
            three.countDown();
        }, 0, 10, TimeUnit.MILLISECONDS);
        boolean ranThrice = three.await(10, TimeUnit.SECONDS);
        assertThat(interruptsSeen.get()).as("precondition: the watchdog interrupted the slow run").isPositive();
        assertThat(ranThrice ? "kept running" : "stopped after " + runs.get() + " run(s), cancelled=" + f.isCancelled())
                .as("a periodic timer whose slow run was interrupted and returned normally")
                .isEqualTo("kept running");
        f.cancel(false);
    }

    // ------------------------------------------------------------------ 6. lane socket read when pinned

    static volatile io.coremanager.LaneSocket pinnedSocket;


    // ------------------------------------------------------------------ 7. overrunning timer starves I/O

    /**
     * Carrier.loop: after a batch that took nothing from the queue, {@code runDueTimers()} returning
     * true makes the loop {@code continue} before {@code pollIoNow()}; {@code pollIoBetweenBatches()}
     * runs only when the queue gave work. A fixed-rate timer that overruns its period is always due,
     * so the lane never polls its sockets: a reader parked on a socket whose data has arrived is never
     * woken while the timer runs (STPE runs an overrunning fixed-rate task back to back, which is fine,
     * but the lane's I/O must not starve: the poll cadence is meant to bound it to ~50 µs + a batch).
     */
    @Test
    void anOverrunningFixedRateTimerDoesNotStarveTheLanesSockets() throws Exception {
        assumeTrue(Lanes.coreAffineThreadsSupported(), "no core-affine virtual threads here");
        Lanes g = group();
        int cpu = EngineTesting.cpu();
        ScheduledExecutorService sched = g.scheduler(cpu);
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(10_000);
            java.net.InetSocketAddress addr = new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(),
                    server.getLocalPort());
            AtomicLong readAt = new AtomicLong();
            AtomicReference<io.coremanager.LaneSocket> sock = new AtomicReference<>();
            CountDownLatch connected = new CountDownLatch(1);
            CountDownLatch gotByte = new CountDownLatch(1);
            Thread t = g.go(cpu, () -> {
                try {
                    sock.set(g.connect(addr));
                    connected.countDown();
                    int b = sock.get().inputStream().read();
                    readAt.set(System.nanoTime());
                    if (b == 42) {
                        gotByte.countDown();
                    }
                } catch (java.io.IOException e) {
                    // closed by the clean-up
                }
            });
            toInterrupt.add(t);
            try (java.net.Socket peer = server.accept()) {
                assertThat(connected.await(10, TimeUnit.SECONDS)).isTrue();
                Thread.sleep(100); // the reader is parked with its interest registered
                ScheduledFuture<?> hog = sched.scheduleAtFixedRate(() -> {
                    long end = System.nanoTime() + 2_000_000L; // 2 ms run, 1 ms period: always due
                    while (System.nanoTime() - end < 0) {
                        Thread.onSpinWait();
                    }
                }, 0, 1, TimeUnit.MILLISECONDS);
                Thread.sleep(50);
                long sent = System.nanoTime();
                peer.getOutputStream().write(42);
                peer.getOutputStream().flush();
                boolean woke = gotByte.await(3, TimeUnit.SECONDS);
                hog.cancel(false);
                boolean wokeAfterCancel = woke || gotByte.await(5, TimeUnit.SECONDS);
                assertThat(woke ? "woken after " + TimeUnit.NANOSECONDS.toMillis(readAt.get() - sent) + " ms"
                        : "STARVED for 3 s" + (wokeAfterCancel ? " (woken only once the timer was cancelled)" : ""))
                        .as("a lane socket reader while a fixed-rate timer overruns").startsWith("woken");
            }
        }
    }

    // ------------------------------------------------------------------ 8. timers bypass the queue capacity

    /**
     * Builder.queueCapacity: "once capacity entries wait on a lane, execute, submit and the executor
     * views throw RejectedExecutionException ... rather than queue without end behind a stuck or
     * overloaded lane". Lane.offerTimer skips checkCapacity, so scheduler(cpu).execute/submit/schedule
     * queue without end behind a stuck lane (an executor(cpu) view on the same lane is refused).
     */
    @Test
    void theSchedulerViewRespectsTheQueueCapacityBehindAStuckLane() throws Exception {
        Lanes g = Lanes.start(new Lanes.Config(CpuSet.of(EngineTesting.cpu()), "review2-cap-", 20_000,
                Affinity.isSupported(), true, (t, e) -> reported.add(e), 4, 0, false));
        groups.add(g);
        int cpu = EngineTesting.cpu();
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        g.execute(cpu, () -> {
            stuck.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(stuck.await(10, TimeUnit.SECONDS)).isTrue();
        java.util.concurrent.ExecutorService exec = g.executor(cpu);
        int execAccepted = 0;
        for (int i = 0; i < 100; i++) {
            try {
                exec.execute(() -> { });
                execAccepted++;
            } catch (java.util.concurrent.RejectedExecutionException e) {
                break;
            }
        }
        ScheduledExecutorService sched = g.scheduler(cpu);
        int schedAccepted = 0;
        for (int i = 0; i < 10_000; i++) {
            try {
                sched.execute(() -> { });
                schedAccepted++;
            } catch (java.util.concurrent.RejectedExecutionException e) {
                break;
            }
        }
        long queued = g.stats(cpu).queued();
        release.countDown();
        assertThat("executor view accepted " + execAccepted + ", scheduler view accepted " + schedAccepted
                + ", queued " + queued)
                .as("capacity 4 behind a stuck lane").matches("executor view accepted [0-4], scheduler view accepted [0-4], .*");
    }
}
