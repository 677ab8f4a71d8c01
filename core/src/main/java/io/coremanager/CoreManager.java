package io.coremanager;

import io.coremanager.affinity.Affinity;
import io.coremanager.engine.Lanes;
import io.coremanager.isolation.LaneIsolator;
import io.coremanager.reservation.CpuReservation;
import io.coremanager.reservation.CpuReservations;
import io.coremanager.topology.CpuTopology;

import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

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
 *       for a blocking native call: it stalls the CPU's lane until it returns; run such calls with
 *       {@link #offload} or {@link #offloadAndWait}, on threads off the lanes' CPUs.</li>
 * </ul>
 * State that lives on a lane: {@link #laneLocal} (one instance per lane, made on it) and
 * {@link #sharded} (a service with one shard per lane, called on the shard's lane).
 * Core-affine virtual threads need {@code --add-opens java.base/java.lang=ALL-UNNAMED}; without it
 * {@code go} runs its task on a platform thread pinned to the CPU (and says so once), unless the
 * builder requires real virtual threads.
 *
 * <h2>Lifecycle</h2>
 * RUNNING → SHUTDOWN ({@link #shutdown()}, {@link #close()}: no new work; accepted tasks run;
 * core-affine virtual threads finish) → STOP ({@link #shutdownNow()}: queued tasks handed back,
 * running tasks and virtual threads interrupted) → TERMINATED (every carrier has left;
 * {@link #awaitTermination}). Every accepted task runs exactly once, or its future fails with a
 * reason, or {@code shutdownNow} hands it back. After shutdown, new work gets
 * {@link RejectedExecutionException}.
 *
 * <h2>Faults</h2>
 * What the engine does when something goes wrong, so that nothing accepted is lost, nothing hangs
 * and no idle lane burns its CPU:
 * <ul>
 *   <li>A task that throws (even an {@code Error}) fails its future, or goes to the
 *       uncaught-exception handler; so does a virtual thread's step that throws. The lane goes on.</li>
 *   <li>An {@code OutOfMemoryError} or {@code StackOverflowError} while a task or wake-up is being
 *       queued either leaves nothing queued (the caller sees the error; the JDK retries a virtual
 *       thread's wake-up) or leaves it queued and runs it (the caller sees no error): never a hole
 *       in the queue, never both.</li>
 *   <li>An interrupt never outlives the task it was meant for, and one that reaches an idle carrier
 *       is dropped.</li>
 *   <li>If a carrier's own loop fails, a new carrier takes over its queue, pinned again; if no
 *       thread can be created for it, the lane fails closed: it rejects new work with the reason,
 *       fails its queued futures with it, reports through the handler, the log and
 *       {@link #stats(int)}, and keeps running its virtual threads until they end.</li>
 *   <li>A task that waits for a task of its own lane ({@code submit(n, ...).join()} on lane
 *       {@code n}) gets an {@link IllegalStateException} at once instead of waiting for ever.</li>
 * </ul>
 *
 * <h2>Threads and memory</h2>
 * All methods are thread-safe. Submitting a task happens-before it runs; a task's completion
 * happens-before its future completes.
 */
public final class CoreManager implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("io.coremanager");

    private final Lanes lanes;
    private final CpuSet cpus;
    private final int[] cpuList;
    private final CpuTopology topology;
    private final IdleStrategy idleStrategy;
    /** What the cgroup CPU quota did to this manager's size. */
    private final CpuQuotaDecision quotaDecision;
    private final OffloadPools offload;
    /** The lanes' CPU reservations under {@code exclusive(true)}; null otherwise. Set once in build(). */
    private volatile CpuReservation reservation;
    /** Keeps the JVM's other threads off the lanes under {@code isolate(true)}; null otherwise. Set once in build(). */
    private volatile LaneIsolator isolator;

    private CoreManager(Lanes lanes, CpuTopology topology, CpuSet cpus, IdleStrategy idleStrategy,
                        CpuQuotaDecision quotaDecision, OffloadPools offload) {
        this.lanes = lanes;
        this.quotaDecision = quotaDecision;
        this.offload = offload;
        this.cpus = cpus;
        this.cpuList = cpus.toArray();
        this.topology = topology;
        this.idleStrategy = idleStrategy;
    }

    /**
     * A manager of every CPU this process may use: online, allowed (cgroup cpuset, {@code taskset})
     * and not isolated, with the default settings. Under a cgroup CPU quota below those CPUs it
     * manages ⌈quota⌉ of them, spread apart (see {@link Builder#sizeByCpuQuota(boolean)}).
     *
     * @return the running manager
     */
    public static CoreManager create() {
        return builder().build();
    }

    /**
     * What the cgroup CPU quota did to this manager's size: the quota, the usable CPUs, the lanes,
     * and whether the default placement was sized to ⌈quota⌉ (see
     * {@link Builder#sizeByCpuQuota(boolean)}).
     *
     * @return the quota decision made when this manager was built
     */
    public CpuQuotaDecision quotaDecision() {
        return quotaDecision;
    }

    /**
     * A builder: which CPUs, names, handlers, idle strategy, strictness.
     *
     * @return a new builder with the defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- work

    /**
     * Runs {@code task} on {@code cpu}, fire and forget. If it throws, the builder's uncaught-exception
     * handler sees the exception (by default it is logged) and the lane goes on.
     *
     * @param cpu a managed CPU
     * @param task the task
     * @throws IllegalArgumentException if {@code cpu} is not managed (the message lists the managed CPUs)
     * @throws RejectedExecutionException after shutdown, or if the lane's queue is full or the lane failed
     */
    public void execute(int cpu, Runnable task) {
        lanes.execute(cpu, task);
    }

    /**
     * Runs {@code task} on {@code cpu}; the future completes with its result or its exception.
     * Cancelling the future before the task starts keeps it from running. Waiting for the future
     * ({@code join}, {@code get}) from a task of the same lane throws {@link IllegalStateException}:
     * that task would wait for itself.
     *
     * @param <T> the result type
     * @param cpu a managed CPU
     * @param task the task
     * @return the task's future
     * @throws IllegalArgumentException if {@code cpu} is not managed
     * @throws RejectedExecutionException after shutdown, or if the lane's queue is full or the lane failed
     */
    public <T> CompletableFuture<T> submit(int cpu, Callable<T> task) {
        return lanes.submit(cpu, task);
    }

    /**
     * Runs {@code task} on {@code cpu}; the future completes when it has run.
     *
     * @param cpu a managed CPU
     * @param task the task
     * @return the task's future
     * @throws IllegalArgumentException if {@code cpu} is not managed
     * @throws RejectedExecutionException after shutdown, or if the lane's queue is full or the lane failed
     */
    public CompletableFuture<Void> submit(int cpu, Runnable task) {
        Objects.requireNonNull(task, "task");
        return lanes.submit(cpu, () -> {
            task.run();
            return null;
        });
    }

    /**
     * Runs {@code task} on every managed CPU, once each.
     *
     * @param <T> the result type
     * @param task the task
     * @return one future per CPU, in {@link #cpus()} order
     * @throws RejectedExecutionException after shutdown
     */
    public <T> List<CompletableFuture<T>> submitToAll(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        List<CompletableFuture<T>> futures = new ArrayList<>(cpuList.length);
        for (int cpu : cpuList) {
            futures.add(lanes.submit(cpu, task));
        }
        return Collections.unmodifiableList(futures);
    }

    /**
     * Starts a core-affine virtual thread on {@code cpu}: it runs there for its whole life.
     * {@link #close()} waits for it to end; {@link #shutdownNow()} interrupts it.
     *
     * @param cpu a managed CPU
     * @param task what the thread runs
     * @return the started thread
     * @throws IllegalArgumentException if {@code cpu} is not managed
     * @throws RejectedExecutionException after shutdown
     */
    public Thread go(int cpu, Runnable task) {
        return lanes.go(cpu, task);
    }

    /**
     * An {@link ExecutorService} whose tasks run on {@code cpu}. Each call returns a new view with
     * its own lifecycle: shutting it down, closing it or awaiting its termination concerns only the
     * tasks submitted through it, never the manager; its {@code shutdownNow} interrupts only its own
     * running task. It reports itself shut down once either it or the manager is, and terminated
     * once shut down with none of its own tasks left.
     *
     * @param cpu a managed CPU
     * @return a new view
     * @throws IllegalArgumentException if {@code cpu} is not managed
     */
    public ExecutorService executor(int cpu) {
        return lanes.executor(cpu);
    }

    /**
     * A {@link ScheduledExecutorService} whose timers live on {@code cpu}'s lane: the lane's carrier
     * keeps them in a heap of its own, runs what is due between batches of work, and when idle parks
     * only until the next deadline. No timer thread runs anywhere else, and a timer that comes due
     * while the lane is busy costs no system call: the carrier checks the heap with one clock read
     * per batch. Timers run on the carrier, as tasks do, so a timer that blocks holds up the lane.
     *
     * <p>Each call returns a new view with its own lifecycle, as {@link #executor(int)} does. Its
     * shutdown policy is {@code ScheduledThreadPoolExecutor}'s default: on {@code shutdown} (of the
     * view or of the manager) periodic timers are cancelled and delayed ones still run at their time,
     * the lane staying up until they have; {@code shutdownNow} (of the view or of the manager) hands
     * back the timers that have not run, cancelled, and interrupts the view's timer running now.
     * {@code execute} and {@code submit} run as soon as the carrier gets to them. Timer runs are not
     * counted in {@link #stats(int)}'s task counts.
     *
     * @param cpu a managed CPU
     * @return a new view
     * @throws IllegalArgumentException if {@code cpu} is not managed
     */
    public ScheduledExecutorService scheduler(int cpu) {
        return lanes.scheduler(cpu);
    }

    /**
     * A sleep woken by the lane's own timer. Called from a core-affine virtual thread, the thread
     * parks and its lane's carrier unparks it when the deadline passes: the wake-up comes from the
     * lane's CPU, with no other thread involved. {@link Thread#sleep} in the same thread is woken by
     * the JDK's timer ("unparker") threads instead, which then hand the thread back to the lane: one
     * more hop. Called from any other thread (a platform thread, a task on a carrier, a default
     * virtual thread), or once the lane has closed, it is {@code Thread.sleep}. If the manager's
     * {@code shutdownNow} cancels the lane's timer, the thread (a tracked one is interrupted anyway)
     * sleeps out the rest with {@code Thread.sleep}; once the manager is shut down, or the lane has
     * failed, it is {@code Thread.sleep} from the start (a lane that is closing keeps no timers for
     * sleepers). Not in a <em>pinned</em> virtual thread (one inside a class initializer or a native
     * frame, which cannot unmount): its park would park the carrier that must wake it, and the lane
     * would stop; use {@code Thread.sleep} there.
     *
     * @param duration how long; nothing happens if zero or negative
     * @throws InterruptedException if the thread is interrupted before or while it sleeps (the
     *     interrupt status is cleared)
     */
    public static void sleepOnLane(Duration duration) throws InterruptedException {
        Objects.requireNonNull(duration, "duration");
        long nanos;
        try {
            nanos = duration.toNanos();
        } catch (ArithmeticException e) {
            nanos = duration.isNegative() ? 0 : Long.MAX_VALUE;
        }
        Lanes.sleep(nanos);
    }

    /**
     * A factory of core-affine virtual threads on {@code cpu}, unstarted: for
     * {@code Executors.newThreadPerTaskExecutor}, structured concurrency, or any framework that
     * takes a {@code ThreadFactory}. Once the manager is shut down it returns {@code null} (a
     * rejection, as the {@code ThreadFactory} contract allows).
     *
     * @param cpu a managed CPU
     * @return the factory
     * @throws IllegalArgumentException if {@code cpu} is not managed
     */
    public ThreadFactory threadFactory(int cpu) {
        return lanes.threadFactory(cpu);
    }

    // ---------------------------------------------------------------- lane-local I/O

    /**
     * Serves TCP connections with lane-local I/O: listens on {@code address} with a socket owned by
     * {@code cpu}'s lane and accepts there, in a core-affine virtual thread, until the socket is
     * closed (by the caller, or when the manager shuts down). Each connection goes to the lane that
     * {@code placement} picks and is served by {@code handler} in a new core-affine virtual thread of
     * that lane, then closed. The handler's blocking reads and writes park its thread, and the
     * lane's own poll resumes it on the same CPU: see {@link LaneSocket}.
     *
     * <pre>{@code
     * cores.serve(0, new InetSocketAddress("127.0.0.1", 8080), ConnectionPlacement.roundRobin(cores.cpus()),
     *         socket -> socket.inputStream().transferTo(socket.outputStream()));   // an echo server
     * }</pre>
     *
     * @param cpu the CPU whose lane accepts
     * @param address where to listen (port 0 for any free port: see {@link LaneServerSocket#localAddress()})
     * @param placement which lane serves each connection
     * @param handler serves one connection
     * @return the listening socket: close it to stop accepting (an {@linkplain
     *     LaneServerSocket#acceptTimeout(Duration) accept timeout} set on it does not apply to the loop)
     * @throws IOException if the socket cannot be bound
     * @throws IllegalArgumentException if {@code cpu} is not managed
     * @throws RejectedExecutionException after shutdown
     */
    public LaneServerSocket serve(int cpu, SocketAddress address, ConnectionPlacement placement,
                                  ConnectionHandler handler) throws IOException {
        return lanes.serve(cpu, address, placement, handler);
    }

    /**
     * A listening socket owned by {@code cpu}'s lane, bound now (from any thread); accept from
     * core-affine virtual threads of that lane, or use {@link #serve} for a ready-made accept loop.
     *
     * @param cpu a managed CPU
     * @param address where to listen (port 0 for any free port); the backlog is 1024, capped by the
     *     kernel's {@code somaxconn}
     * @return the listening socket
     * @throws IOException if the socket cannot be bound
     * @throws IllegalArgumentException if {@code cpu} is not managed
     * @throws RejectedExecutionException after shutdown
     */
    public LaneServerSocket listen(int cpu, SocketAddress address) throws IOException {
        return lanes.listen(cpu, address, Lanes.BACKLOG);
    }

    /**
     * Connects to {@code remote} with lane-local I/O, from a core-affine virtual thread of this
     * manager: the caller parks until the connection is made, and the socket belongs to the
     * caller's lane.
     *
     * @param remote the peer
     * @return the connection, owned by the caller's lane
     * @throws IOException if the connection fails
     * @throws IllegalStateException if the caller is not a core-affine virtual thread of this manager
     */
    public LaneSocket connect(SocketAddress remote) throws IOException {
        return lanes.connect(remote);
    }

    /**
     * As {@link #connect(SocketAddress)}, giving up after {@code timeout}, as
     * {@code java.net.Socket.connect(address, timeout)} does: the socket is closed and the caller gets
     * {@link java.net.SocketTimeoutException}. Zero waits as long as the kernel keeps trying. The
     * wake-up of a connect that times out comes from the JDK's unparker thread (one hand-off to the
     * lane); a connection made wakes it from the lane's own poll.
     *
     * @param remote the peer
     * @param timeout how long to wait for the connection; zero for no limit
     * @return the connection, owned by the caller's lane
     * @throws java.net.SocketTimeoutException if the connection was not made within {@code timeout}
     * @throws IOException if the connection fails
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException if the caller is not a core-affine virtual thread of this manager
     */
    public LaneSocket connect(SocketAddress remote, Duration timeout) throws IOException {
        return lanes.connect(remote, timeout);
    }

    /**
     * The CPU of {@code key}: the same key gets the same CPU for the manager's life, and keys spread
     * evenly over the managed CPUs. The key's {@code hashCode}, spread by MurmurHash3's finalizer,
     * picks a lane by jump consistent hash (Lamping and Veach, 2014) over {@link #cpus()} in order:
     * between managers of n and n+1 CPUs only about 1/(n+1) of the keys move.
     *
     * @param key any object with a stable {@code hashCode}
     * @return a managed CPU
     */
    public int cpuFor(Object key) {
        Objects.requireNonNull(key, "key");
        return cpuFor((long) key.hashCode());
    }

    /**
     * {@link #cpuFor(Object)} for a primitive key, without boxing.
     *
     * @param key the key
     * @return a managed CPU
     */
    public int cpuFor(long key) {
        return cpuList[KeySharding.bucket(key, cpuList.length)];
    }

    // ---------------------------------------------------------------- lane services

    /**
     * A value with one instance per lane, each made by {@code initial} on its own lane the first time
     * that lane's code asks for it, and seen only by that lane's code: see {@link LaneLocal}. Never
     * waits, so it is safe to call anywhere, lane code included.
     *
     * @param <T> the type of the per-lane value
     * @param initial makes a lane's instance, on that lane; must not return null
     * @return the lane-local value, with no instance made yet
     */
    public <T> LaneLocal<T> laneLocal(Supplier<? extends T> initial) {
        Objects.requireNonNull(initial, "initial");
        return new LaneLocal<>(lanes, cpus, initial);
    }

    /**
     * A service sharded by CPU: one instance per lane, made by {@code factory} on its own lane the
     * first time a call reaches that lane, and called on its lane with {@link Sharded#invokeOn},
     * {@link Sharded#invokeOnAll} and {@link Sharded#mapReduce}. Never waits, so it is safe to call
     * anywhere, lane code included.
     *
     * @param <S> the type of a shard
     * @param factory makes a lane's shard, on that lane; must not return null
     * @return the sharded service, with no shard made yet
     */
    public <S> Sharded<S> sharded(Supplier<? extends S> factory) {
        Objects.requireNonNull(factory, "factory");
        return new Sharded<>(this, lanes, laneLocal(factory));
    }

    /**
     * Runs a blocking call (file I/O, a JNI call, a legacy blocking API) on a platform thread off the
     * lanes' CPUs, so that it does not stall a lane. The offload threads run on the usable CPUs that
     * no lane has, those of the calling lane's NUMA node where the topology names one; if no CPU is
     * left off the lanes they run on the usable CPUs and the manager says so once. Usable from
     * anywhere:
     * <ul>
     *   <li>From lane code (a task, a core-affine virtual thread), the future completes <b>on the
     *       caller's lane</b>: dependent stages added with the non-async methods ({@code thenAccept},
     *       {@code thenApply}, ...) run there, and may use the lane's {@link LaneLocal} state. A task
     *       composes: {@code cores.offload(() -> Files.readString(p)).thenAccept(s -> cache.get().put(p, s))}.
     *       Waiting for it ({@code join}, {@code get}) from that lane's carrier throws
     *       {@link IllegalStateException}, since the carrier would wait for itself; a core-affine
     *       virtual thread may wait (it parks), or use {@link #offloadAndWait}.</li>
     *   <li>From any other thread, the future completes on the offload thread, and the call runs on
     *       the pool of the first managed CPU.</li>
     * </ul>
     * Cancelling the future before the call starts keeps it from running; a running call is not
     * interrupted by it. {@link #shutdownNow()} interrupts running calls and fails queued ones with a
     * {@link CancellationException}; {@link #close()} waits for accepted calls.
     *
     * @param <T> the result type
     * @param call the blocking call
     * @return its future: the call's result, or its exception (an {@code Error} too)
     * @throws RejectedExecutionException from lane code once the lanes have terminated; from other
     *     threads once the manager is shut down
     */
    public <T> CompletableFuture<T> offload(Callable<? extends T> call) {
        Objects.requireNonNull(call, "call");
        int cpu = lanes.laneCpuOf(Thread.currentThread());
        checkOffloadAccepted(cpu);
        CompletableFuture<T> future = cpu >= 0
                ? new LaneBoundFuture<>(lanes, cpu, "a blocking call it offloaded")
                : new CompletableFuture<>();
        offload.execute(cpu >= 0 ? cpu : cpuList[0], call, future, cpu >= 0);
        return future;
    }

    /**
     * Runs a blocking call off the lanes' CPUs, as {@link #offload} does, and waits for it: a
     * core-affine virtual thread parks, freeing its lane for other work, and resumes on its lane
     * with the result. Also usable from threads that are not lane code (they simply wait); not from
     * a task on a lane's carrier, which would hold the whole lane while it waits: use
     * {@link #offload} and compose there.
     *
     * @param <T> the result type
     * @param call the blocking call
     * @return the call's result
     * @throws Exception what the call threw, as it threw it (an {@code Error} too)
     * @throws InterruptedException if interrupted while waiting (the call, if not yet started, is
     *     cancelled; one already running goes on)
     * @throws IllegalStateException if called by a task on a lane's carrier
     * @throws RejectedExecutionException as {@link #offload} does
     */
    public <T> T offloadAndWait(Callable<? extends T> call) throws Exception {
        Objects.requireNonNull(call, "call");
        Thread caller = Thread.currentThread();
        int cpu = lanes.laneCpuOf(caller);
        if (cpu >= 0 && !caller.isVirtual()) {
            throw new IllegalStateException("offloadAndWait called by a task on cpu " + cpu + "'s carrier: waiting would "
                    + "hold the whole lane (expected: a core-affine virtual thread, which parks, or a thread off the "
                    + "lanes; from a task, use offload(call) and compose: its stages run on cpu " + cpu + ")");
        }
        checkOffloadAccepted(cpu);
        CompletableFuture<T> future = new CompletableFuture<>();
        offload.execute(cpu >= 0 ? cpu : cpuList[0], call, future, false); // a parked thread resumes on its lane anyway
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(false);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception exception) {
                throw exception;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    private void checkOffloadAccepted(int callerCpu) {
        if (lanes.isTerminated() || (callerCpu < 0 && lanes.isShutdown())) {
            throw new RejectedExecutionException("CoreManager of cpus " + cpus + " is " + lanes.stateName()
                    + "; it accepts no new blocking calls" + (callerCpu < 0 ? " from outside its lanes" : ""));
        }
    }

    // ---------------------------------------------------------------- queries

    /**
     * The managed CPUs.
     *
     * @return one lane each
     */
    public CpuSet cpus() {
        return cpus;
    }

    /**
     * The topology the manager's CPUs were chosen from.
     *
     * @return the topology
     */
    public CpuTopology topology() {
        return topology;
    }

    /**
     * The idle strategy of the lanes.
     *
     * @return the strategy
     */
    public IdleStrategy idleStrategy() {
        return idleStrategy;
    }

    /**
     * The statistics of {@code cpu}'s lane: one consistent snapshot of cheap counters, no system call.
     *
     * @param cpu a managed CPU
     * @return the snapshot
     * @throws IllegalArgumentException if {@code cpu} is not managed
     */
    public LaneStats stats(int cpu) {
        return lanes.stats(cpu);
    }

    /**
     * The statistics of every lane, in CPU order.
     *
     * @return one snapshot per lane
     */
    public List<LaneStats> stats() {
        List<LaneStats> all = new ArrayList<>(cpuList.length);
        for (int cpu : cpuList) {
            all.add(lanes.stats(cpu));
        }
        return all;
    }

    /**
     * Whether {@code cpu}'s carrier is pinned to exactly that CPU now, asked of the kernel
     * ({@code sched_getaffinity}: a system call, so apart from the cheap {@link #stats(int)}). False
     * where pinning is unsupported or off, and after the kernel moved the carrier (the process's
     * allowed CPUs changed: the watchdog reports that once, and the lane keeps running, unpinned).
     *
     * @param cpu a managed CPU
     * @return true if the carrier's affinity mask is exactly {@code cpu}
     * @throws IllegalArgumentException if {@code cpu} is not managed
     */
    public boolean pinnedNow(int cpu) {
        return lanes.pinnedNow(cpu);
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

    /**
     * The CPU the calling thread runs on now ({@code sched_getcpu}), or -1 where unknown.
     *
     * @return the CPU, or -1
     */
    public static int currentCpu() {
        return Affinity.currentCpu();
    }

    // ---------------------------------------------------------------- lifecycle

    /** Stops accepting work; accepted tasks still run and virtual threads finish. Does not wait. */
    public void shutdown() {
        lanes.shutdown();
    }

    /**
     * Stops accepting work, takes back the tasks that have not started (their futures fail with a
     * {@link CancellationException} saying so), interrupts the user tasks running now (as
     * {@code ThreadPoolExecutor} interrupts its workers; a task that starts after this call starts
     * interrupted) and the core-affine virtual threads. Does not wait: interrupting is a request,
     * and tasks that ignore it finish.
     *
     * @return the tasks that never started: {@code execute}'s tasks as given, and for
     *     {@code submit}'s a {@link java.util.concurrent.RunnableFuture} view of the already
     *     cancelled future, which does nothing when run. Blocking calls waiting in the offload pools
     *     are not in it: their futures fail with a {@link CancellationException}, and running ones
     *     are interrupted.
     */
    public List<Runnable> shutdownNow() {
        List<Runnable> handedBack = lanes.shutdownNow();
        offload.shutdownNow();
        return handedBack;
    }

    /**
     * Waits until every lane has terminated: no task queued or running, every core-affine virtual
     * thread ended, every carrier gone; then until the offload pools have finished their accepted
     * blocking calls (they shut down once the lanes have terminated).
     *
     * @param timeout how long to wait at most; any length (a longer one than {@code Long.MAX_VALUE}
     *     nanoseconds waits that long)
     * @return true if terminated, false if the time ran out
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        long nanos = TimeUnit.NANOSECONDS.convert(timeout); // saturates, never overflows
        long start = System.nanoTime();
        if (!lanes.awaitTermination(nanos)) {
            return false;
        }
        offload.shutdown(); // no lane code is left to offload
        return offload.awaitTermination(Math.max(0, nanos - (System.nanoTime() - start)));
    }

    /**
     * Whether {@link #shutdown()} or {@link #shutdownNow()} was called.
     *
     * @return true once shut down
     */
    public boolean isShutdown() {
        return lanes.isShutdown();
    }

    /**
     * Whether every lane has terminated, and the offload pools after them.
     *
     * @return true once every carrier has left and no offloaded call is left
     */
    public boolean isTerminated() {
        if (!lanes.isTerminated()) {
            return false;
        }
        offload.shutdown();
        return offload.isTerminated();
    }

    /**
     * Shuts down and waits for termination: every accepted task runs, every core-affine virtual
     * thread finishes, then the carriers stop. Idempotent. If interrupted while waiting it calls
     * {@link #shutdownNow()}, keeps waiting, and restores the interrupt status. Called from the
     * manager's own work (anything running on a lane's carrier: a task, a core-affine virtual
     * thread, or a virtual thread started inside one), it shuts down without waiting, since the
     * caller is part of what it would wait for; so it does from an offloaded call (the lanes may be
     * waiting for it). Once the lanes have terminated it waits for the offload pools' accepted calls.
     */
    @Override
    public void close() {
        Thread caller = Thread.currentThread();
        if (offload.isOffloadThread(caller)) {
            lanes.shutdown();
            return;
        }
        lanes.close(); // returns at once when called from the lanes' own work
        if (!lanes.isTerminated()) {
            return; // the lanes' own work: it cannot wait for itself
        }
        offload.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (offload.awaitTermination(Long.MAX_VALUE)) {
                    break;
                }
            } catch (InterruptedException e) {
                if (!interrupted) {
                    offload.shutdownNow();
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            caller.interrupt();
        }
    }

    /** Starts isolation once the carriers run; under strict isolation a refusal closes the manager. */
    private void startIsolation(Builder b) {
        if (!b.isolate) {
            return;
        }
        try {
            isolator = LaneIsolator.start(cpus, lanes::isCarrierThreadId, b.isolationInterval, b.strictIsolation);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Ends isolation (restoring masks) and releases exclusive CPUs: run by the last lane to terminate. */
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

    @Override
    public String toString() {
        return "CoreManager[cpus " + cpus + ", " + lanes.stateName() + ", " + idleStrategy + "]";
    }

    // ---------------------------------------------------------------- builder

    /**
     * Builds a {@link CoreManager}: which CPUs (an explicit set, or a {@link Placement} on the
     * topology), thread names, the uncaught-exception handler, the idle strategy, and how strict to
     * be where the platform cannot pin or cannot make core-affine virtual threads. Not thread-safe.
     */
    public static final class Builder {
        private final CpuSelection selection = new CpuSelection();
        private String namePrefix = "coremanager-cpu-";
        private Thread.UncaughtExceptionHandler handler;
        private IdleStrategy idleStrategy = IdleStrategy.spinThenPark();
        private boolean requirePinning;
        private boolean requireVirtualThreads;
        private boolean daemon = true;
        private long queueCapacity;
        private Duration stallThreshold = Duration.ofSeconds(1);
        private boolean interruptStalled;
        private boolean sizeByCpuQuota = true;
        private boolean isolate;
        private Duration isolationInterval = LaneIsolator.DEFAULT_INTERVAL;
        private boolean strictIsolation;
        private CpuReservations exclusive;
        private int offloadThreads;

        private Builder() {
        }

        /**
         * Bounds each lane's queue: once {@code capacity} entries wait on a lane, {@code execute},
         * {@code submit} and the executor views throw {@link RejectedExecutionException} naming the
         * lane, rather than queue without end behind a stuck or overloaded lane. Wake-ups of
         * virtual threads are never refused. 0 (the default) is unbounded.
         *
         * @param capacity the most entries a lane may hold; 0 for unbounded
         * @return this builder
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
         * @param threshold the stall threshold; zero turns the watchdog off
         * @return this builder
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
         *
         * @param interrupt true to interrupt what stalls a lane
         * @return this builder
         */
        public Builder interruptStalled(boolean interrupt) {
            this.interruptStalled = interrupt;
            return this;
        }

        /**
         * How many platform threads each offload pool has at most ({@link CoreManager#offload}): one
         * pool per NUMA node of the lanes, made on demand, retired when idle. By default four per CPU
         * of the pool, at least four, at most 256: offloaded calls block, so more threads than CPUs.
         *
         * @param threads the most threads per pool; 0 for the default
         * @return this builder
         * @throws IllegalArgumentException if {@code threads} is negative or above 32767
         */
        public Builder offloadThreads(int threads) {
            if (threads < 0 || threads > Short.MAX_VALUE) {
                throw new IllegalArgumentException("threads: " + threads + " (expected: 0 for the default, or 1 to 32767)");
            }
            this.offloadThreads = threads;
            return this;
        }

        /**
         * Manages exactly these CPUs. Each must exist, be online, be allowed for this process and
         * not be isolated (unless {@link #includeIsolated(boolean)}); {@link #build()} says which
         * are not and why. Replaces any {@link #placement}.
         *
         * @param cpus the CPUs to manage
         * @return this builder
         */
        public Builder cpus(CpuSet cpus) {
            selection.cpus(cpus);
            return this;
        }

        /**
         * Chooses the CPUs from the topology: see {@link Placement}. Replaces any {@link #cpus}.
         *
         * @param placement how to choose the CPUs
         * @return this builder
         */
        public Builder placement(Placement placement) {
            selection.placement(placement);
            return this;
        }

        /**
         * Whether isolated CPUs ({@code isolcpus}, {@code nohz_full}) may be managed. Off by
         * default: an isolated CPU is set aside by the administrator, often for exactly this kind
         * of pinned work; say so explicitly to use it.
         *
         * @param includeIsolated true to allow isolated CPUs
         * @return this builder
         */
        public Builder includeIsolated(boolean includeIsolated) {
            selection.includeIsolated(includeIsolated);
            return this;
        }

        /**
         * The topology to place lanes on; by default {@link CpuTopology#current()}.
         *
         * @param topology the topology
         * @return this builder
         */
        public Builder topology(CpuTopology topology) {
            selection.topology(topology);
            return this;
        }

        /**
         * Carrier threads are named prefix + CPU ({@code coremanager-cpu-3}), virtual threads prefix + CPU + {@code -vt-N}.
         *
         * @param prefix the thread-name prefix
         * @return this builder
         */
        public Builder threadNamePrefix(String prefix) {
            this.namePrefix = Objects.requireNonNull(prefix, "prefix");
            return this;
        }

        /**
         * Sees what {@code execute} tasks throw, and what core-affine virtual threads do not catch.
         * By default the first are logged through {@code System.Logger} ("io.coremanager") and the
         * second follow the JDK's default handling.
         *
         * @param handler the handler
         * @return this builder
         */
        public Builder uncaughtExceptionHandler(Thread.UncaughtExceptionHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * What idle carriers do; {@link IdleStrategy#spinThenPark()} by default.
         *
         * @param idleStrategy the idle strategy
         * @return this builder
         */
        public Builder idleStrategy(IdleStrategy idleStrategy) {
            this.idleStrategy = Objects.requireNonNull(idleStrategy, "idleStrategy");
            return this;
        }

        /**
         * If true, {@link #build()} fails where a carrier cannot be pinned (an unsupported
         * platform, a refused {@code sched_setaffinity}). By default lanes then run unpinned, the
         * manager says so once, and {@link CoreManager#stats()} shows which lanes are unpinned.
         *
         * @param requirePinning true to fail where carriers cannot be pinned
         * @return this builder
         */
        public Builder requirePinning(boolean requirePinning) {
            this.requirePinning = requirePinning;
            return this;
        }

        /**
         * If true, {@link #build()} fails where core-affine virtual threads cannot be made (the
         * {@code --add-opens java.base/java.lang=ALL-UNNAMED} flag is missing). By default
         * {@code go} then falls back to platform threads pinned to the CPU.
         *
         * @param require true to fail where core-affine virtual threads cannot be made
         * @return this builder
         */
        public Builder requireCoreAffineVirtualThreads(boolean require) {
            this.requireVirtualThreads = require;
            return this;
        }

        /**
         * Whether the default placement is sized by the cgroup CPU quota (true by default). Under a
         * quota of q CPUs below the usable CPUs, {@link #build()} manages ⌈q⌉ lanes placed by
         * {@link Placement#spread(int)}: the quota is CPU time per period for the whole cgroup, so
         * more busy lanes than q exhaust it early in each period and are all throttled until the
         * next (eight lanes under {@code cpu.max} worth 2 can turn a 10 ms task into 100 ms).
         * {@code false} takes every usable CPU. Explicit {@link #cpus} and any other
         * {@link #placement} are kept as asked. Either way the log and
         * {@link CoreManager#quotaDecision()} say what the quota is and what was done.
         *
         * @param size whether to size the default placement by the quota
         * @return this builder
         */
        public Builder sizeByCpuQuota(boolean size) {
            this.sizeByCpuQuota = size;
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

        /**
         * Whether carriers are daemon threads (true by default, like virtual threads).
         *
         * @param daemon true for daemon carriers
         * @return this builder
         */
        public Builder daemon(boolean daemon) {
            this.daemon = daemon;
            return this;
        }

        /**
         * Chooses the CPUs, starts one pinned carrier per CPU, and returns when all are running.
         *
         * @return the running manager
         * @throws IllegalArgumentException if a chosen CPU cannot be managed (the message says which,
         *     why, and which CPUs can)
         * @throws IllegalStateException if {@code requirePinning} or
         *     {@code requireCoreAffineVirtualThreads} cannot be met here, if an {@code exclusive} lane's
         *     CPU is held by another (the message names the holder), or if {@code strictIsolation} cannot
         *     be met
         */
        public CoreManager build() {
            if (requireVirtualThreads && !CoreAffineThreads.isSupported()) {
                throw new IllegalStateException("core-affine virtual threads are required but "
                        + CoreAffineThreads.unsupportedReason().orElse("?"));
            }
            if (requirePinning && !Affinity.isSupported()) {
                throw new IllegalStateException("pinning is required but " + Affinity.unsupportedReason().orElse("?"));
            }
            CpuTopology t = selection.resolveTopology();
            CpuChoice.Choice choice = selection.choose(t, sizeByCpuQuota);
            CpuSet chosen = choice.cpus();
            CpuReservation held = exclusive == null ? null : reserveLanes(exclusive, chosen);
            Lanes lanes;
            try {
                lanes = Lanes.start(new Lanes.Config(chosen, namePrefix, idleStrategy.spinNanos(),
                        Affinity.isSupported(), daemon, handler, queueCapacity,
                        TimeUnit.NANOSECONDS.convert(stallThreshold), interruptStalled));
            } catch (RuntimeException | Error e) {
                if (held != null) {
                    held.close();
                }
                throw e;
            }
            OffloadPools offload = new OffloadPools(lanes, t, chosen, namePrefix, offloadThreads, Affinity.isSupported());
            CoreManager manager = new CoreManager(lanes, t, chosen, idleStrategy, choice.quota(), offload);
            manager.reservation = held;
            lanes.beforeTermination(manager::endIsolation);
            List<String> problems = lanes.pinProblems();
            if (!problems.isEmpty()) {
                if (requirePinning) {
                    manager.close();
                    throw new IllegalStateException("cannot pin the lanes (requirePinning is set): "
                            + String.join("; ", problems));
                }
                LOG.log(System.Logger.Level.WARNING, "lanes run unpinned (stats() shows which): "
                        + String.join("; ", problems));
            }
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
