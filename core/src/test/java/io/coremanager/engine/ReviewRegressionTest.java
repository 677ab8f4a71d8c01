package io.coremanager.engine;

import io.coremanager.CpuSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.coremanager.engine.EngineTesting.closeWithin30s;
import static io.coremanager.engine.EngineTesting.cpu;
import static io.coremanager.engine.EngineTesting.group;
import static io.coremanager.engine.EngineTesting.reports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Regression tests from the adversarial review of the new engine: each reproduced a bug (the
 * method Javadoc describes the path) and asserts the behaviour the engine's Javadoc promises; each
 * failed on the engine before its fix.
 */
class ReviewRegressionTest {

    @AfterEach
    void noFaultsLeft() {
        EngineTesting.noFaults();
    }

    /**
     * LateCarrier.execute: when the late carrier cannot be started, the failing waker takes back only
     * its own continuation; a continuation queued by another waker while the start was in flight
     * (that waker saw active == true and returned) stays queued with active == false: nobody runs it.
     */
    @Test
    @Timeout(60)
    void anotherWakersContinuationRunsWhenALateCarrierCannotStart() throws Exception {
        Lanes group = group(reports());
        Lane lane = group.lane(cpu());
        closeWithin30s(group);

        CountDownLatch aInStart = new CountDownLatch(1);
        CountDownLatch bQueued = new CountDownLatch(1);
        AtomicReference<Thread> waker = new AtomicReference<>();
        Faults.install(p -> {
            if (p == Faults.Point.CARRIER_START && Thread.currentThread() == waker.get()) {
                aInStart.countDown();
                try {
                    bQueued.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                throw new OutOfMemoryError("unable to create native thread: injected");
            }
        });
        AtomicReference<Throwable> aGot = new AtomicReference<>();
        Thread a = new Thread(() -> {
            try {
                lane.execute(() -> { });
            } catch (Throwable t) {
                aGot.set(t);
            }
        });
        waker.set(a);
        a.start();
        assertThat(aInStart.await(10, TimeUnit.SECONDS)).isTrue();
        CountDownLatch bRan = new CountDownLatch(1);
        lane.execute(bRan::countDown); // another waker: a late carrier is "active", so it just queues
        bQueued.countDown();
        a.join(10_000);
        EngineTesting.noFaults();
        assertThat(aGot.get()).as("A's waker got the start failure (the JDK would retry A)").isInstanceOf(OutOfMemoryError.class);
        assertThat(bRan.await(5, TimeUnit.SECONDS)).as("B's continuation, accepted without error, runs").isTrue();
    }

    /**
     * Lanes.report: when the handler throws, report does failure.addSuppressed(thrown). A handler
     * that rethrows what it was given (legal: "any exception thrown by this method will be ignored")
     * makes that a self-suppression: IllegalArgumentException escapes report(). From runTask that
     * fails the loop; replaceAfter then reports again (before starting the replacement), the handler
     * rethrows again, report throws again, and the Error escapes Carrier.run(): no replacement, no
     * fail-closed. The lane accepts work and never runs it; close() hangs.
     */
    @Test
    @Timeout(60)
    void aHandlerThatRethrowsDoesNotKillTheCarrier() throws Exception {
        int cpu = cpu();
        Lanes group = Lanes.start(new Lanes.Config(CpuSet.of(cpu), "review-rethrow-", 20_000, false, true,
                (t, e) -> {
                    if (e instanceof RuntimeException r) {
                        throw r;
                    }
                    if (e instanceof Error er) {
                        throw er;
                    }
                }, 0, 0, false));
        Thread first = group.lane(cpu).carrier().thread();
        group.execute(cpu, () -> {
            throw new IllegalStateException("a task that throws");
        });
        CompletableFuture<Integer> f;
        try {
            f = group.submit(cpu, () -> 1);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            closeWithin30s(group);
            return; // failed closed: acceptable
        }
        try {
            assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo(1);
        } catch (TimeoutException e) {
            Thread carrier = group.lane(cpu).carrier().thread();
            throw new AssertionError("the lane accepted a task and never ran it; first carrier alive="
                    + first.isAlive() + ", carrier now " + carrier + " alive=" + (carrier != null && carrier.isAlive())
                    + ", failure=" + group.lane(cpu).failure() + ", replacements=" + group.lane(cpu).carrierReplacements(), e);
        }
        closeWithin30s(group);
    }

    /**
     * Lanes.start: a carrier that cannot be started for the second lane (unable to create native
     * thread) makes start() throw, leaving the first lane's carrier running for ever with nobody
     * holding the group (a non-daemon one keeps the JVM alive).
     */
    @Test
    @Timeout(60)
    void aCarrierStartFailureStopsTheCarriersAlreadyStarted() throws Exception {
        AtomicInteger starts = new AtomicInteger();
        Faults.install(p -> {
            if (p == Faults.Point.CARRIER_START && starts.incrementAndGet() == 2) {
                throw new OutOfMemoryError("unable to create native thread: injected");
            }
        });
        String prefix = "review-leak-" + System.nanoTime() + "-";
        assertThatThrownBy(() -> Lanes.start(new Lanes.Config(CpuSet.of(0, 1), prefix, 0, false, true,
                null, 0, 0, false))).isInstanceOf(OutOfMemoryError.class);
        EngineTesting.noFaults();
        Thread.sleep(200);
        assertThat(Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith(prefix)).toList())
                .as("no carrier of the group start() failed to return is left running").isEmpty();
    }

    /**
     * Self-wait detection covers the SubmittedTask itself only: a dependent stage
     * (thenApply(...).join()) of a task of the same lane, waited for on the lane's carrier, waits for
     * ever instead of failing with the IllegalStateException.
     */
    @Test
    @Timeout(60)
    void aCarrierJoiningADependentStageOfItsOwnLaneFailsAtOnce() throws Exception {
        Lanes group = group(reports());
        int cpu = cpu();
        CompletableFuture<Object> outer = group.submit(cpu, () -> {
            try {
                return group.submit(cpu, () -> 1).thenApply(x -> x).join();
            } catch (IllegalStateException e) {
                return e;
            }
        });
        Object result;
        try {
            result = outer.get(5, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            group.shutdownNow(); // hands the inner task back: the stage fails, the carrier is freed
            throw new AssertionError("the carrier waits for itself for ever: thenApply(...).join() on its own lane", e);
        }
        assertThat(result).isInstanceOf(IllegalStateException.class);
        closeWithin30s(group);
    }

    /**
     * Same for a view: invokeAny from a task on the lane's own carrier blocks in the completion
     * service's take(), never in LaneFutureTask.get, so it is never refused: it waits for ever.
     */
    @Test
    @Timeout(60)
    void aViewsInvokeAnyFromItsOwnCarrierFailsAtOnce() throws Exception {
        Lanes group = group(reports());
        int cpu = cpu();
        ExecutorService view = group.executor(cpu);
        CompletableFuture<Object> outer = group.submit(cpu, () -> {
            try {
                return view.invokeAny(List.<Callable<Integer>>of(() -> 1));
            } catch (IllegalStateException e) {
                return e;
            }
        });
        Object result;
        try {
            result = outer.get(5, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            group.shutdownNow(); // interrupts take()
            throw new AssertionError("invokeAny on the view's own carrier waits for ever", e);
        }
        assertThat(result).isInstanceOf(IllegalStateException.class);
        closeWithin30s(group);
    }

    /**
     * CarrierParking clears a stray interrupt only before it parks. A carrier that never parks (spin
     * idle strategy, or one still in its spin phase) keeps it, and the next user task starts
     * interrupted: issue 10 item 7's "the next task starts interrupted", still there for spinning lanes.
     */
    @Test
    @Timeout(60)
    void aStrayInterruptOfASpinningCarrierDoesNotReachTheNextTask() throws Exception {
        int cpu = cpu();
        Lanes group = Lanes.start(new Lanes.Config(CpuSet.of(cpu), "review-spin-", Long.MAX_VALUE, false, true,
                null, 0, 0, false));
        try {
            assertThat(group.submit(cpu, () -> 1).get(10, TimeUnit.SECONDS)).isEqualTo(1);
            Thread.sleep(50); // the carrier spins idle
            group.lane(cpu).carrier().thread().interrupt(); // a stray interrupt (a late one, user code)
            Thread.sleep(50);
            boolean interrupted = group.submit(cpu, () -> Thread.currentThread().isInterrupted()).get(10, TimeUnit.SECONDS);
            assertThat(interrupted).as("the next task starts with the stray interrupt set").isFalse();
        } finally {
            closeWithin30s(group);
        }
    }

    /**
     * Issue 10 item 11 ("a task cancelled before it started counts as completed") is fixed for
     * SubmittedTask only: a view's submit() future (a FutureTask) cancelled while queued is still
     * run by the carrier (FutureTask.run returns at once), ViewTask.runCatching returns null, and
     * the carrier counts it completed, not cancelled.
     */
    @Test
    @Timeout(60)
    void aViewTaskCancelledBeforeItStartedIsNotCountedAsCompleted() throws Exception {
        Lanes group = group(reports());
        int cpu = cpu();
        ExecutorService view = group.executor(cpu);
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.Future<?> blocker = view.submit(() -> {
            running.countDown();
            release.await();
            return null;
        });
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        java.util.concurrent.Future<?> queued = view.submit(() -> "never");
        assertThat(queued.cancel(false)).isTrue();
        release.countDown();
        blocker.get(10, TimeUnit.SECONDS);
        view.shutdown();
        assertThat(view.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        closeWithin30s(group);
        io.coremanager.LaneStats stats = group.stats(cpu);
        assertThat(stats.completed()).as("completed: only the blocker ran").isEqualTo(1);
        assertThat(stats.cancelled()).as("cancelled: the one cancelled before it started").isEqualTo(1);
    }

    /**
     * LateCarrier.execute sets active = true, then calls warnOnce (string concatenation and a
     * System.Logger call) outside the try that undoes it. An Error there (an OutOfMemoryError, the
     * condition that also makes "unable to create native thread"; or a throwing logging filter, as
     * here) leaves active == true with no late carrier: every later late continuation of that lane
     * is queued and never run (issue 10 item 8's symptom, by another path). The JDK's retry after an
     * OOM only queues the same continuation again.
     */
    @Test
    @Timeout(60)
    void anErrorInTheLateCarriersWarningDoesNotStopLaterLateWakeUps() throws Exception {
        Lanes group = group(reports());
        Lane lane = group.lane(cpu());
        closeWithin30s(group);
        Class<?> loggerClass = Class.forName("java.util.logging.Logger");
        Class<?> filterClass = Class.forName("java.util.logging.Filter");
        Object jul = loggerClass.getMethod("getLogger", String.class).invoke(null, "io.coremanager");
        AtomicInteger throwsLeft = new AtomicInteger(1);
        Object filter = java.lang.reflect.Proxy.newProxyInstance(filterClass.getClassLoader(), new Class<?>[] {filterClass},
                (proxy, method, args) -> {
                    if (method.getName().equals("isLoggable")) {
                        Object message = args[0].getClass().getMethod("getMessage").invoke(args[0]);
                        if (String.valueOf(message).contains("temporary carrier") && throwsLeft.getAndDecrement() > 0) {
                            throw new OutOfMemoryError("injected: the late carrier's warning could not allocate");
                        }
                        return true;
                    }
                    return method.getName().equals("hashCode") ? 0 : method.getName().equals("equals") ? proxy == args[0] : "filter";
                });
        loggerClass.getMethod("setFilter", filterClass).invoke(jul, filter);
        try {
            CountDownLatch firstRan = new CountDownLatch(1);
            assertThatThrownBy(() -> lane.execute(firstRan::countDown)).isInstanceOf(OutOfMemoryError.class);
            CountDownLatch secondRan = new CountDownLatch(1);
            lane.execute(secondRan::countDown);
            assertThat(secondRan.await(5, TimeUnit.SECONDS)).as("a later late continuation runs").isTrue();
        } finally {
            loggerClass.getMethod("setFilter", filterClass).invoke(jul, (Object) null);
        }
    }
}
