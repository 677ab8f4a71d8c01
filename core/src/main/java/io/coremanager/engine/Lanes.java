package io.coremanager.engine;

import io.coremanager.ConnectionHandler;
import io.coremanager.ConnectionPlacement;
import io.coremanager.CpuSet;
import io.coremanager.LaneServerSocket;
import io.coremanager.LaneSocket;
import io.coremanager.LaneStats;
import io.coremanager.affinity.Affinity;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The engine's one door: a group of lanes, one per managed CPU, with the run state they share.
 * {@link io.coremanager.CoreManager} is its public face; nothing else of this package is reachable
 * from outside it, and the module does not export it. The protocols are in the engine overview
 * ({@code package-info}).
 *
 * <h2>Run state</h2>
 * One {@code int}, changed only by CAS, only upwards:
 * <pre>
 *   RUNNING  ──shutdown(), close()──────────────▶ SHUTDOWN
 *   RUNNING  ──shutdownNow()────────────────────▶ STOP
 *   SHUTDOWN ──shutdownNow(), close() interrupted▶ STOP
 *   SHUTDOWN, STOP ──last lane terminated───────▶ terminated (the latch, not a state value)
 * </pre>
 * And per lane, decided by its carrier: a lane leaves once the state is not RUNNING (or the lane
 * failed closed), no tracked virtual thread of it is alive, and its queue closes empty; a failed
 * lane rejects user work from the moment it fails. Every transition wakes every carrier, which
 * re-reads the state.
 *
 * <p>Thread-safe. Submitting a task happens-before it runs; a task's completion happens-before its
 * future completes.
 */
public final class Lanes implements TaskOwner {

    static final int RUNNING = 0;
    static final int SHUTDOWN = 1;
    static final int STOP = 2;

    private static final System.Logger LOG = System.getLogger("io.coremanager");
    /** Warnings about this JVM rather than a group (the missing JDK hook): said once per JVM. */
    private static final Set<String> WARNED_IN_JVM = ConcurrentHashMap.newKeySet();
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Lanes.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * What a group needs from its builder.
     *
     * @param cpus the CPUs, one lane each
     * @param namePrefix carrier names are this prefix and the CPU ({@code coremanager-cpu-3})
     * @param spinNanos how long an idle carrier spins before parking: 0 parks at once,
     *     {@link Long#MAX_VALUE} never parks
     * @param pin whether carriers pin themselves to their CPU
     * @param daemon whether carriers are daemon threads
     * @param handler sees what {@code execute} tasks and virtual threads throw; null to log
     * @param queueCapacity the most entries user tasks may find queued on a lane; 0 for unbounded
     * @param stallThresholdNanos how long one element may hold a carrier before the watchdog reports
     *     it; 0 turns the watchdog off
     * @param interruptStalled whether the watchdog interrupts what stalls a lane
     */
    public record Config(CpuSet cpus, String namePrefix, long spinNanos, boolean pin, boolean daemon,
                         Thread.UncaughtExceptionHandler handler, long queueCapacity, long stallThresholdNanos,
                         boolean interruptStalled) {
        /** Checks the values. */
        public Config {
            Objects.requireNonNull(cpus, "cpus");
            Objects.requireNonNull(namePrefix, "namePrefix");
            if (cpus.isEmpty()) {
                throw new IllegalArgumentException("cpus: empty (expected: at least one cpu)");
            }
        }
    }

    /** RUNNING, SHUTDOWN or STOP; see the class notes. */
    private volatile int state = RUNNING;
    /** Set once a lane closed its inbound mesh: from then on each section's end wakes the closing lanes. */
    private volatile boolean meshClosing;

    private final Config config;
    private final int[] cpuList;
    /** The lane of each managed CPU, indexed by CPU number; null for CPUs not managed. */
    private final Lane[] laneOfCpu;
    private final List<Lane> lanes;
    private final CountDownLatch terminated;
    /** Lanes not yet terminated: the last one runs {@link #beforeTermination}. */
    private final AtomicInteger lanesLeft;
    /** See {@link #beforeTermination(Runnable)}; null for none. */
    private volatile Runnable beforeTermination;
    /** The context class loader of every carrier: the builder's, never that of whoever woke one. */
    private final ClassLoader contextClassLoader;
    /** Warnings said once per group; the keys are a few per lane. */
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    /** Views blocked in awaitTermination: woken when the group shuts down (see LaneExecutorService). */
    private final Set<LaneView> waitingViews = ConcurrentHashMap.newKeySet();

    private Lanes(Config config) {
        this.config = config;
        this.cpuList = config.cpus().toArray();
        this.laneOfCpu = new Lane[config.cpus().last() + 1];
        this.terminated = new CountDownLatch(cpuList.length);
        this.lanesLeft = new AtomicInteger(cpuList.length);
        this.contextClassLoader = Thread.currentThread().getContextClassLoader();
        List<Lane> all = new ArrayList<>(cpuList.length);
        for (int cpu : cpuList) {
            Lane lane = new Lane(cpu, config.namePrefix() + cpu, this, config.spinNanos(), config.queueCapacity());
            laneOfCpu[cpu] = lane;
            all.add(lane);
        }
        this.lanes = List.copyOf(all);
        for (int i = 0; i < lanes.size(); i++) {
            lanes.get(i).meshInit(i, lanes.size());
        }
    }

    /**
     * Starts one carrier per CPU and returns when each has pinned itself (or failed to), with the
     * stall watchdog if configured.
     *
     * @param config the group's settings
     * @return the running group
     * @throws IllegalStateException if interrupted while the carriers start (the group is stopped)
     */
    public static Lanes start(Config config) {
        VirtualThreadHook.startJdkPollersOutsideLanes();
        Lanes group = new Lanes(config);
        int started = 0;
        try {
            for (Lane lane : group.lanes) {
                lane.carrier().start();
                started++;
            }
        } catch (InterruptedException e) {
            group.abandonStart(started);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the lanes", e);
        } catch (Throwable e) {
            group.abandonStart(started);
            throw e; // e.g. an OutOfMemoryError: unable to create native thread
        }
        if (config.stallThresholdNanos() > 0) {
            group.startCarrierThread(config.namePrefix() + "watchdog",
                    new StallWatchdog(group, group.lanes, config.stallThresholdNanos(), config.interruptStalled()));
        }
        return group;
    }

    /**
     * Start failed after {@code started} carriers: the lanes never started count as terminated
     * (nothing runs there, nothing was accepted), and the started ones are stopped.
     */
    private void abandonStart(int started) {
        for (int i = started; i < lanes.size(); i++) {
            lanes.get(i).markTerminated();
            laneTerminated(lanes.get(i));
        }
        shutdownNow();
    }

    // ---------------------------------------------------------------- work

    /**
     * Runs {@code task} on {@code cpu}, fire and forget.
     *
     * @param cpu a managed CPU
     * @param task the task
     * @throws IllegalArgumentException if {@code cpu} is not managed
     * @throws RejectedExecutionException after shutdown, or if the lane is full or failed
     */
    public void execute(int cpu, Runnable task) {
        Objects.requireNonNull(task, "task");
        Lane lane = lane(cpu);
        checkRunning();
        if (!lane.offer(new ExecutedTask(task, this))) {
            throw rejected(lane);
        }
    }

    /**
     * Runs {@code task} on {@code cpu}.
     *
     * @param <T> the result type
     * @param cpu a managed CPU
     * @param task the task
     * @return its future
     * @throws IllegalArgumentException if {@code cpu} is not managed
     * @throws RejectedExecutionException after shutdown, or if the lane is full or failed
     */
    public <T> CompletableFuture<T> submit(int cpu, Callable<T> task) {
        Objects.requireNonNull(task, "task");
        Lane lane = lane(cpu);
        checkRunning();
        SubmittedTask<T> future = new SubmittedTask<>(task, this, lane);
        if (!lane.offer(future)) {
            throw rejected(lane);
        }
        return future;
    }

    /**
     * Starts a tracked core-affine virtual thread on {@code cpu}.
     *
     * @param cpu a managed CPU
     * @param task what the thread runs
     * @return the started thread
     * @throws IllegalArgumentException if {@code cpu} is not managed
     * @throws RejectedExecutionException after shutdown, or if the lane failed
     */
    public Thread go(int cpu, Runnable task) {
        Objects.requireNonNull(task, "task");
        Lane lane = lane(cpu);
        warnIfNoVirtualThreadHook();
        lane.threads.countStarting(); // before the state check: see LaneThreads
        if (state != RUNNING || lane.failure() != null) {
            lane.threads.ended();
            throw rejected(lane);
        }
        try {
            Thread thread = lane.threads.newThread(task, true);
            thread.start();
            return thread;
        } catch (Throwable e) {
            lane.threads.ended();
            throw e;
        }
    }

    /**
     * A factory of tracked core-affine virtual threads on {@code cpu}; it returns null once the
     * group is shut down.
     *
     * @param cpu a managed CPU
     * @return the factory
     * @throws IllegalArgumentException if {@code cpu} is not managed
     */
    public ThreadFactory threadFactory(int cpu) {
        Lane lane = lane(cpu);
        return task -> {
            Objects.requireNonNull(task, "task");
            warnIfNoVirtualThreadHook();
            return state == RUNNING ? lane.threads.newThread(task, false) : null;
        };
    }

    /**
     * A new {@code ExecutorService} view of {@code cpu}'s lane, with a lifecycle of its own.
     *
     * @param cpu a managed CPU
     * @return the view
     * @throws IllegalArgumentException if {@code cpu} is not managed
     */
    public ExecutorService executor(int cpu) {
        return new LaneExecutorService(this, lane(cpu));
    }

    /**
     * A new {@code ScheduledExecutorService} view of {@code cpu}'s lane, whose timers the lane's
     * carrier keeps and runs, with a lifecycle of its own (see {@code LaneScheduledExecutorService}).
     *
     * @param cpu a managed CPU
     * @return the view
     * @throws IllegalArgumentException if {@code cpu} is not managed
     */
    public ScheduledExecutorService scheduler(int cpu) {
        return new LaneScheduledExecutorService(this, lane(cpu));
    }

    /**
     * Sleeps for {@code nanos}: on a virtual thread whose scheduler is a lane (of any group), the
     * thread parks and that lane's carrier unparks it from its timer heap; anywhere else, and once
     * the lane has closed, {@link Thread#sleep(java.time.Duration)}.
     *
     * @param nanos how long; nothing happens if not positive
     * @throws InterruptedException if interrupted before or while sleeping (the status is cleared)
     */
    public static void sleep(long nanos) throws InterruptedException {
        if (VirtualThreadHook.schedulerOf(Thread.currentThread()) instanceof Lane lane) {
            lane.timers.sleep(nanos);
        } else if (nanos > 0) {
            Thread.sleep(java.time.Duration.ofNanos(nanos));
        } else if (Thread.interrupted()) {
            throw new InterruptedException("sleep interrupted");
        }
    }

    // ---------------------------------------------------------------- lane-local I/O

    /** The pending-connection queue of the listening sockets: 1024, capped by the kernel ({@code somaxconn}). */
    public static final int BACKLOG = 1024;

    /**
     * A listening socket owned by {@code cpu}'s lane, bound now by the caller (any thread).
     *
     * @param cpu a managed CPU
     * @param address where to listen
     * @param backlog the pending-connection queue; 0 for the JDK's default
     * @return the socket; accept from a virtual thread of that lane
     * @throws IOException if it cannot bind
     * @throws IllegalArgumentException if {@code cpu} is not managed
     * @throws RejectedExecutionException after shutdown
     */
    public LaneServerSocket listen(int cpu, SocketAddress address, int backlog) throws IOException {
        Lane lane = lane(cpu);
        checkRunning();
        return LaneServerChannel.open(lane, address, backlog);
    }

    /**
     * Connects to {@code remote} from a core-affine virtual thread of this group, parking it until
     * connected; the connection is owned by the caller's lane.
     *
     * @param remote the peer
     * @return the connection
     * @throws IOException if it cannot connect
     * @throws IllegalStateException if the caller is not a virtual thread of one of the group's lanes
     */
    public LaneSocket connect(SocketAddress remote) throws IOException {
        return connect(remote, java.time.Duration.ZERO);
    }

    /**
     * As {@link #connect(SocketAddress)}, giving up after {@code timeout}.
     *
     * @param remote the peer
     * @param timeout how long to wait; zero for no limit
     * @return the connection
     * @throws java.net.SocketTimeoutException if not connected within {@code timeout} (the socket is closed)
     * @throws IOException if it cannot connect
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException if the caller is not a virtual thread of one of the group's lanes
     */
    public LaneSocket connect(SocketAddress remote, java.time.Duration timeout) throws IOException {
        Objects.requireNonNull(remote, "remote");
        long timeoutNanos = LaneChannel.timeoutNanos(timeout, "timeout");
        Thread t = Thread.currentThread();
        if (!(VirtualThreadHook.schedulerOf(t) instanceof Lane lane) || lane.group() != this) {
            throw new IllegalStateException("connect makes a socket owned by the caller's lane, so it must be "
                    + "called from a core-affine virtual thread of this CoreManager (go(cpu, ...)); it was called from "
                    + t + (VirtualThreadHook.isAvailable() ? "" : " (core-affine virtual threads are unavailable: "
                    + VirtualThreadHook.unavailableReason() + ")"));
        }
        return LaneSocketChannel.connect(lane, remote, timeoutNanos);
    }

    /**
     * Listens on {@code address} with a socket owned by {@code cpu}'s lane, and accepts there, in a
     * tracked virtual thread, until the socket closes (on shutdown, or by the caller); each
     * connection goes to the lane {@code placement} picks and is served by {@code handler} in a new
     * tracked virtual thread of that lane, then closed.
     *
     * @param cpu the accepting lane's CPU
     * @param address where to listen
     * @param placement which lane serves each connection
     * @param handler serves one connection
     * @return the listening socket: close it to stop accepting
     * @throws IOException if it cannot bind
     * @throws IllegalArgumentException if {@code cpu} is not managed
     * @throws RejectedExecutionException after shutdown
     */
    public LaneServerSocket serve(int cpu, SocketAddress address, ConnectionPlacement placement,
                                  ConnectionHandler handler) throws IOException {
        Objects.requireNonNull(placement, "placement");
        Objects.requireNonNull(handler, "handler");
        LaneServerChannel server = (LaneServerChannel) listen(cpu, address, BACKLOG);
        try {
            go(cpu, () -> acceptLoop(server, placement, handler));
        } catch (RuntimeException | Error e) {
            server.closeQuietly();
            throw e;
        }
        return server;
    }

    private void acceptLoop(LaneServerChannel server, ConnectionPlacement placement, ConnectionHandler handler) {
        while (server.isOpen()) {
            SocketChannel accepted;
            try {
                accepted = server.acceptChannel(false); // until closed: an accept timeout set on the socket is not for this loop
            } catch (IOException e) {
                if (server.isOpen()) {
                    report(server.lane, Thread.currentThread(), e); // EMFILE and the like: report, pause, go on
                    LockSupport.parkNanos(10_000_000L);
                }
                continue;
            }
            LaneSocketChannel socket = null;
            try {
                int target = placement.cpu(accepted.getRemoteAddress(), server.cpu());
                socket = new LaneSocketChannel(lane(target), accepted);
                LaneSocketChannel s = socket;
                go(target, () -> serveOne(s, handler));
            } catch (RejectedExecutionException e) {
                closeQuietly(socket, accepted); // shut down meanwhile
            } catch (IOException | RuntimeException e) {
                closeQuietly(socket, accepted);
                report(server.lane, Thread.currentThread(), e);
            }
        }
    }

    private static void closeQuietly(LaneSocketChannel socket, SocketChannel accepted) {
        try {
            if (socket != null) {
                socket.close();
            } else {
                accepted.close();
            }
        } catch (IOException e) {
            // nothing to tell: the connection was never served
        }
    }

    private static void serveOne(LaneSocketChannel socket, ConnectionHandler handler) {
        try (socket) {
            handler.handle(socket);
        } catch (IOException e) {
            // the connection ends: see ConnectionHandler
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("connection handler failed: " + e, e);
        }
    }

    // ---------------------------------------------------------------- queries

    /**
     * One consistent, cheap snapshot of {@code cpu}'s lane: see {@link LaneStats}.
     *
     * @param cpu a managed CPU
     * @return the snapshot
     * @throws IllegalArgumentException if {@code cpu} is not managed
     */
    public LaneStats stats(int cpu) {
        Lane lane = lane(cpu);
        CarrierCounters.Snapshot s = lane.counters.read(); // before submitted: see LaneStats
        long submitted = lane.submitted();
        Thread carrier = lane.carrier().thread();
        RejectedExecutionException failure = lane.failure();
        return new LaneStats(cpu, carrier == null ? "" : carrier.getName(), lane.carrier().pinProblem(),
                submitted, s.completed(), s.failed(), s.cancelled(), lane.queued(), lane.threads.live(),
                lane.threads.started(), s.continuations(), s.busyNanos(), lane.stalls(), lane.longestStallNanos(),
                lane.carrierReplacements(), failure == null ? null : failure.getMessage());
    }

    /**
     * Whether {@code cpu}'s carrier is pinned to exactly that CPU now, asked of the kernel.
     *
     * @param cpu a managed CPU
     * @return true if its affinity mask is exactly {@code cpu}
     * @throws IllegalArgumentException if {@code cpu} is not managed
     */
    public boolean pinnedNow(int cpu) {
        return lane(cpu).pinnedNow();
    }

    /**
     * Why each lane that could not pin its carrier at start could not.
     *
     * @return one line per unpinned lane ({@code cpu 3: ...}); empty when all are pinned
     */
    public List<String> pinProblems() {
        List<String> problems = new ArrayList<>();
        for (Lane lane : lanes) {
            String problem = lane.carrier().pinProblem();
            if (problem != null) {
                problems.add("cpu " + lane.cpu() + ": " + problem);
            }
        }
        return problems;
    }

    /**
     * Whether core-affine virtual threads can be made in this JVM.
     *
     * @return true if the JDK's virtual-thread builder with a custom scheduler is reachable
     */
    public static boolean coreAffineThreadsSupported() {
        return VirtualThreadHook.isAvailable();
    }

    /**
     * Why core-affine virtual threads cannot be made here.
     *
     * @return the reason with the flag to add, or null when they can
     */
    public static String coreAffineThreadsUnsupportedReason() {
        return VirtualThreadHook.unavailableReason();
    }

    /**
     * The CPU of the lane whose code {@code thread} is: the lane's carrier (its tasks run there), or
     * a virtual thread whose scheduler is the lane (a core-affine one, or one started inside it).
     * A late carrier is not lane code of its own: the continuations it runs are of virtual threads,
     * found by their scheduler. Platform threads that {@code go} falls back to without the JDK hook
     * run beside the carrier, not as the lane, so they are not lane code either.
     *
     * @param thread any thread
     * @return the CPU of its lane in this group, or -1 if it is not lane code of this group
     */
    public int laneCpuOf(Thread thread) {
        Objects.requireNonNull(thread, "thread");
        if (thread.isVirtual()) {
            return VirtualThreadHook.schedulerOf(thread) instanceof Lane lane && lane.group() == this ? lane.cpu() : -1;
        }
        for (Lane lane : lanes) {
            if (lane.isCarrier(thread)) {
                return lane.cpu();
            }
        }
        return -1;
    }

    /**
     * Runs {@code step} on {@code cpu}'s lane as a virtual thread's wake-up is run: never refused
     * (neither by shutdown nor by the queue's capacity), and after the lane closed, on a late carrier
     * pinned to the same CPU. For completing, on the lane, something the lane's code waits for; it
     * must be short. What it throws is reported as a continuation's failure is.
     *
     * @param cpu a managed CPU
     * @param step what to run
     * @throws IllegalArgumentException if {@code cpu} is not managed
     */
    public void resumeOn(int cpu, Runnable step) {
        Objects.requireNonNull(step, "step");
        lane(cpu).execute(step);
    }

    // ---------------------------------------------------------------- lifecycle

    /** No new work; accepted tasks still run and virtual threads finish. Does not wait. */
    public void shutdown() {
        advanceState(SHUTDOWN);
    }

    /**
     * No new work; the tasks that have not started are handed back (their futures fail with a
     * {@code CancellationException}); the running user tasks and the tracked virtual threads are
     * interrupted. Does not wait.
     *
     * @return the tasks that never started: {@code execute}'s tasks as given, and for
     *     {@code submit}'s, a {@code RunnableFuture} view of the (already cancelled) future, which
     *     does nothing when run
     */
    public List<Runnable> shutdownNow() {
        advanceState(STOP);
        List<Runnable> handedBack = new ArrayList<>();
        for (Lane lane : lanes) {
            lane.takeBack(null, "CoreManager.shutdownNow() before this task started on cpu " + lane.cpu(), handedBack);
            lane.interruptRunningTask(null);
            lane.threads.interruptAll();
            lane.io.closeAll(); // wakes and fails whatever is parked in the lane's sockets
            lane.wake();
        }
        return handedBack;
    }

    /**
     * Waits until every lane has terminated.
     *
     * @param nanos how long to wait at most
     * @return true if terminated, false if the time ran out
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitTermination(long nanos) throws InterruptedException {
        return terminated.await(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Whether the group is shut down.
     *
     * @return true after {@link #shutdown()} or {@link #shutdownNow()}
     */
    public boolean isShutdown() {
        return state != RUNNING;
    }

    @Override
    public boolean isStopping() {
        return state >= STOP;
    }

    /**
     * Whether every lane has terminated.
     *
     * @return true once every carrier has left
     */
    public boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    /**
     * Shuts down and waits for termination; if interrupted while waiting, stops as
     * {@link #shutdownNow()} does, keeps waiting, and restores the interrupt status. Called from the
     * group's own work (anything running on a carrier: a task, a core-affine virtual thread, a
     * virtual thread started inside one), it shuts down without waiting, since the caller is part of
     * what it would wait for. Idempotent.
     */
    public void close() {
        shutdown();
        if (isOwnWork(Thread.currentThread())) {
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

    /**
     * The state's name, for {@code toString}.
     *
     * @return RUNNING, SHUTDOWN, STOP or TERMINATED
     */
    public String stateName() {
        int s = state;
        return isTerminated() ? "TERMINATED" : s == RUNNING ? "RUNNING" : s == SHUTDOWN ? "SHUTDOWN" : "STOP";
    }

    // ---------------------------------------------------------------- package-private: for the lanes and views

    int state() {
        return state;
    }

    boolean pins() {
        return config.pin();
    }

    Thread.UncaughtExceptionHandler virtualThreadHandler() {
        return config.handler();
    }

    /** The lane of {@code cpu}; the one place that checks a CPU argument. */
    Lane lane(int cpu) {
        Lane lane = cpu >= 0 && cpu < laneOfCpu.length ? laneOfCpu[cpu] : null;
        if (lane == null) {
            throw new IllegalArgumentException("cpu " + cpu + " is not managed here; managed cpus: " + config.cpus());
        }
        return lane;
    }

    private void checkRunning() {
        if (state != RUNNING) {
            throw rejected();
        }
    }

    /** Why {@code lane} refused work whose offer found its queue closed: the lane failed, or the group is shut down. */
    RejectedExecutionException rejected(Lane lane) {
        RejectedExecutionException failed = lane.failure();
        return failed != null ? lane.refusal(failed, "") : rejected();
    }

    RejectedExecutionException rejected() {
        String reason = "CoreManager of cpus " + config.cpus() + " is shut down; it accepts no new work";
        LaneEvents.rejection(-1, reason);
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
            lane.io.closeListeners(); // accept loops end, so the lanes can
            lane.wake(); // carriers re-check whether they may leave
        }
        for (LaneView view : waitingViews) {
            view.groupShutDown(); // after the state write: see LaneExecutorService
        }
    }

    void addWaitingView(LaneView view) {
        waitingViews.add(view);
    }

    void removeWaitingView(LaneView view) {
        waitingViews.remove(view);
    }

    /**
     * Whether {@code thread} is the group's own work: a carrier (tasks run there), a tracked thread,
     * or any virtual thread whose scheduler is one of the group's lanes (including those started with
     * {@code Thread.ofVirtual()} inside a core-affine one, which inherit it).
     */
    boolean isOwnWork(Thread thread) {
        if (VirtualThreadHook.schedulerOf(thread) instanceof Lane lane && lane.group() == this) {
            return true;
        }
        for (Lane lane : lanes) {
            if (lane.isCarrier(thread) || lane.threads.contains(thread)) {
                return true;
            }
        }
        return false;
    }

    boolean meshClosing() {
        return meshClosing;
    }

    /** A lane closed its inbound mesh (see Lane.meshQuiet). */
    void meshClosed() {
        meshClosing = true;
    }

    /** A section ended while some lane closes its mesh: those lanes re-check whether they may leave. */
    void wakeLanesClosingMesh() {
        for (Lane lane : lanes) {
            if (!lane.meshOpen() && !lane.isTerminated()) {
                lane.wake();
            }
        }
    }

    void laneTerminated(Lane lane) {
        if (lanesLeft.decrementAndGet() == 0) {
            Runnable action = beforeTermination;
            if (action != null) {
                try {
                    action.run(); // before the latch: whoever awaits termination sees it done
                } catch (Throwable t) {
                    LOG.log(System.Logger.Level.WARNING, "an action at the termination of " + this + " failed", t);
                }
            }
        }
        terminated.countDown();
    }

    /**
     * Runs {@code action} once, when the last lane terminates and before the group counts as
     * terminated: what the manager holds for the lanes' life (isolation, CPU reservations) ends
     * there, so that {@code close()} returns with it undone. Set once, right after {@link #start}.
     *
     * @param action what to run; it should not throw (a failure is logged)
     */
    public void beforeTermination(Runnable action) {
        this.beforeTermination = Objects.requireNonNull(action, "action");
    }

    /**
     * Whether {@code tid} is the kernel thread id of one of the group's carriers now (a replaced
     * carrier's new thread included).
     *
     * @param tid a kernel thread id
     * @return true if a lane's current carrier has that id
     */
    public boolean isCarrierThreadId(int tid) {
        for (Lane lane : lanes) {
            if (tid != 0 && lane.carrier().tid() == tid) {
                return true;
            }
        }
        return false;
    }

    /** Reports a failure of an {@code execute} task, a continuation, or a lane itself. */
    void report(Lane lane, Thread thread, Throwable failure) {
        Thread.UncaughtExceptionHandler handler = config.handler();
        try {
            if (handler != null) {
                try {
                    handler.uncaughtException(thread, failure);
                    return;
                } catch (Throwable t) {
                    if (t != failure) { // a handler may rethrow what it was given: no self-suppression
                        failure.addSuppressed(t);
                    }
                }
            }
            LOG.log(System.Logger.Level.WARNING, "a task on cpu " + lane.cpu() + " threw", failure);
        } catch (Throwable t) {
            // Never throws: a report happens on the carrier, whose loop must outlive any handler and any
            // logger (the UncaughtExceptionHandler contract: what it throws is ignored).
        }
    }

    /** Logs {@code message} once per group and {@code key}. */
    void warnOnce(String key, String message) {
        if (warned.add(key)) {
            LOG.log(System.Logger.Level.WARNING, message);
        }
    }

    private static void warnIfNoVirtualThreadHook() {
        if (!VirtualThreadHook.isAvailable() && WARNED_IN_JVM.add("no-vthread-hook")) {
            LOG.log(System.Logger.Level.WARNING, "core-affine virtual threads are unavailable: "
                    + VirtualThreadHook.unavailableReason()
                    + ". Until then go() and threadFactory() run each task on a platform thread pinned to its cpu.");
        }
    }

    /** Starts one of the group's platform threads (a carrier, a late carrier, the watchdog). */
    Thread startCarrierThread(String name, Runnable body) {
        return startCarrierThread(name, body, t -> { });
    }

    /**
     * Starts one of the group's platform threads. They inherit nothing from whoever happens to start
     * them (no inheritable thread-locals; the builder's context class loader), since a late carrier
     * or a replacement starts on whichever thread woke it. {@code beforeStart} sees the thread first.
     */
    Thread startCarrierThread(String name, Runnable body, Consumer<Thread> beforeStart) {
        if (Faults.ENABLED) {
            Faults.at(Faults.Point.CARRIER_START);
        }
        Thread thread = Thread.ofPlatform().name(name).daemon(config.daemon()).inheritInheritableThreadLocals(false)
                .unstarted(body);
        thread.setContextClassLoader(contextClassLoader);
        beforeStart.accept(thread);
        thread.start();
        return thread;
    }

    /** The lanes, in CPU order. */
    List<Lane> lanes() {
        return Collections.unmodifiableList(lanes);
    }

    @Override
    public String toString() {
        return "Lanes[cpus " + config.cpus() + ", " + stateName() + "]";
    }
}
