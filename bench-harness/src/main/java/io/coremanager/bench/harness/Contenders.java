package io.coremanager.bench.harness;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.IdleStrategy;
import io.coremanager.topology.CpuTopology;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The contenders every benchmark compares, each set up to run work on one target CPU. */
public final class Contenders {

    /** CoreManager with its default idle strategy: the reference for the ratios. */
    public static final String COREMANAGER = "coremanager-spinThenPark";

    /** The floor: a pinned thread bouncing one cache line, or a spinning ring for hand-offs. */
    public static final String FLOOR = "floor";

    /** Every contender the CLI knows, in table order (the JMH suite adds OpenHFT). */
    public static final List<String> ALL = List.of(COREMANAGER, "coremanager-park", "coremanager-busySpin",
            "threadpool-pinned", "forkjoinpool-pinned", "virtual-threads", FLOOR);

    private static final Callable<Object> NOOP_CALLABLE = () -> null;
    private static final Runnable NOOP = () -> { };

    private Contenders() {
    }

    /**
     * The contender {@code name} on {@code targetCpu}, started.
     *
     * @param name one of {@link #ALL}
     * @param targetCpu the CPU the contender runs tasks on
     * @return the contender, started; the caller closes it
     * @throws IllegalArgumentException if {@code name} is not one of {@link #ALL}
     */
    public static Contender create(String name, int targetCpu) {
        return switch (name) {
            case COREMANAGER -> coreManager(name, IdleStrategy.spinThenPark(), targetCpu);
            case "coremanager-park" -> coreManager(name, IdleStrategy.park(), targetCpu);
            case "coremanager-busySpin" -> coreManager(name, IdleStrategy.busySpin(), targetCpu);
            case "threadpool-pinned" -> threadPool(targetCpu);
            case "forkjoinpool-pinned" -> forkJoinPool(targetCpu);
            case "virtual-threads" -> virtualThreads();
            case FLOOR -> floor(targetCpu);
            default -> throw new IllegalArgumentException("contender: " + name + " (expected one of " + ALL + ")");
        };
    }

    /**
     * A CoreManager of the given CPUs with an idle strategy, for benchmarks that span lanes.
     *
     * @param cpus the CPUs of its lanes
     * @param idle what its lanes do when they run out of work
     * @return the manager, built; the caller closes it
     */
    public static CoreManager manager(CpuSet cpus, IdleStrategy idle) {
        return CoreManager.builder().cpus(cpus).idleStrategy(idle).threadNamePrefix("bench-cpu-")
                .topology(CpuTopology.current()).build();
    }

    private static Contender coreManager(String name, IdleStrategy idle, int cpu) {
        CoreManager cores = manager(CpuSet.of(cpu), idle);
        return new Contender() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void roundTrip() {
                cores.submit(cpu, NOOP_CALLABLE).join();
            }

            @Override
            public void handOff(Runnable task) {
                cores.execute(cpu, task);
            }

            @Override
            public void close() {
                cores.close();
            }
        };
    }

    private static Contender threadPool(int cpu) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                Pinned.factory(cpu, "bench-threadpool-" + cpu));
        pool.prestartAllCoreThreads();
        return executorContender("threadpool-pinned", pool);
    }

    private static Contender forkJoinPool(int cpu) {
        ForkJoinPool pool = new ForkJoinPool(1, p -> new ForkJoinWorkerThread(p) {
            @Override
            protected void onStart() {
                super.onStart();
                Pinned.pin(cpu);
            }
        }, null, false);
        return executorContender("forkjoinpool-pinned", pool);
    }

    /**
     * A contender over any {@code ExecutorService}: for peers such as OpenHFT's factory in the JMH
     * suite. Closing it shuts the pool down and waits up to 10 seconds for it.
     *
     * @param name the name in tables
     * @param pool the executor that runs the tasks, already set up to run them on the target CPU
     * @return the contender
     */
    public static Contender executorContender(String name, ExecutorService pool) {
        return new Contender() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void roundTrip() throws Exception {
                pool.submit(NOOP_CALLABLE).get();
            }

            @Override
            public void handOff(Runnable task) {
                pool.execute(task);
            }

            @Override
            public void close() throws InterruptedException {
                pool.shutdown();
                pool.awaitTermination(10, TimeUnit.SECONDS);
            }
        };
    }

    private static Contender virtualThreads() {
        return new Contender() {
            @Override
            public String name() {
                return "virtual-threads";
            }

            @Override
            public void roundTrip() throws InterruptedException {
                Thread.startVirtualThread(NOOP).join();
            }

            @Override
            public void handOff(Runnable task) {
                Thread.startVirtualThread(task);
            }

            @Override
            public void close() {
            }
        };
    }

    private static Contender floor(int cpu) {
        Floor floor = new Floor(cpu);
        SpinRing ring = new SpinRing(cpu);
        return new Contender() {
            @Override
            public String name() {
                return FLOOR;
            }

            @Override
            public void roundTrip() {
                floor.roundTrip();
            }

            @Override
            public void handOff(Runnable task) {
                ring.offer(task);
            }

            @Override
            public void close() throws InterruptedException {
                floor.close();
                ring.close();
            }
        };
    }
}
