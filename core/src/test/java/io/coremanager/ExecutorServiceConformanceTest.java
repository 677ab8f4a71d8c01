package io.coremanager;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * The {@link ExecutorService}, {@link Future} and {@link AutoCloseable} contracts, written from their
 * Javadoc and run against the JDK's {@code Executors.newSingleThreadExecutor()} as a control and
 * against {@link CoreManager#executor(int)} views of a one-lane and a two-lane manager. Whatever the
 * control passes, the view must pass too (issue 10). The managers' watchdog is off: a test that
 * blocks a lane on purpose is no stall to report.
 *
 * <p>Every blocking task here waits on {@link #gate}, which {@link #releaseEverything()} opens after
 * each test, so a test that fails leaves nothing blocked behind it. Every wait is bounded; a call
 * that might hang (close, awaitTermination) runs in a helper thread whose result is awaited with a
 * named bound. The class timeout runs each test in a separate thread, so even a hang the bounds
 * missed fails the test instead of the build.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ExecutorServiceConformanceTest {

    /** The bound on anything that should happen promptly: generous, for a loaded 2-cpu machine. */
    private static final long WAIT_S = 15;

    /** The executors under test. */
    enum Kind {
        CONTROL("control: Executors.newSingleThreadExecutor()") {
            @Override
            ExecutorService open(List<CoreManager> managers) {
                return Executors.newSingleThreadExecutor();
            }
        },
        VIEW_OF_ONE_LANE("cores.executor(0) of a one-lane manager") {
            @Override
            ExecutorService open(List<CoreManager> managers) {
                CoreManager cores = CoreManager.builder().cpus(CpuSet.of(0)).stallThreshold(Duration.ZERO).build();
                managers.add(cores);
                return cores.executor(0);
            }
        },
        VIEW_OF_TWO_LANES("cores.executor(1) of a two-lane manager") {
            @Override
            ExecutorService open(List<CoreManager> managers) {
                CoreManager cores = CoreManager.builder().cpus(CpuSet.of(0, 1)).stallThreshold(Duration.ZERO).build();
                managers.add(cores);
                return cores.executor(1);
            }
        };

        private final String description;

        Kind(String description) {
            this.description = description;
        }

        abstract ExecutorService open(List<CoreManager> managers);

        @Override
        public String toString() {
            return description;
        }
    }

    /** Every blocking task of a test waits for this; opened after each test. */
    private final CountDownLatch gate = new CountDownLatch(1);
    private final List<CoreManager> managers = new ArrayList<>();
    private final List<ExecutorService> executors = new ArrayList<>();

    private ExecutorService open(Kind kind) {
        ExecutorService e = kind.open(managers);
        executors.add(e);
        return e;
    }

    @AfterEach
    void releaseEverything() throws InterruptedException {
        gate.countDown();
        List<String> stuck = new ArrayList<>();
        for (ExecutorService e : executors) {
            e.shutdownNow();
            if (!e.awaitTermination(WAIT_S, TimeUnit.SECONDS)) {
                stuck.add(e.toString());
            }
        }
        for (CoreManager m : managers) {
            m.shutdownNow();
            if (!m.awaitTermination(Duration.ofSeconds(WAIT_S))) {
                stuck.add(m.toString());
            }
        }
        Thread.interrupted(); // a test that interrupted itself leaves no trace in the next one
        assertThat(stuck).as("executors and managers that did not terminate after the test").isEmpty();
    }

    // ---------------------------------------------------------------- helpers

    /** A task that says it started, waits for the gate, and records an interrupt. */
    private final class Blocker implements Callable<String>, Runnable {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch interrupted = new CountDownLatch(1);
        final CountDownLatch finished = new CountDownLatch(1);

        @Override
        public String call() throws InterruptedException {
            started.countDown();
            try {
                gate.await();
                return "released";
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            } finally {
                finished.countDown();
            }
        }

        @Override
        public void run() {
            try {
                call();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        boolean wasInterrupted() {
            return interrupted.getCount() == 0;
        }
    }

    /** A task that counts its runs. */
    private static final class Counting implements Callable<Integer>, Runnable {
        final AtomicInteger runs = new AtomicInteger();

        @Override
        public Integer call() {
            return runs.incrementAndGet();
        }

        @Override
        public void run() {
            runs.incrementAndGet();
        }
    }

    /** A blocking call made in a thread of its own, so the test can bound it and interrupt it. */
    private record Call<T>(Thread thread, FutureTask<T> result) {
        T await(String what) throws InterruptedException, ExecutionException {
            try {
                return result.get(WAIT_S, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                return fail(what + ": did not return within " + WAIT_S + " s (the thread is " + thread.getState() + ")");
            }
        }
    }

    private static <T> Call<T> inThread(String name, Callable<T> body) {
        FutureTask<T> result = new FutureTask<>(body);
        Thread thread = Thread.ofPlatform().name(name).daemon(true).start(result);
        return new Call<>(thread, result);
    }

    private static void await(CountDownLatch latch, String what) throws InterruptedException {
        assertThat(latch.await(WAIT_S, TimeUnit.SECONDS)).as("%s within %d s", what, WAIT_S).isTrue();
    }

    private static void awaitTermination(ExecutorService e) throws InterruptedException {
        assertThat(e.awaitTermination(WAIT_S, TimeUnit.SECONDS)).as("%s terminates within %d s", e, WAIT_S).isTrue();
    }

    // ---------------------------------------------------------------- lifecycle: shutdown

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void aNewExecutorIsNeitherShutDownNorTerminated(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        assertThat(e.isShutdown()).isFalse();
        assertThat(e.isTerminated()).isFalse();
        assertThat(e.awaitTermination(10, TimeUnit.MILLISECONDS)).as("awaitTermination before shutdown").isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void shutdownRunsThePreviouslySubmittedTasksAndTerminatesAfterThem(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        Future<String> running = e.submit((Callable<String>) blocker);
        Counting queued = new Counting();
        Future<Integer> later = e.submit((Callable<Integer>) queued);
        await(blocker.started, "the first task started");

        e.shutdown();

        assertThat(e.isShutdown()).as("isShutdown after shutdown").isTrue();
        assertThat(e.isTerminated()).as("isTerminated while a task runs").isFalse();
        assertThat(e.awaitTermination(20, TimeUnit.MILLISECONDS)).as("awaitTermination while a task runs").isFalse();
        gate.countDown();
        awaitTermination(e);
        assertThat(e.isTerminated()).isTrue();
        assertThat(running.get()).isEqualTo("released");
        assertThat(later.get()).as("the task queued before shutdown ran").isEqualTo(1);
        assertThat(blocker.wasInterrupted()).as("shutdown interrupts nothing").isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void shutdownOfAnIdleExecutorTerminatesItAndIsIdempotent(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        e.shutdown();
        e.shutdown();
        awaitTermination(e);
        assertThat(e.isShutdown()).isTrue();
        assertThat(e.isTerminated()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void everyWayToSubmitIsRejectedAfterShutdown(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        e.shutdown();
        Counting task = new Counting();
        assertThatThrownBy(() -> e.execute(task)).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> e.submit((Runnable) task)).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> e.submit(task, "result")).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> e.submit((Callable<Integer>) task)).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> e.invokeAll(List.of(task))).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> e.invokeAll(List.of(task), WAIT_S, TimeUnit.SECONDS))
                .isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> e.invokeAny(List.of(task))).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> e.invokeAny(List.of(task), WAIT_S, TimeUnit.SECONDS))
                .isInstanceOf(RejectedExecutionException.class);
        awaitTermination(e);
        assertThat(task.runs).as("rejected tasks never run").hasValue(0);
    }

    // ---------------------------------------------------------------- lifecycle: shutdownNow

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void shutdownNowReturnsTheTasksThatNeverStartedAndTheyNeverRun(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        e.execute(blocker);
        Counting first = new Counting();
        Counting second = new Counting();
        e.execute(first);
        e.execute(second);
        await(blocker.started, "the first task started");

        List<Runnable> neverStarted = e.shutdownNow();

        assertThat(neverStarted).containsExactly(first, second);
        assertThat(e.isShutdown()).isTrue();
        gate.countDown(); // whether or not the running task answered the interrupt
        awaitTermination(e);
        assertThat(first.runs).hasValue(0);
        assertThat(second.runs).hasValue(0);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void shutdownNowInterruptsTheRunningTaskAndTheExecutorTerminatesWithoutOtherHelp(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        Future<String> f = e.submit((Callable<String>) blocker);
        await(blocker.started, "the task started");

        e.shutdownNow();

        await(blocker.interrupted, "shutdownNow interrupted the running task");
        awaitTermination(e);
        assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(InterruptedException.class);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void shutdownNowOfAnIdleExecutorReturnsNothingAndTerminatesIt(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        assertThat(e.submit(() -> "done").get(WAIT_S, TimeUnit.SECONDS)).isEqualTo("done");
        assertThat(e.shutdownNow()).isEmpty();
        awaitTermination(e);
        assertThat(e.isShutdown()).isTrue();
        assertThat(e.isTerminated()).isTrue();
        assertThatThrownBy(() -> e.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
    }

    // ---------------------------------------------------------------- awaitTermination

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void awaitTerminationReturnsFalseWhenTheTimeRunsOut(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        e.execute(blocker);
        await(blocker.started, "the task started");
        e.shutdown();
        long start = System.nanoTime();
        assertThat(e.awaitTermination(50, TimeUnit.MILLISECONDS)).isFalse();
        assertThat(System.nanoTime() - start).as("it waited the time given").isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
        assertThat(e.awaitTermination(0, TimeUnit.NANOSECONDS)).as("a zero timeout").isFalse();
        assertThat(e.awaitTermination(-1, TimeUnit.SECONDS)).as("a negative timeout").isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void awaitTerminationWithTheLargestTimeoutsReturnsTrueOnceTerminated(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        e.execute(blocker);
        await(blocker.started, "the task started");
        e.shutdown();
        Call<Boolean> waiter = inThread("awaits-max-nanos", () -> e.awaitTermination(Long.MAX_VALUE, TimeUnit.NANOSECONDS));
        Call<Boolean> waiterDays = inThread("awaits-max-days", () -> e.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS));
        gate.countDown();
        assertThat(waiter.await("awaitTermination(Long.MAX_VALUE, NANOSECONDS)")).isTrue();
        assertThat(waiterDays.await("awaitTermination(Long.MAX_VALUE, DAYS)")).isTrue();
        assertThat(e.awaitTermination(Long.MAX_VALUE, TimeUnit.NANOSECONDS)).as("once terminated").isTrue();
        assertThat(e.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS)).as("once terminated").isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void awaitTerminationThrowsInterruptedExceptionWhenTheCallerIsInterrupted(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Call<Throwable> waiter = inThread("awaits-interrupted", () -> {
            Thread.currentThread().interrupt();
            try {
                e.awaitTermination(WAIT_S, TimeUnit.SECONDS);
                return null;
            } catch (InterruptedException expected) {
                return expected;
            }
        });
        assertThat(waiter.await("awaitTermination of an interrupted caller")).isInstanceOf(InterruptedException.class);
    }

    // ---------------------------------------------------------------- close

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void closeWaitsUntilEverySubmittedTaskHasRunAndTheExecutorHasTerminated(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        e.execute(blocker);
        Counting queued = new Counting();
        e.execute(queued);
        await(blocker.started, "the first task started");
        Call<Boolean> closer = inThread("closer", () -> {
            e.close();
            return e.isTerminated();
        });
        assertThat(closer.result().isDone()).as("close returned while a task was blocked").isFalse();
        gate.countDown();
        assertThat(closer.await("close()")).as("terminated when close returns").isTrue();
        assertThat(queued.runs).as("the queued task ran before close returned").hasValue(1);
        assertThat(blocker.wasInterrupted()).as("close without an interrupt interrupts nothing").isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void closeInterruptedWhileWaitingStopsTheRunningTaskThenReassertsTheInterrupt(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        e.execute(blocker);
        await(blocker.started, "the task started");
        Call<Boolean> closer = inThread("closer", () -> {
            e.close();
            return Thread.currentThread().isInterrupted();
        });
        closer.thread().interrupt();
        await(blocker.interrupted, "close, interrupted, stopped the running task as shutdownNow does");
        assertThat(closer.await("close() after its caller was interrupted")).as("the interrupt is re-asserted").isTrue();
        assertThat(e.isTerminated()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void closeOfAnIdleExecutorReturnsAndIsIdempotent(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Call<Boolean> closer = inThread("closer", () -> {
            e.close();
            e.close();
            return e.isTerminated() && e.isShutdown();
        });
        assertThat(closer.await("close() twice")).isTrue();
    }

    // ---------------------------------------------------------------- invokeAll

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void invokeAllReturnsEveryFutureDoneInTheOrderGiven(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        List<Callable<Integer>> tasks = List.of(() -> 1, () -> 2, () -> 3);
        List<Future<Integer>> futures = e.invokeAll(tasks);
        assertThat(futures).hasSize(3).allSatisfy(f -> assertThat(f.isDone()).isTrue());
        assertThat(futures.stream().map(Future::resultNow).toList()).containsExactly(1, 2, 3);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void invokeAllReturnsAFailedFutureForATaskThatThrows(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        IllegalStateException boom = new IllegalStateException("thrown by the test");
        List<Callable<Integer>> tasks = List.of(() -> 1, () -> {
            throw boom;
        }, () -> 3);
        List<Future<Integer>> futures = e.invokeAll(tasks);
        assertThat(futures).allSatisfy(f -> assertThat(f.isDone()).isTrue());
        assertThat(futures.get(0).get()).isEqualTo(1);
        assertThatThrownBy(() -> futures.get(1).get()).isInstanceOf(ExecutionException.class).hasCause(boom);
        assertThat(futures.get(2).get()).isEqualTo(3);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void invokeAllOfNoTasksReturnsAnEmptyList(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        assertThat(e.invokeAll(List.<Callable<Integer>>of())).isEmpty();
        assertThat(e.invokeAll(List.<Callable<Integer>>of(), 1, TimeUnit.SECONDS)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void invokeAllWithANullTaskOrCollectionThrowsNullPointerException(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        List<Callable<Integer>> withNull = Arrays.asList(() -> 1, null);
        assertThatThrownBy(() -> e.invokeAll(withNull)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> e.invokeAll(withNull, WAIT_S, TimeUnit.SECONDS)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> e.invokeAll(null)).isInstanceOf(NullPointerException.class);
        e.shutdown();
        awaitTermination(e);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void invokeAllWithATimeoutCancelsTheTasksNotDoneInTime(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        Counting neverStarted = new Counting();
        List<Callable<Object>> tasks = List.of(() -> "quick", Executors.callable(blocker), Executors.callable(neverStarted));
        long start = System.nanoTime();

        List<Future<Object>> futures = e.invokeAll(tasks, 2, TimeUnit.SECONDS);

        assertThat(System.nanoTime() - start).as("it waited the time given").isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(2));
        assertThat(futures).hasSize(3).allSatisfy(f -> assertThat(f.isDone()).isTrue());
        assertThat(futures.get(0).isCancelled()).as("the task done in time").isFalse();
        assertThat(futures.get(0).get()).isEqualTo("quick");
        assertThat(futures.get(1).isCancelled()).as("the running task").isTrue();
        assertThat(futures.get(2).isCancelled()).as("the task that never started").isTrue();
        await(blocker.interrupted, "the running task was cancelled by interrupt");
        e.shutdown();
        awaitTermination(e);
        assertThat(neverStarted.runs).hasValue(0);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void invokeAllWithATimeoutReturnsEveryResultWhenInTime(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        List<Future<Integer>> futures = e.invokeAll(List.of(() -> 1, () -> 2), WAIT_S, TimeUnit.SECONDS);
        assertThat(futures).noneMatch(Future::isCancelled);
        assertThat(futures.stream().map(Future::resultNow).toList()).containsExactly(1, 2);
    }

    // ---------------------------------------------------------------- invokeAny

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void invokeAnyReturnsTheResultOfATaskThatSucceeded(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        List<Callable<Integer>> tasks = List.of(() -> {
            throw new IllegalStateException("thrown by the test");
        }, () -> 42);
        assertThat(e.invokeAny(tasks)).isEqualTo(42);
        assertThat(e.invokeAny(tasks, WAIT_S, TimeUnit.SECONDS)).isEqualTo(42);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void invokeAnyThrowsExecutionExceptionWhenEveryTaskFails(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        List<Callable<Integer>> tasks = List.of(() -> {
            throw new IllegalStateException("first");
        }, () -> {
            throw new IllegalStateException("second");
        });
        assertThatThrownBy(() -> e.invokeAny(tasks)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> e.invokeAny(tasks, WAIT_S, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void invokeAnyOfNoTasksThrowsIllegalArgumentException(Kind kind) {
        ExecutorService e = open(kind);
        assertThatThrownBy(() -> e.invokeAny(List.<Callable<Integer>>of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> e.invokeAny(List.<Callable<Integer>>of(), 1, TimeUnit.SECONDS))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void invokeAnyWithANullTaskOrCollectionThrowsNullPointerException(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        List<Callable<Integer>> nullFirst = Arrays.asList(null, () -> 1);
        assertThatThrownBy(() -> e.invokeAny(nullFirst)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> e.invokeAny(nullFirst, WAIT_S, TimeUnit.SECONDS)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> e.invokeAny(null)).isInstanceOf(NullPointerException.class);
        e.shutdown();
        awaitTermination(e);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void invokeAnyWithATimeoutThrowsTimeoutExceptionAndCancelsTheRunningTask(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        assertThatThrownBy(() -> e.invokeAny(List.<Callable<String>>of(blocker), 100, TimeUnit.MILLISECONDS))
                .isInstanceOf(TimeoutException.class);
        await(blocker.interrupted, "the task left running by invokeAny was cancelled by interrupt");
        e.shutdown();
        awaitTermination(e);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void invokeAnyCancelsTheOtherTasksOnceOneSucceeded(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        List<Callable<String>> tasks = List.of(() -> "first", blocker);
        assertThat(e.invokeAny(tasks)).isEqualTo("first");
        e.shutdown();
        // The gate stays shut: the blocker either never started or was cancelled by interrupt.
        awaitTermination(e);
        assertThat(blocker.started.getCount() == 1 || blocker.wasInterrupted())
                .as("the other task never started, or was interrupted").isTrue();
    }

    // ---------------------------------------------------------------- Future

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void futureCancelTrueInterruptsTheRunningTask(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        Future<String> f = e.submit((Callable<String>) blocker);
        await(blocker.started, "the task started");

        assertThat(f.cancel(true)).isTrue();

        assertThat(f.isCancelled()).isTrue();
        assertThat(f.isDone()).isTrue();
        assertThat(f.state()).isEqualTo(Future.State.CANCELLED);
        await(blocker.interrupted, "cancel(true) interrupted the running task");
        assertThatThrownBy(f::get).isInstanceOf(CancellationException.class);
        assertThatThrownBy(() -> f.get(1, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
        assertThat(f.cancel(true)).as("a second cancel").isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void futureCancelFalseLetsTheRunningTaskFinishUninterrupted(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        Future<String> f = e.submit((Callable<String>) blocker);
        await(blocker.started, "the task started");

        assertThat(f.cancel(false)).isTrue();

        assertThat(f.isCancelled()).isTrue();
        assertThat(f.isDone()).isTrue();
        gate.countDown();
        await(blocker.finished, "the task finished");
        assertThat(blocker.wasInterrupted()).as("cancel(false) does not interrupt").isFalse();
        assertThatThrownBy(f::get).isInstanceOf(CancellationException.class);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void futureCancelledBeforeItsTaskStartedKeepsTheTaskFromRunning(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        e.execute(blocker);
        Counting queued = new Counting();
        Future<Integer> f = e.submit((Callable<Integer>) queued);
        await(blocker.started, "the first task started");

        assertThat(f.cancel(false)).isTrue();

        gate.countDown();
        e.shutdown();
        awaitTermination(e);
        assertThat(queued.runs).hasValue(0);
        assertThat(f.isCancelled()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void futureGetWithATimeoutThrowsTimeoutExceptionThenReturnsTheResultOnceDone(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        Future<String> f = e.submit((Callable<String>) blocker);
        await(blocker.started, "the task started");
        assertThatThrownBy(() -> f.get(20, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        assertThat(f.isDone()).isFalse();
        assertThat(f.state()).isEqualTo(Future.State.RUNNING);
        gate.countDown();
        assertThat(f.get(WAIT_S, TimeUnit.SECONDS)).isEqualTo("released");
        assertThat(f.isDone()).isTrue();
        assertThat(f.isCancelled()).isFalse();
        assertThat(f.cancel(true)).as("cancel after completion").isFalse();
        assertThat(f.isCancelled()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void futureOfATaskThatThrowsFailsWithExecutionExceptionCarryingTheCause(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        IllegalStateException boom = new IllegalStateException("thrown by the test");
        Future<Object> f = e.submit(() -> {
            throw boom;
        });
        assertThatThrownBy(() -> f.get(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).hasCause(boom);
        assertThat(f.isDone()).isTrue();
        assertThat(f.isCancelled()).isFalse();
        assertThat(f.exceptionNow()).isSameAs(boom);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void submitOfARunnableWithAResultReturnsThatResult(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Counting task = new Counting();
        assertThat(e.submit(task, "result").get(WAIT_S, TimeUnit.SECONDS)).isEqualTo("result");
        assertThat(e.submit((Runnable) task).get(WAIT_S, TimeUnit.SECONDS)).isNull();
        assertThat(task.runs).hasValue(2);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void nullTasksAreRefusedWithNullPointerException(Kind kind) {
        ExecutorService e = open(kind);
        assertThatThrownBy(() -> e.execute(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> e.submit((Runnable) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> e.submit((Callable<?>) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> e.submit(null, "result")).isInstanceOf(NullPointerException.class);
    }

    // ---------------------------------------------------------------- interrupts do not leak

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void aTaskCancelledByInterruptDoesNotLeaveTheNextTaskInterrupted(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        Blocker blocker = new Blocker();
        Future<String> f = e.submit((Callable<String>) blocker);
        await(blocker.started, "the task started");
        f.cancel(true);
        await(blocker.finished, "the cancelled task finished");
        assertThat(e.submit(() -> Thread.currentThread().isInterrupted()).get(WAIT_S, TimeUnit.SECONDS))
                .as("the next task starts interrupted").isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void aTaskThatInterruptsItselfDoesNotLeaveTheNextTaskInterrupted(Kind kind) throws Exception {
        ExecutorService e = open(kind);
        e.execute(() -> Thread.currentThread().interrupt());
        assertThat(e.submit(() -> Thread.currentThread().isInterrupted()).get(WAIT_S, TimeUnit.SECONDS))
                .as("the next task starts interrupted").isFalse();
    }
}
