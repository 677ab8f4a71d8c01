package io.coremanager;

import io.coremanager.affinity.Affinity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The API and lifecycle of {@link CoreManager}, on this machine's CPUs. */
class CoreManagerTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private final List<CoreManager> managers = new ArrayList<>();

    private CoreManager manager() {
        CoreManager m = CoreManager.create();
        managers.add(m);
        return m;
    }

    @AfterEach
    void closeAll() throws InterruptedException {
        for (CoreManager m : managers) {
            m.shutdownNow();
            assertThat(m.awaitTermination(WAIT)).as("%s terminates", m).isTrue();
        }
    }

    @Test
    void carriersNameThemselvesInTheKernelSoTheOsToolsTellLanesApart() throws Exception {
        assumeTrue(Affinity.isSupported(), "needs thread ids and prctl");
        CoreManager cores = manager();
        for (int cpu : cores.cpus().toArray()) {
            int tid = cores.submit(cpu, Affinity::currentThreadId).get(30, TimeUnit.SECONDS);
            String comm = Files.readString(Path.of("/proc/self/task/" + tid + "/comm")).strip();
            assertThat(comm).as("the kernel's name of cpu %d's carrier", cpu).isEqualTo("cm-cpu-" + cpu);
            assertThat(cores.stats(cpu).carrier()).as("its Java name").isEqualTo("coremanager-cpu-" + cpu);
        }
    }

    @Test
    void managesEveryUsableCpuByDefault() {
        CoreManager cores = manager();
        assertThat(cores.cpus()).isEqualTo(cores.topology().usableCpus());
        assertThat(cores.stats()).allSatisfy(s -> {
            assertThat(cores.pinnedNow(s.cpu())).as("lane %d pinned", s.cpu()).isTrue();
            assertThat(s.pinProblem()).isNull();
            assertThat(s.carrier()).isEqualTo("coremanager-cpu-" + s.cpu());
        });
    }

    @Test
    void submitReturnsTheResultAndExecuteRuns() throws Exception {
        CoreManager cores = manager();
        int cpu = cores.cpus().last();
        assertThat(cores.submit(cpu, () -> 6 * 7).get()).isEqualTo(42);
        CountDownLatch ran = new CountDownLatch(1);
        cores.execute(cpu, ran::countDown);
        assertThat(ran.await(30, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> done = cores.submit(cpu, (Runnable) () -> { });
        assertThat(done.get()).isNull();
        assertThat(io.coremanager.testing.Settled.stats(cores, cpu, s -> s.completed() >= 3).completed())
                .isGreaterThanOrEqualTo(3);
    }

    @Test
    void submitToAllRunsOncePerCpuInOrder() {
        CoreManager cores = manager();
        List<CompletableFuture<Integer>> all = cores.submitToAll(CoreManager::currentCpu);
        assertThat(all.stream().map(CompletableFuture::join).toList())
                .containsExactlyElementsOf(cores.cpus().stream().boxed().toList());
    }

    @Test
    void aThrowingTaskFailsItsFutureAndTheLaneGoesOn() throws Exception {
        CoreManager cores = manager();
        int cpu = cores.cpus().first();
        CompletableFuture<Object> failed = cores.submit(cpu, () -> {
            throw new IllegalStateException("boom");
        });
        assertThatThrownBy(failed::get).isInstanceOf(ExecutionException.class).hasRootCauseMessage("boom");
        CompletableFuture<Object> overflow = cores.submit(cpu, () -> recurse(0));
        assertThatThrownBy(overflow::get).hasCauseInstanceOf(StackOverflowError.class);
        assertThat(cores.submit(cpu, () -> "still alive").get()).isEqualTo("still alive");
        assertThat(io.coremanager.testing.Settled.stats(cores, cpu, s -> s.failed() >= 2).failed()).isEqualTo(2);
    }

    private static int recurse(int depth) {
        return recurse(depth + 1) + 1;
    }

    @Test
    void executeFailuresGoToTheHandler() throws Exception {
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        CountDownLatch handled = new CountDownLatch(1);
        CoreManager cores = CoreManager.builder()
                .uncaughtExceptionHandler((thread, e) -> {
                    seen.add(thread.getName() + ": " + e.getMessage());
                    handled.countDown();
                }).build();
        managers.add(cores);
        int cpu = cores.cpus().first();
        cores.execute(cpu, () -> {
            throw new IllegalArgumentException("bad");
        });
        assertThat(handled.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(seen).containsExactly("coremanager-cpu-" + cpu + ": bad");
        assertThat(cores.submit(cpu, () -> 1).get()).isEqualTo(1);
    }

    @Test
    void anInterruptedTaskDoesNotLeakItsInterruptToTheNext() throws Exception {
        CoreManager cores = manager();
        int cpu = cores.cpus().first();
        cores.submit(cpu, () -> Thread.currentThread().interrupt()).get();
        assertThat(cores.submit(cpu, () -> Thread.currentThread().isInterrupted()).get()).isFalse();
    }

    @Test
    void aCpuThatIsNotManagedIsNamedWithTheManagedOnes() {
        CoreManager cores = CoreManager.builder().cpus(CpuSet.of(CoreManager.create().cpus().first())).build();
        managers.add(cores);
        String managed = cores.cpus().toString();
        assertThatThrownBy(() -> cores.submit(99, () -> 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cpu 99 is not managed here; managed cpus: " + managed);
        assertThatThrownBy(() -> cores.execute(-1, () -> { })).hasMessageContaining("cpu -1 is not managed here");
        assertThatThrownBy(() -> cores.go(1000, () -> { })).hasMessageContaining("cpu 1000 is not managed here");
        assertThatThrownBy(() -> cores.executor(99)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> cores.stats(99)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void afterShutdownNewWorkIsRejected() throws Exception {
        CoreManager cores = manager();
        int cpu = cores.cpus().first();
        cores.shutdown();
        assertThat(cores.isShutdown()).isTrue();
        assertThatThrownBy(() -> cores.submit(cpu, () -> 1)).isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("is shut down");
        assertThatThrownBy(() -> cores.execute(cpu, () -> { })).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> cores.go(cpu, () -> { })).isInstanceOf(RejectedExecutionException.class);
        assertThat(cores.threadFactory(cpu).newThread(() -> { })).isNull();
        assertThat(cores.awaitTermination(WAIT)).isTrue();
        assertThat(cores.isTerminated()).isTrue();
    }

    @Test
    void closeRunsEveryAcceptedTaskAndWaitsForVirtualThreads() throws Exception {
        CoreManager cores = CoreManager.create();
        int cpu = cores.cpus().first();
        AtomicInteger ran = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        Thread vt = cores.go(cpu, () -> {
            try {
                release.await();
                Thread.sleep(20);
                ran.incrementAndGet();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        List<CompletableFuture<Integer>> futures = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            futures.add(cores.submit(cpu, ran::incrementAndGet));
        }
        Thread closer = Thread.ofPlatform().start(cores::close);
        Thread.sleep(10);
        assertThat(closer.isAlive()).as("close waits for the virtual thread").isTrue();
        release.countDown();
        closer.join(WAIT.toMillis());
        assertThat(closer.isAlive()).isFalse();
        assertThat(vt.isAlive()).isFalse();
        assertThat(ran).hasValue(1001);
        assertThat(futures).allSatisfy(f -> assertThat(f).isCompleted());
        assertThat(cores.isTerminated()).isTrue();
        cores.close(); // idempotent
    }

    @Test
    void closeWhileProducersSubmitLosesNothing() throws Exception {
        for (int round = 0; round < 5; round++) {
            CoreManager cores = CoreManager.create();
            AtomicInteger ran = new AtomicInteger();
            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger rejected = new AtomicInteger();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                producers.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        for (int i = 0; ; i++) {
                            cores.execute(cores.cpus().get(i % cores.cpus().size()), ran::incrementAndGet);
                            accepted.incrementAndGet();
                        }
                    } catch (RejectedExecutionException e) {
                        rejected.incrementAndGet();
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }));
            }
            go.countDown();
            Thread.sleep(5);
            cores.close();
            for (Thread p : producers) {
                p.join(WAIT.toMillis());
            }
            assertThat(rejected).hasValue(4);
            assertThat(ran.get()).as("every accepted task ran exactly once").isEqualTo(accepted.get());
        }
    }

    @Test
    void shutdownNowHandsBackUnstartedTasksFailsTheirFuturesAndInterruptsTheRunningOne() throws Exception {
        CoreManager cores = CoreManager.create();
        int cpu = cores.cpus().first();
        CountDownLatch blocking = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Object> running = cores.submit(cpu, () -> {
            started.countDown();
            blocking.await();
            return "finished";
        });
        started.await();
        List<CompletableFuture<Integer>> queued = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            queued.add(cores.submit(cpu, () -> 1));
        }
        Runnable plain = () -> { };
        cores.execute(cpu, plain);
        CountDownLatch interrupted = new CountDownLatch(1);
        cores.go(cpu, () -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                interrupted.countDown();
            }
        });
        List<Runnable> handedBack = cores.shutdownNow();
        assertThat(handedBack).hasSize(11).contains(plain);
        assertThat(queued).allSatisfy(f -> {
            assertThat(f).isCancelled();
            assertThatThrownBy(f::join).isInstanceOf(CancellationException.class)
                    .rootCause().hasMessage("CoreManager.shutdownNow() before this task started on cpu " + cpu);
        });
        // The running task is interrupted, as a ThreadPoolExecutor's would be (issue 10, item 1).
        assertThatThrownBy(running::get).isInstanceOf(java.util.concurrent.ExecutionException.class)
                .cause().isInstanceOf(InterruptedException.class);
        assertThat(interrupted.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(cores.awaitTermination(WAIT)).isTrue();
    }

    @Test
    void aNestedVirtualThreadThatOutlivesItsManagerStillRunsOnItsCpu() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.coremanager.testing.ProcWitness.available());
        CoreManager cores = CoreManager.create();
        int cpu = cores.cpus().last();
        CompletableFuture<Thread> nested = new CompletableFuture<>();
        CompletableFuture<io.coremanager.testing.Where> seen = new CompletableFuture<>();
        cores.go(cpu, () -> nested.complete(Thread.ofVirtual().start(() -> {
            java.util.concurrent.locks.LockSupport.park();
            seen.complete(io.coremanager.testing.Where.now("after close"));
        }))).join();
        cores.close(); // the nested thread is untracked and parked: the lane closes without it
        assertThat(cores.isTerminated()).isTrue();
        java.util.concurrent.locks.LockSupport.unpark(nested.get());
        assertThat(seen.get(30, TimeUnit.SECONDS).on(cpu)).as("%s", seen.get()).isTrue();
        nested.get().join();
    }

    @Test
    void awaitTerminationTimesOutWhileWorkRuns() throws Exception {
        CoreManager cores = manager();
        CountDownLatch release = new CountDownLatch(1);
        cores.go(cores.cpus().first(), () -> {
            try {
                release.await();
            } catch (InterruptedException ignored) {
                // shutdownNow in closeAll
            }
        });
        cores.shutdown();
        assertThat(cores.awaitTermination(Duration.ofMillis(50))).isFalse();
        release.countDown();
        assertThat(cores.awaitTermination(WAIT)).isTrue();
    }

    @Test
    void aTaskClosingItsOwnManagerDoesNotDeadlock() throws Exception {
        CoreManager cores = CoreManager.create();
        int cpu = cores.cpus().first();
        cores.submit(cpu, () -> {
            cores.close();
            return null;
        }).get(30, TimeUnit.SECONDS);
        assertThat(cores.awaitTermination(WAIT)).isTrue();
        CoreManager again = CoreManager.create();
        again.go(cpu, again::close).join(WAIT.toMillis());
        assertThat(again.awaitTermination(WAIT)).isTrue();
    }

    @Test
    void executorViewFollowsTheExecutorServiceContract() throws Exception {
        CoreManager cores = manager();
        int cpu = cores.cpus().last();
        ExecutorService view = cores.executor(cpu);
        Future<Integer> f = view.submit(CoreManager::currentCpu);
        assertThat(f.get()).isEqualTo(cpu);
        assertThat(view.invokeAll(List.of(() -> 1, () -> 2)).stream().map(x -> {
            try {
                return x.get();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).toList()).containsExactly(1, 2);
        java.util.concurrent.Callable<String> any = () -> "any";
        assertThat(view.invokeAny(List.of(any))).isEqualTo("any");
        CountDownLatch release = new CountDownLatch(1);
        view.execute(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        view.shutdown();
        assertThat(view.isShutdown()).isTrue();
        assertThatThrownBy(() -> view.execute(() -> { })).isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("executor of cpu " + cpu + " is shut down");
        assertThat(view.awaitTermination(20, TimeUnit.MILLISECONDS)).isFalse();
        release.countDown();
        assertThat(view.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(view.isTerminated()).isTrue();
        assertThat(cores.isShutdown()).as("the manager is untouched").isFalse();
        assertThat(cores.submit(cpu, () -> 1).get()).isEqualTo(1);
    }

    @Test
    void executorViewShutdownNowHandsBackOnlyItsOwnTasks() throws Exception {
        CoreManager cores = manager();
        int cpu = cores.cpus().first();
        ExecutorService view = cores.executor(cpu);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        cores.execute(cpu, () -> {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        started.await();
        CompletableFuture<Integer> managerTask = cores.submit(cpu, () -> 7);
        Runnable mine = () -> { };
        view.execute(mine);
        assertThat(view.shutdownNow()).containsExactly(mine);
        release.countDown();
        assertThat(managerTask.get()).isEqualTo(7);
        assertThat(view.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void executorViewRejectsAfterTheManagerShutsDown() {
        CoreManager cores = manager();
        ExecutorService view = cores.executor(cores.cpus().first());
        cores.shutdown();
        assertThatThrownBy(() -> view.execute(() -> { })).isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("CoreManager of cpus");
    }

    @Test
    void worksWithNewThreadPerTaskExecutorAndSupplyAsync() throws Exception {
        CoreManager cores = manager();
        int cpu = cores.cpus().last();
        try (ExecutorService perTask = Executors.newThreadPerTaskExecutor(cores.threadFactory(cpu))) {
            List<Future<int[]>> results = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                results.add(perTask.submit(() -> {
                    Thread.sleep(1);
                    return new int[] {CoreManager.currentCpu(), Thread.currentThread().isVirtual() ? 1 : 0};
                }));
            }
            for (Future<int[]> r : results) {
                assertThat(r.get()).containsExactly(cpu, 1);
            }
        }
        ExecutorService view = cores.executor(cpu);
        assertThat(CompletableFuture.supplyAsync(CoreManager::currentCpu, view).get()).isEqualTo(cpu);
        assertThat(CompletableFuture.supplyAsync(() -> 1, view).thenApplyAsync(x -> CoreManager.currentCpu(), view)
                .get()).isEqualTo(cpu);
    }

    @Test
    void statsCountTasksThreadsAndQueue() throws Exception {
        CoreManager cores = manager();
        int cpu = cores.cpus().first();
        for (int i = 0; i < 50; i++) {
            cores.submit(cpu, () -> 1).get();
        }
        cores.go(cpu, () -> { }).join();
        LaneStats s = io.coremanager.testing.Settled.stats(cores, cpu, x -> x.completed() >= 50 && x.continuations() > 0);
        assertThat(s.submitted()).isEqualTo(50);
        assertThat(s.completed()).isEqualTo(50);
        assertThat(s.failed()).isZero();
        assertThat(s.virtualThreadsStarted()).isEqualTo(1);
        assertThat(s.liveVirtualThreads()).isZero();
        assertThat(s.continuations()).isPositive();
        assertThat(s.queued()).isZero();
        assertThat(s.busyNanos()).isPositive();
    }

    @Test
    void cpuForIsStableAndSpreadsKeys() {
        CoreManager cores = manager();
        Map<Integer, Integer> perCpu = new HashMap<>();
        for (int key = 0; key < 10_000; key++) {
            int cpu = cores.cpuFor("user-" + key);
            assertThat(cores.cpuFor("user-" + key)).isEqualTo(cpu);
            assertThat(cores.cpus().contains(cpu)).isTrue();
            perCpu.merge(cpu, 1, Integer::sum);
        }
        assertThat(perCpu.keySet()).hasSize(cores.cpus().size());
        int expected = 10_000 / cores.cpus().size();
        assertThat(perCpu.values()).allSatisfy(n -> assertThat(n).isBetween(expected * 9 / 10, expected * 11 / 10));
        assertThat(cores.cpuFor(42L)).isEqualTo(cores.cpuFor(42L));
    }

    @Test
    void currentCpuIsWhereTheCallerRuns() throws Exception {
        CoreManager cores = manager();
        for (int cpu : cores.cpus().toArray()) {
            assertThat(cores.submit(cpu, CoreManager::currentCpu).get()).isEqualTo(cpu);
        }
    }

    @Test
    void dependentStagesSeeResultsAndFailures() {
        CoreManager cores = manager();
        CompletableFuture<Integer> f = cores.submit(cores.cpus().first(), () -> 1);
        assertThat(f.thenApply(x -> x + 1).join()).isEqualTo(2);
        assertThatThrownBy(() -> cores.submit(cores.cpus().first(), () -> {
            throw new IllegalStateException("x");
        }).join()).isInstanceOf(CompletionException.class);
    }
}
