package io.coremanager;

import io.coremanager.affinity.Affinity;
import io.coremanager.isolation.LaneIsolator;
import io.coremanager.reservation.CpuReservation;
import io.coremanager.reservation.CpuReservations;
import io.coremanager.scheduling.Lane;
import io.coremanager.scheduling.SubmittedTask;
import io.coremanager.scheduling.VirtualThreadHook;
import io.coremanager.topology.CpuTopology;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs work on the CPUs you choose. For every managed CPU it keeps a lane: a queue and one carrier
 * platform thread pinned to that CPU. Work sent to a CPU runs there:
 *
 * <pre>{@code
 * try (CoreManager cores = CoreManager.builder().cpus(CpuSet.parse("0-3")).build()) {
 *     CompletableFuture<Integer> f = cores.submit(2, () -> work());   // runs on CPU 2
 *     cores.execute(3, () -> log());                                  // fire and forget on CPU 3
 *     Thread t = cores.go(1, () -> serve(socket));                    // core-affine virtual thread
 *     ExecutorService e = cores.executor(0);                          // tasks on CPU 0
 *     ThreadFactory vf = cores.threadFactory(0);                      // core-affine virtual threads
 *     List<CompletableFuture<Long>> all = cores.submitToAll(() -> localCount()); // every CPU
 *     int home = cores.cpuFor(userId);                                // stable key -> CPU
 * }
 * }</pre>
 *
 * <h2>Two kinds of work</h2>
 * <ul>
 *   <li><b>Tasks</b> ({@link #execute}, {@link #submit}, {@link #executor}) run to completion on the
 *       carrier, one after another. A task that blocks holds up its lane: block in a virtual
 *       thread instead.</li>
 *   <li><b>Core-affine virtual threads</b> ({@link #go}, {@link #threadFactory}) are JDK virtual
 *       threads whose scheduler is the lane: they run on the lane's CPU for their whole life,
 *       across {@code sleep}, {@code park}, socket and file I/O, {@code synchronized},
 *       {@code Thread.yield} and timed waits, interleaved with the lane's tasks. A virtual thread
 *       started with {@code Thread.ofVirtual()} inside one inherits its lane. Nothing compensates
 *       for a blocking native call: it stalls the CPU's lane until it returns.</li>
 * </ul>
 * Core-affine virtual threads need {@code --add-opens java.base/java.lang=ALL-UNNAMED}; without it
 * {@code go} runs its task on a platform thread pinned to the CPU (and says so once), unless the
 * builder requires real virtual threads.
 *
 * <h2>Lifecycle</h2>
 * RUNNING → SHUTDOWN ({@link #shutdown()}, {@link #close()}: no new work; accepted tasks run;
 * core-affine virtual threads finish) → STOP ({@link #shutdownNow()}: queued tasks handed back,
 * virtual threads interrupted) → TERMINATED (every carrier has left; {@link #awaitTermination}).
 * Every accepted task runs exactly once, or its future fails with a reason, or
 * {@code shutdownNow} hands it back. After shutdown, new work gets
 * {@link RejectedExecutionException}.
 *
 * <h2>Threads and memory</h2>
 * All methods are thread-safe. Submitting a task happens-before it runs; a task's completion
 * happens-before its future completes. A task that throws never kills its carrier: its future
 * fails, or (for {@code execute}) the builder's uncaught-exception handler sees it.
 */
public final class CoreManager implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("io.coremanager");
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(CoreManager.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** {@link Lane#RUNNING}, {@link Lane#SHUTDOWN} or {@link Lane#STOP}; only ever increases (CAS). */
    private volatile int state = Lane.RUNNING;

    private final CpuSet cpus;
    private final int[] cpuList;
    /** The lane of each managed CPU, indexed by CPU number; null for CPUs not managed. */
    private final Lane[] laneOfCpu;
    private final List<Lane> lanes;
    private final CountDownLatch terminated;
    private final CpuTopology topology;
    private final IdleStrategy idleStrategy;
    private final String namePrefix;
    private final Thread.UncaughtExceptionHandler handler;
    private final long stallThresholdNanos;
    private final boolean interruptStalled;
    /** Lanes not yet terminated; the last one to go ends isolation and exclusivity (see endIsolation). */
    private final AtomicInteger lanesLeft;
    /** The lanes' CPU reservations under {@code exclusive(true)}; null otherwise. Set once in build(). */
    private volatile CpuReservation reservation;
    /** Keeps the JVM's other threads off the lanes under {@code isolate(true)}; null otherwise. Set once in build(). */
    private volatile LaneIsolator isolator;

    private CoreManager(Builder b, CpuTopology topology, CpuSet cpus, boolean pin) {
        this.cpus = cpus;
        this.cpuList = cpus.toArray();
        this.topology = topology;
        this.idleStrategy = b.idleStrategy;
        this.namePrefix = b.namePrefix;
        this.handler = b.handler;
        this.stallThresholdNanos = b.stallThreshold.toNanos();
        this.interruptStalled = b.interruptStalled;
        this.laneOfCpu = new Lane[cpus.last() + 1];
        this.terminated = new CountDownLatch(cpuList.length);
        this.lanesLeft = new AtomicInteger(cpuList.length);
        List<Lane> all = new ArrayList<>();
        Control control = new Control();
        for (int cpu : cpuList) {
            Lane lane = new Lane(cpu, namePrefix + cpu, control, b.idleStrategy.spinNanos(), pin, b.daemon, b.handler,
                    b.queueCapacity);
            laneOfCpu[cpu] = lane;
            all.add(lane);
        }
        this.lanes = List.copyOf(all);
    }

    /**
     * A manager of every CPU this process may use: online, allowed (cgroup cpuset, {@code taskset})
     * and not isolated, with the default settings.
     */
    public static CoreManager create() {
        return builder().build();
    }

    /** A builder: which CPUs, names, handlers, idle strategy, strictness. */
    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- work

    /**
     * Runs {@code task} on {@code cpu}, fire and forget. If it throws, the builder's uncaught-exception
     * handler sees the exception (by default it is logged) and the lane goes on.
     *
     * @throws IllegalArgumentException if {@code cpu} is not managed (the message lists the managed CPUs)
     * @throws RejectedExecutionException after shutdown
     */
    public void execute(int cpu, Runnable task) {
        Objects.requireNonNull(task, "task");
        Lane lane = lane(cpu);
        checkRunning();
        if (!lane.offer(Lane.executed(task, this))) {
            throw rejected();
        }
    }

    /**
     * Runs {@code task} on {@code cpu}; the future completes with its result or its exception.
     * Cancelling the future before the task starts keeps it from running.
     *
     * @throws IllegalArgumentException if {@code cpu} is not managed
     * @throws RejectedExecutionException after shutdown
     */
    public <T> CompletableFuture<T> submit(int cpu, Callable<T> task) {
        Objects.requireNonNull(task, "task");
        Lane lane = lane(cpu);
        checkRunning();
        SubmittedTask<T> future = lane.submitted(task, this);
        if (!lane.offer(future)) {
            throw rejected();
        }
        return future;
    }

    /**
     * Runs {@code task} on {@code cpu}; the future completes when it has run.
     *
     * @throws IllegalArgumentException if {@code cpu} is not managed
     * @throws RejectedExecutionException after shutdown
     */
    public CompletableFuture<Void> submit(int cpu, Runnable task) {
        Objects.requireNonNull(task, "task");
        return submit(cpu, () -> {
            task.run();
            return null;
        });
    }

    /**
     * Runs {@code task} on every managed CPU, once each.
     *
     * @return one future per CPU, in {@link #cpus()} order
     * @throws RejectedExecutionException after shutdown
     */
    public <T> List<CompletableFuture<T>> submitToAll(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        List<CompletableFuture<T>> futures = new ArrayList<>(cpuList.length);
        for (int cpu : cpuList) {
            futures.add(submit(cpu, task));
        }
        return Collections.unmodifiableList(futures);
    }

    /**
     * Starts a core-affine virtual thread on {@code cpu}: it runs there for its whole life.
     * {@link #close()} waits for it to end; {@link #shutdownNow()} interrupts it.
     *
     * @return the started thread
     * @throws IllegalArgumentException if {@code cpu} is not managed
     * @throws RejectedExecutionException after shutdown
     */
    public Thread go(int cpu, Runnable task) {
        Objects.requireNonNull(task, "task");
        Lane lane = lane(cpu);
        warnIfNoVirtualThreadHook();
        lane.countStarting(); // before the state check: see Lane's termination notes
        if (state != Lane.RUNNING) {
            lane.threadEnded();
            throw rejected();
        }
        Thread thread;
        try {
            thread = lane.newThread(task, true);
            thread.start();
        } catch (RuntimeException | Error e) {
            lane.threadEnded();
            throw e;
        }
        return thread;
    }

    /**
     * An {@link ExecutorService} whose tasks run on {@code cpu}. Each call returns a new view with
     * its own lifecycle: shutting it down, closing it or awaiting its termination concerns only the
     * tasks submitted through it, never the manager. It rejects tasks once either is shut down.
     *
     * @throws IllegalArgumentException if {@code cpu} is not managed
     */
    public ExecutorService executor(int cpu) {
        return new LaneExecutorService(this, lane(cpu));
    }

    /**
     * A factory of core-affine virtual threads on {@code cpu}, unstarted: for
     * {@code Executors.newThreadPerTaskExecutor}, structured concurrency, or any framework that
     * takes a {@code ThreadFactory}. Once the manager is shut down it returns {@code null} (a
     * rejection, as the {@code ThreadFactory} contract allows).
     *
     * @throws IllegalArgumentException if {@code cpu} is not managed
     */
    public ThreadFactory threadFactory(int cpu) {
        Lane lane = lane(cpu);
        return task -> {
            Objects.requireNonNull(task, "task");
            warnIfNoVirtualThreadHook();
            return state == Lane.RUNNING ? lane.newThread(task, false) : null;
        };
    }

    /**
     * The CPU of {@code key}: the same key gets the same CPU for the manager's life, and keys spread
     * evenly over the managed CPUs. The key's {@code hashCode}, spread by MurmurHash3's finalizer,
     * picks a lane by jump consistent hash (Lamping and Veach, 2014) over {@link #cpus()} in order:
     * between managers of n and n+1 CPUs only about 1/(n+1) of the keys move.
     */
    public int cpuFor(Object key) {
        Objects.requireNonNull(key, "key");
        return cpuFor((long) key.hashCode());
    }

    /** {@link #cpuFor(Object)} for a primitive key, without boxing. */
    public int cpuFor(long key) {
        return cpuList[KeySharding.bucket(key, cpuList.length)];
    }

    // ---------------------------------------------------------------- queries

    /** The managed CPUs. */
    public CpuSet cpus() {
        return cpus;
    }

    /** The topology the manager's CPUs were chosen from. */
    public CpuTopology topology() {
        return topology;
    }

    /** The idle strategy of the lanes. */
    public IdleStrategy idleStrategy() {
        return idleStrategy;
    }

    /**
     * The statistics of {@code cpu}'s lane, including whether its carrier is pinned now.
     *
     * @throws IllegalArgumentException if {@code cpu} is not managed
     */
    public LaneStats stats(int cpu) {
        Lane lane = lane(cpu);
        Thread carrier = lane.carrier();
        return new LaneStats(cpu, carrier == null ? "" : carrier.getName(), lane.pinnedNow(), lane.pinProblem(),
                lane.submitted(), lane.completed(), lane.failed(), lane.queued(), lane.liveVirtualThreads(),
                lane.virtualThreadsStarted(), lane.continuations(), lane.busyNanos(), lane.stalls(),
                lane.longestStallNanos(), lane.carrierReplacements());
    }

    /** The statistics of every lane, in CPU order. */
    public List<LaneStats> stats() {
        List<LaneStats> all = new ArrayList<>(cpuList.length);
        for (int cpu : cpuList) {
            all.add(stats(cpu));
        }
        return all;
    }

    /**
     * The lane isolator under {@link Builder#isolate(boolean)}: what its last sweep moved, skipped and
     * could not move, or why it could not start.
     *
     * @return the isolator, or empty if isolation is off or the manager has terminated
     */
    public Optional<LaneIsolator> isolator() {
        return Optional.ofNullable(isolator);
    }

    /** The CPU the calling thread runs on now ({@code sched_getcpu}), or -1 where unknown. */
    public static int currentCpu() {
        return Affinity.currentCpu();
    }

    // ---------------------------------------------------------------- lifecycle

    /** Stops accepting work; accepted tasks still run and virtual threads finish. Does not wait. */
    public void shutdown() {
        advanceState(Lane.SHUTDOWN);
    }

    /**
     * Stops accepting work, takes back the tasks that have not started (their futures fail with a
     * {@link java.util.concurrent.CancellationException} saying so) and interrupts the core-affine
     * virtual threads. Does not wait; tasks already running finish.
     *
     * @return the tasks that never started: {@code execute}'s tasks as given, {@code submit}'s
     *     futures (running one does nothing: it is already cancelled)
     */
    public List<Runnable> shutdownNow() {
        advanceState(Lane.STOP);
        List<Runnable> handedBack = new ArrayList<>();
        for (Lane lane : lanes) {
            lane.takeBack(null, "CoreManager.shutdownNow() before this task started on cpu " + lane.cpu(), handedBack);
            lane.interruptThreads();
            lane.wakeIfParked();
        }
        return handedBack;
    }

    /**
     * Waits until every lane has terminated: no task queued or running, every core-affine virtual
     * thread ended, every carrier gone.
     *
     * @return true if terminated, false if the time ran out
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Whether {@link #shutdown()} or {@link #shutdownNow()} was called. */
    public boolean isShutdown() {
        return state != Lane.RUNNING;
    }

    /** Whether every lane has terminated. */
    public boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    /**
     * Shuts down and waits for termination: every accepted task runs, every core-affine virtual
     * thread finishes, then the carriers stop. Idempotent. If interrupted while waiting it calls
     * {@link #shutdownNow()}, keeps waiting, and restores the interrupt status. Called from the
     * manager's own work (a task or one of its virtual threads), it shuts down without waiting, since
     * the caller is part of what it would wait for.
     */
    @Override
    public void close() {
        shutdown();
        if (isOwnThread(Thread.currentThread())) {
            return;
        }
        boolean interrupted = false;
        while (!isTerminated()) {
            try {
                terminated.await();
            } catch (InterruptedException e) {
                if (!interrupted) {
                    shutdownNow();
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        int s = state;
        String name = isTerminated() ? "TERMINATED" : s == Lane.RUNNING ? "RUNNING" : s == Lane.SHUTDOWN ? "SHUTDOWN" : "STOP";
        return "CoreManager[cpus " + cpus + ", " + name + ", " + idleStrategy + "]";
    }

    // ---------------------------------------------------------------- internals

    /** The lane of {@code cpu}; the one place that checks a CPU argument. */
    Lane lane(int cpu) {
        Lane lane = cpu >= 0 && cpu < laneOfCpu.length ? laneOfCpu[cpu] : null;
        if (lane == null) {
            throw new IllegalArgumentException("cpu " + cpu + " is not managed here; managed cpus: " + cpus);
        }
        return lane;
    }

    boolean isRunning() {
        return state == Lane.RUNNING;
    }

    private void checkRunning() {
        if (state != Lane.RUNNING) {
            throw rejected();
        }
    }

    RejectedExecutionException rejected() {
        String reason = "CoreManager of cpus " + cpus + " is shut down; it accepts no new work";
        io.coremanager.scheduling.LaneEvents.rejection(-1, reason);
        return new RejectedExecutionException(reason);
    }

    private void advanceState(int target) {
        int current;
        while ((current = state) < target) {
            if (STATE.compareAndSet(this, current, target)) {
                break;
            }
        }
        for (Lane lane : lanes) {
            lane.wakeIfParked(); // carriers re-check whether they may leave
        }
    }

    private boolean isOwnThread(Thread thread) {
        for (Lane lane : lanes) {
            if (lane.carrier() == thread || lane.liveThreads().contains(thread)) {
                return true;
            }
        }
        return false;
    }

    private void warnIfNoVirtualThreadHook() {
        if (!VirtualThreadHook.isAvailable()) {
            warnOnce("no-vthread-hook", "core-affine virtual threads are unavailable: "
                    + VirtualThreadHook.unavailableReason()
                    + ". Until then go() and threadFactory() run each task on a platform thread pinned to its cpu.");
        }
    }

    static void warnOnce(String key, String message) {
        if (WARNED.add(key)) {
            LOG.log(System.Logger.Level.WARNING, message);
        }
    }

    /** Whether {@code tid} is one of this manager's carriers: the one place that knows the manager's own tids. */
    private boolean isOwnCarrierTid(int tid) {
        for (Lane lane : lanes) {
            if (lane.carrierTid() == tid) {
                return true;
            }
        }
        return false;
    }

    /** Starts isolation once the carriers run; under strict isolation a refusal closes the manager. */
    private void startIsolation(Builder b) {
        if (!b.isolate) {
            return;
        }
        try {
            isolator = LaneIsolator.start(cpus, this::isOwnCarrierTid, b.isolationInterval, b.strictIsolation);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Ends isolation (restoring masks) and releases exclusive CPUs; called by the last lane to terminate. */
    private void endIsolation() {
        LaneIsolator i = isolator;
        if (i != null) {
            i.close();
        }
        CpuReservation r = reservation;
        if (r != null) {
            r.close();
        }
    }

    private void startLanes(boolean requirePinning) {
        try {
            for (Lane lane : lanes) {
                lane.start();
            }
        } catch (InterruptedException e) {
            shutdownNow();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the lanes", e);
        }
        if (stallThresholdNanos > 0) {
            Thread.ofPlatform().name(namePrefix + "watchdog").daemon(true)
                    .start(new StallWatchdog(this, lanes, stallThresholdNanos, interruptStalled));
        }
        List<String> problems = new ArrayList<>();
        for (Lane lane : lanes) {
            if (lane.pinProblem() != null) {
                problems.add("cpu " + lane.cpu() + ": " + lane.pinProblem());
            }
        }
        if (problems.isEmpty()) {
            return;
        }
        if (requirePinning) {
            close();
            throw new IllegalStateException("cannot pin the lanes (requirePinning is set): " + String.join("; ", problems));
        }
        warnOnce("unpinned-" + cpus, "lanes run unpinned (stats() shows which): " + String.join("; ", problems));
    }

    /** The manager's side of its lanes. */
    private final class Control implements Lane.Control {
        @Override
        public int state() {
            return state;
        }

        @Override
        public void laneTerminated(Lane lane) {
            if (lanesLeft.decrementAndGet() == 0) {
                endIsolation(); // before the count reaches 0: close() returns with the masks restored
            }
            terminated.countDown();
        }

        @Override
        public void report(Lane lane, Thread thread, Throwable failure) {
            if (handler != null) {
                try {
                    handler.uncaughtException(thread, failure);
                    return;
                } catch (Throwable t) {
                    failure.addSuppressed(t);
                }
            }
            LOG.log(System.Logger.Level.WARNING, "a task on cpu " + lane.cpu() + " threw", failure);
        }

        @Override
        public void warnOnce(String key, String message) {
            CoreManager.warnOnce(key, message);
        }
    }

    // ---------------------------------------------------------------- builder

    /**
     * Builds a {@link CoreManager}: which CPUs (an explicit set, or a {@link Placement} on the
     * topology), thread names, the uncaught-exception handler, the idle strategy, and how strict to
     * be where the platform cannot pin or cannot make core-affine virtual threads. Not thread-safe.
     */
    public static final class Builder {
        private CpuSet cpus;
        private Placement placement = Placement.allUsable();
        private boolean includeIsolated;
        private CpuTopology topology;
        private String namePrefix = "coremanager-cpu-";
        private Thread.UncaughtExceptionHandler handler;
        private IdleStrategy idleStrategy = IdleStrategy.spinThenPark();
        private boolean requirePinning;
        private boolean requireVirtualThreads;
        private boolean daemon = true;
        private long queueCapacity;
        private Duration stallThreshold = Duration.ofSeconds(1);
        private boolean interruptStalled;
        private boolean isolate;
        private Duration isolationInterval = LaneIsolator.DEFAULT_INTERVAL;
        private boolean strictIsolation;
        private CpuReservations exclusive;

        private Builder() {
        }

        /**
         * Bounds each lane's queue: once {@code capacity} entries wait on a lane, {@code execute},
         * {@code submit} and the executor views throw {@link RejectedExecutionException} naming the
         * lane, rather than queue without end behind a stuck or overloaded lane. Wake-ups of
         * virtual threads are never refused. 0 (the default) is unbounded.
         *
         * @throws IllegalArgumentException if {@code capacity} is negative
         */
        public Builder queueCapacity(long capacity) {
            if (capacity < 0) {
                throw new IllegalArgumentException("capacity: " + capacity + " (expected: 0 for unbounded, or more)");
            }
            this.queueCapacity = capacity;
            return this;
        }

        /**
         * How long one task or virtual-thread step may hold a lane's carrier before the watchdog
         * reports a stall (the log, {@link LaneStats#stalls()}, a JFR {@code io.coremanager.LaneStall}
         * event with the offender's stack). One second by default; {@link Duration#ZERO} turns the
         * watchdog off.
         *
         * @throws IllegalArgumentException if {@code threshold} is negative
         */
        public Builder stallThreshold(Duration threshold) {
            Objects.requireNonNull(threshold, "threshold");
            if (threshold.isNegative()) {
                throw new IllegalArgumentException("threshold: " + threshold + " (expected: zero to turn off, or more)");
            }
            this.stallThreshold = threshold;
            return this;
        }

        /**
         * Whether the watchdog interrupts what stalls a lane (the carrier, and the lane's running
         * virtual threads). Off by default: it only reports. Interrupting is a request, as always:
         * a busy loop or a native call that ignores it goes on.
         */
        public Builder interruptStalled(boolean interrupt) {
            this.interruptStalled = interrupt;
            return this;
        }

        /**
         * Manages exactly these CPUs. Each must exist, be online, be allowed for this process and
         * not be isolated (unless {@link #includeIsolated(boolean)}); {@link #build()} says which
         * are not and why. Replaces any {@link #placement}.
         */
        public Builder cpus(CpuSet cpus) {
            this.cpus = Objects.requireNonNull(cpus, "cpus");
            return this;
        }

        /** Chooses the CPUs from the topology: see {@link Placement}. Replaces any {@link #cpus}. */
        public Builder placement(Placement placement) {
            this.placement = Objects.requireNonNull(placement, "placement");
            this.cpus = null;
            return this;
        }

        /**
         * Whether isolated CPUs ({@code isolcpus}, {@code nohz_full}) may be managed. Off by
         * default: an isolated CPU is set aside by the administrator, often for exactly this kind
         * of pinned work; say so explicitly to use it.
         */
        public Builder includeIsolated(boolean includeIsolated) {
            this.includeIsolated = includeIsolated;
            return this;
        }

        /** The topology to place lanes on; by default {@link CpuTopology#current()}. */
        public Builder topology(CpuTopology topology) {
            this.topology = Objects.requireNonNull(topology, "topology");
            return this;
        }

        /** Carrier threads are named prefix + CPU ({@code coremanager-cpu-3}), virtual threads prefix + CPU + {@code -vt-N}. */
        public Builder threadNamePrefix(String prefix) {
            this.namePrefix = Objects.requireNonNull(prefix, "prefix");
            return this;
        }

        /**
         * Sees what {@code execute} tasks throw, and what core-affine virtual threads do not catch.
         * By default the first are logged through {@code System.Logger} ("io.coremanager") and the
         * second follow the JDK's default handling.
         */
        public Builder uncaughtExceptionHandler(Thread.UncaughtExceptionHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /** What idle carriers do; {@link IdleStrategy#spinThenPark()} by default. */
        public Builder idleStrategy(IdleStrategy idleStrategy) {
            this.idleStrategy = Objects.requireNonNull(idleStrategy, "idleStrategy");
            return this;
        }

        /**
         * If true, {@link #build()} fails where a carrier cannot be pinned (an unsupported
         * platform, a refused {@code sched_setaffinity}). By default lanes then run unpinned, the
         * manager says so once, and {@link CoreManager#stats()} shows which lanes are unpinned.
         */
        public Builder requirePinning(boolean requirePinning) {
            this.requirePinning = requirePinning;
            return this;
        }

        /**
         * If true, {@link #build()} fails where core-affine virtual threads cannot be made (the
         * {@code --add-opens java.base/java.lang=ALL-UNNAMED} flag is missing). By default
         * {@code go} then falls back to platform threads pinned to the CPU.
         */
        public Builder requireCoreAffineVirtualThreads(boolean require) {
            this.requireVirtualThreads = require;
            return this;
        }

        /**
         * Whether to keep every other thread of the JVM off the lanes' CPUs for the manager's life: GC,
         * JIT compiler, VM, JFR threads, the JDK's pollers and timers, the application's other threads.
         * A {@link LaneIsolator} sweeps when the lanes start, every {@link #isolationInterval(Duration)}
         * and after each garbage collection; threads pinned elsewhere are left alone, a thread pinned
         * onto a lane's CPU on purpose is reported (logged once), and on termination the masks it changed
         * go back to what they were. Where isolation is impossible (unsupported platform, or the lanes
         * cover every CPU the process may use) the manager says so once and runs without it, unless
         * {@link #strictIsolation(boolean)}. Off by default. It changes the masks of threads that are
         * not the manager's: two managers isolating in one process each keep the other's carriers off
         * their own CPUs only when they do not overlap.
         *
         * @param isolate true to isolate the lanes
         * @return this builder
         */
        public Builder isolate(boolean isolate) {
            this.isolate = isolate;
            return this;
        }

        /**
         * How often isolation sweeps for new threads, besides the sweeps at start and after each
         * garbage collection; {@link LaneIsolator#DEFAULT_INTERVAL} (one second) by default. A new
         * platform thread inherits its creator's mask, so most are born off the lanes anyway; the
         * interval bounds how long one born on a lane's CPU stays there.
         *
         * @param interval the time between two sweeps, 1 ms or more
         * @return this builder
         * @throws IllegalArgumentException if {@code interval} is under 1 ms
         */
        public Builder isolationInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.compareTo(Duration.ofMillis(1)) < 0) {
                throw new IllegalArgumentException("interval: " + interval + " (expected: 1 ms or more)");
            }
            this.isolationInterval = interval;
            return this;
        }

        /**
         * If true, {@link #build()} fails where {@link #isolate(boolean) isolation} is impossible
         * (an unsupported platform; lanes on every CPU the process may use) instead of running without
         * it and saying so once.
         *
         * @param strict true to fail rather than run without isolation
         * @return this builder
         */
        public Builder strictIsolation(boolean strict) {
            this.strictIsolation = strict;
            return this;
        }

        /**
         * Whether to reserve each lane's CPU for the manager's life through
         * {@link CpuReservations#defaultFolder()}, so that two processes on this host (or two managers
         * in one) never build lanes on the same CPU. {@link #build()} fails if a CPU is held, naming the
         * holder (pid, command, thread, since when). Off by default.
         *
         * @param exclusive true to reserve the lanes' CPUs
         * @return this builder
         */
        public Builder exclusive(boolean exclusive) {
            this.exclusive = exclusive ? CpuReservations.defaultFolder() : null;
            return this;
        }

        /**
         * {@link #exclusive(boolean) Exclusive} lanes, reserved in {@code folder} rather than the
         * default one.
         *
         * @param folder where the CPUs' lock files are
         * @return this builder
         */
        public Builder exclusive(CpuReservations folder) {
            this.exclusive = Objects.requireNonNull(folder, "folder");
            return this;
        }

        /** Whether carriers are daemon threads (true by default, like virtual threads). */
        public Builder daemon(boolean daemon) {
            this.daemon = daemon;
            return this;
        }

        /**
         * Chooses the CPUs, starts one pinned carrier per CPU, and returns when all are running.
         *
         * @throws IllegalArgumentException if a chosen CPU cannot be managed (the message says which,
         *     why, and which CPUs can)
         * @throws IllegalStateException if {@code requirePinning} or
         *     {@code requireCoreAffineVirtualThreads} cannot be met here, if an {@code exclusive} lane's
         *     CPU is held by another (the message names the holder), or if {@code strictIsolation} cannot
         *     be met
         */
        public CoreManager build() {
            if (requireVirtualThreads && !VirtualThreadHook.isAvailable()) {
                throw new IllegalStateException("core-affine virtual threads are required but "
                        + VirtualThreadHook.unavailableReason());
            }
            if (requirePinning && !Affinity.isSupported()) {
                throw new IllegalStateException("pinning is required but " + Affinity.unsupportedReason().orElse("?"));
            }
            VirtualThreadHook.startJdkPollersOutsideLanes();
            CpuTopology t = topology != null ? topology : CpuTopology.current();
            CpuSet chosen = CpuChoice.choose(t, cpus, placement, includeIsolated);
            CpuReservation held = exclusive == null ? null : reserveLanes(exclusive, chosen);
            CoreManager manager;
            try {
                manager = new CoreManager(this, t, chosen, Affinity.isSupported());
            } catch (RuntimeException | Error e) {
                if (held != null) {
                    held.close();
                }
                throw e;
            }
            manager.reservation = held;
            manager.startLanes(requirePinning);
            manager.startIsolation(this);
            return manager;
        }

        private static CpuReservation reserveLanes(CpuReservations folder, CpuSet cpus) {
            try {
                return folder.reserve(cpus);
            } catch (IllegalStateException e) {
                throw new IllegalStateException("exclusive lanes: " + e.getMessage(), e);
            }
        }
    }
}
