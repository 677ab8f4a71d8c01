package io.coremanager;

import io.coremanager.affinity.Affinity;
import io.coremanager.engine.Lanes;
import io.coremanager.topology.CpuTopology;
import io.coremanager.topology.NumaNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The platform threads that run a manager's offloaded blocking calls ({@link CoreManager#offload}),
 * placed off the lanes' CPUs.
 *
 * <h2>Placement</h2>
 * The spare CPUs are the usable ones (online, allowed, not isolated) that no lane of the manager
 * has. Each lane's calls go to a pool on the spare CPUs of the lane's NUMA node, or on all the spare
 * CPUs where that node has none or the topology names no node; lanes with the same set share one
 * pool. If no CPU is spare, the pools run on the usable CPUs, beside the lanes, and the first offload
 * says so once in the log. Each thread restricts itself to its pool's CPUs as it starts
 * ({@code sched_setaffinity}); where that fails it says so once and runs unrestricted.
 *
 * <h2>Pools</h2>
 * One {@link ThreadPoolExecutor} per set of CPUs, with a fixed number of daemon threads made on
 * demand and retired after {@value #KEEP_ALIVE_SECONDS} s idle, and an unbounded queue. Threads are
 * named {@code offload-n<node>-<k>} ({@code offload-<k>} off any one node), which Linux shows in
 * full, then {@code /} and the manager's thread-name prefix.
 *
 * <h2>Lifecycle</h2>
 * Calls from the manager's lane code are accepted until the lanes have terminated (lane code that
 * finishes during a graceful shutdown may still offload); calls from other threads are rejected
 * once the manager is shut down. The pools shut down once the lanes have terminated
 * ({@link #shutdown()}, from {@code close} and {@code awaitTermination}): accepted calls still run.
 * {@link #shutdownNow()} interrupts running calls and fails queued ones with a
 * {@link CancellationException}.
 *
 * <p>Thread-safe: the pools are made at construction and never replaced.
 */
final class OffloadPools {

    private static final System.Logger LOG = System.getLogger("io.coremanager");
    static final long KEEP_ALIVE_SECONDS = 30;

    private final Lanes lanes;
    private final CpuSet managed;
    /** The pool of each lane, by CPU number; null for CPUs not managed. */
    private final Pool[] poolOfCpu;
    private final List<Pool> pools;
    /** Why the pools run beside the lanes, or null; logged once, at the first offload. */
    private final String noSpareCpus;
    private final AtomicBoolean warnedNoSpare = new AtomicBoolean();
    private final AtomicBoolean warnedPin = new AtomicBoolean();
    /** Live offload threads, so close() from one of them does not wait for itself. */
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

    OffloadPools(Lanes lanes, CpuTopology topology, CpuSet managed, String namePrefix, int threadsPerPool, boolean pin) {
        this.lanes = lanes;
        this.managed = managed;
        CpuSet usable = topology.usableCpus();
        CpuSet spare = usable.minus(managed);
        if (spare.isEmpty()) {
            spare = usable.isEmpty() ? managed : usable;
            noSpareCpus = "no cpu is left off the lanes (usable cpus " + usable + ", lanes on " + managed
                    + "): offloaded blocking calls run on cpus " + spare + ", beside the lanes; leave a cpu out of "
                    + "the manager to keep them off the lanes' cpus";
        } else {
            noSpareCpus = null;
        }
        Map<CpuSet, Pool> bySet = new LinkedHashMap<>();
        this.poolOfCpu = new Pool[managed.last() + 1];
        for (int cpu : managed.toArray()) {
            OptionalInt node = topology.nodeOf(cpu);
            CpuSet onNode = node.isPresent() ? spare.intersect(nodeCpus(topology, node.getAsInt())) : CpuSet.of();
            CpuSet where = onNode.isEmpty() ? spare : onNode;
            String name = onNode.isEmpty() ? "offload-" : "offload-n" + node.getAsInt() + "-";
            int threads = threadsPerPool > 0 ? threadsPerPool : Math.min(256, Math.max(4, 4 * where.size()));
            poolOfCpu[cpu] = bySet.computeIfAbsent(where, w -> new Pool(w, name, "/" + namePrefix, threads, pin));
        }
        this.pools = List.copyOf(bySet.values());
    }

    private static CpuSet nodeCpus(CpuTopology topology, int node) {
        for (NumaNode n : topology.nodes()) {
            if (n.id() == node) {
                return n.cpus();
            }
        }
        return CpuSet.of();
    }

    /**
     * Runs {@code call} on the pool of {@code cpu}'s lane and completes {@code future} with it: on
     * that lane ({@link Lanes#resumeOn}) when {@code resumeOnLane}, else on the offload thread.
     *
     * @throws RejectedExecutionException if the pools no longer accept calls
     */
    <T> void execute(int cpu, Callable<? extends T> call, CompletableFuture<T> future, boolean resumeOnLane) {
        if (noSpareCpus != null && warnedNoSpare.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, noSpareCpus);
        }
        Pool pool = poolOfCpu[cpu];
        pool.executor.execute(new Call<>(call, future, resumeOnLane ? cpu : -1, lanes));
    }

    /** The CPUs the calls of {@code cpu}'s lane run on. */
    CpuSet cpusOf(int cpu) {
        return poolOfCpu[cpu].cpus;
    }

    boolean isOffloadThread(Thread thread) {
        return threads.contains(thread);
    }

    /** Accepted calls still run; new ones are rejected. Idempotent. */
    void shutdown() {
        for (Pool pool : pools) {
            pool.executor.shutdown();
        }
    }

    /** Interrupts the running calls and fails the queued ones. */
    void shutdownNow() {
        for (Pool pool : pools) {
            for (Runnable queued : pool.executor.shutdownNow()) {
                if (queued instanceof Call<?> call) {
                    call.future.completeExceptionally(new CancellationException(
                            "CoreManager.shutdownNow() before this offloaded call started"));
                }
            }
        }
    }

    boolean isTerminated() {
        for (Pool pool : pools) {
            if (!pool.executor.isTerminated()) {
                return false;
            }
        }
        return true;
    }

    boolean awaitTermination(long nanos) throws InterruptedException {
        long start = System.nanoTime();
        for (Pool pool : pools) {
            long left = Math.max(0, nanos - (System.nanoTime() - start)); // no deadline sum: nanos may be Long.MAX_VALUE
            if (!pool.executor.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        List<String> sets = new ArrayList<>();
        for (Pool pool : pools) {
            sets.add(pool.cpus + " x" + pool.executor.getMaximumPoolSize());
        }
        return "OffloadPools[lanes " + managed + ", pools on " + String.join(", ", sets) + "]";
    }

    /** One pool: the executor and the CPUs its threads run on. */
    private final class Pool {
        final CpuSet cpus;
        final ThreadPoolExecutor executor;
        private final AtomicInteger serial = new AtomicInteger();

        Pool(CpuSet cpus, String name, String suffix, int size, boolean pin) {
            this.cpus = cpus;
            this.executor = new ThreadPoolExecutor(size, size, KEEP_ALIVE_SECONDS, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(),
                    task -> Thread.ofPlatform().name(name + serial.incrementAndGet() + suffix).daemon(true)
                            .inheritInheritableThreadLocals(false).unstarted(() -> runPinned(task, pin)),
                    (task, executor) -> {
                        throw new RejectedExecutionException("the offload pool of CoreManager of cpus " + managed
                                + " is shut down; it accepts no new blocking calls");
                    });
            this.executor.allowCoreThreadTimeOut(true);
        }

        private void runPinned(Runnable worker, boolean pin) {
            Thread self = Thread.currentThread();
            threads.add(self);
            try {
                if (pin && Affinity.isSupported()) {
                    try {
                        Affinity.set(cpus);
                    } catch (RuntimeException e) {
                        if (warnedPin.compareAndSet(false, true)) {
                            LOG.log(System.Logger.Level.WARNING, "offload thread " + self.getName()
                                    + " could not restrict itself to cpus " + cpus + " (" + e.getMessage()
                                    + "); offloaded calls run wherever the kernel places them");
                        }
                    }
                }
                worker.run();
            } finally {
                threads.remove(self);
            }
        }
    }

    /** One offloaded call and where its result goes. */
    private static final class Call<T> implements Runnable {
        private final Callable<? extends T> call;
        final CompletableFuture<T> future;
        /** The lane to complete the future on, or -1 to complete it on the offload thread. */
        private final int resumeCpu;
        private final Lanes lanes;

        Call(Callable<? extends T> call, CompletableFuture<T> future, int resumeCpu, Lanes lanes) {
            this.call = Objects.requireNonNull(call, "call");
            this.future = future;
            this.resumeCpu = resumeCpu;
            this.lanes = lanes;
        }

        @Override
        public void run() {
            if (future.isDone()) {
                return; // cancelled before it started
            }
            T result;
            try {
                result = call.call();
            } catch (Throwable t) {
                deliver(() -> future.completeExceptionally(t)); // its report: the caller sees it, Errors included
                return;
            }
            deliver(() -> future.complete(result));
        }

        private void deliver(Runnable completion) {
            if (resumeCpu < 0) {
                completion.run();
                return;
            }
            try {
                lanes.resumeOn(resumeCpu, completion);
            } catch (Throwable t) {
                completion.run(); // nothing was queued (see Lanes.resumeOn): complete here rather than never
            }
        }
    }
}
