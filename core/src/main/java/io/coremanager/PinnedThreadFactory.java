package io.coremanager;

import io.coremanager.affinity.Affinity;
import io.coremanager.reservation.CpuReservation;
import io.coremanager.reservation.CpuReservations;
import io.coremanager.topology.CpuTopology;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.Optional;

/**
 * Platform threads pinned to the CPUs of a placement, for the frameworks that own their threads: a
 * Netty event loop group, an LMAX Disruptor, an Aeron agent runner, a game loop.
 *
 * <pre>{@code
 * ThreadFactory pinned = PinnedThreadFactory.builder()
 *         .placement(Placement.onePerCore()).namePrefix("io-").build();
 * EventLoopGroup group = new MultiThreadIoEventLoopGroup(4, pinned, NioIoHandler.newFactory());
 * }</pre>
 *
 * <p>Each new thread takes the next slot, round-robin: one CPU, or with {@link Builder#wholeCores}
 * all SMT siblings of one physical core. With {@link Builder#exclusive} a thread also reserves its
 * slot ({@link CpuReservation}) for as long as it runs, within and across processes; when every
 * slot is reserved, {@link #newThread} returns {@code null}, which executors report as a
 * rejection.
 *
 * <p><b>Inheritance.</b> On Linux a new thread starts with its creator's affinity. Threads from
 * this factory set their own mask as their first act, so they never inherit the caller's. Threads
 * that a pinned thread creates by other means do inherit its single CPU, silently: give such
 * libraries {@link #unpinned()}, whose threads reset themselves to the CPUs the process may use.
 *
 * <p>Where pinning fails (an unsupported platform, a refused CPU) threads run unpinned and the
 * factory says so once, unless {@link Builder#requirePinning} makes the thread fail instead.
 * Thread-safe.
 */
public final class PinnedThreadFactory implements ThreadFactory {

    private static final System.Logger LOG = System.getLogger("io.coremanager");

    private final List<CpuSet> slots;
    private final String namePrefix;
    private final boolean daemon;
    private final Thread.UncaughtExceptionHandler handler;
    private final CpuReservations exclusive;
    private final boolean requirePinning;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger number = new AtomicInteger();

    private PinnedThreadFactory(Builder b, List<CpuSet> slots) {
        this.slots = List.copyOf(slots);
        this.namePrefix = b.namePrefix;
        this.daemon = b.daemon;
        this.handler = b.handler;
        this.exclusive = b.exclusive;
        this.requirePinning = b.requirePinning;
    }

    /**
     * A builder: which CPUs, whole cores or single CPUs, shared or exclusive, names.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A factory of threads that reset their affinity to every CPU the process may use: for the
     * threads a library creates from inside a pinned thread, which would otherwise inherit its
     * single CPU.
     *
     * @return the factory
     */
    public static ThreadFactory unpinned() {
        return task -> {
            Objects.requireNonNull(task, "task");
            return Thread.ofPlatform().unstarted(() -> {
                if (Affinity.isSupported()) {
                    try {
                        Affinity.set(CpuTopology.current().allowedCpus());
                    } catch (RuntimeException e) {
                        warnOnceInJvm("unpinned-reset", "cannot reset a thread's affinity: " + e.getMessage());
                    }
                }
                task.run();
            });
        };
    }

    /**
     * The slots threads are pinned to, in the order they are handed out.
     *
     * @return the slots threads are pinned to, in the order they are handed out
     */
    public List<CpuSet> slots() {
        return slots;
    }

    /**
     * A new thread pinned to the next slot, unstarted; {@code null} if the factory is exclusive
     * and every slot is reserved.
     */
    @Override
    public Thread newThread(Runnable task) {
        Objects.requireNonNull(task, "task");
        int start = Math.floorMod(next.getAndIncrement(), slots.size());
        CpuSet slot = slots.get(start);
        CpuReservation reservation = null;
        if (exclusive != null) {
            reservation = reserveFrom(start);
            if (reservation == null) {
                return null;
            }
            slot = reservation.cpus();
        }
        CpuSet cpus = slot;
        CpuReservation held = reservation;
        String name = namePrefix + number.incrementAndGet() + "-cpu" + cpus;
        Thread.Builder.OfPlatform builder = Thread.ofPlatform().name(name).daemon(daemon);
        if (handler != null) {
            builder.uncaughtExceptionHandler(handler);
        }
        return builder.unstarted(() -> {
            try {
                pin(cpus);
                task.run();
            } finally {
                if (held != null) {
                    held.close();
                }
            }
        });
    }

    /** The first slot from {@code start} on that no one holds, reserved; null if all are held. */
    private CpuReservation reserveFrom(int start) {
        for (int i = 0; i < slots.size(); i++) {
            CpuSet slot = slots.get((start + i) % slots.size());
            Optional<CpuReservation> r = exclusive.tryReserve(slot);
            if (r.isPresent()) {
                return r.get();
            }
        }
        warnOnce("exclusive-full", "every slot of a pinned thread factory "
                + slots + " is reserved (" + exclusive.folder() + "); it refuses new threads until one ends");
        return null;
    }

    private void pin(CpuSet cpus) {
        try {
            Affinity.set(cpus);
        } catch (RuntimeException e) {
            if (requirePinning) {
                throw new IllegalStateException("cannot pin thread " + Thread.currentThread().getName()
                        + " to cpus " + cpus + " (requirePinning is set): " + e.getMessage(), e);
            }
            warnOnce("pinned-factory", "a pinned thread runs unpinned on cpus " + cpus + ": "
                    + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "PinnedThreadFactory[" + slots + (exclusive != null ? ", exclusive" : "") + "]";
    }

    /** Builds a {@link PinnedThreadFactory}. Not thread-safe. */
    public static final class Builder {
        private final CpuSelection selection = new CpuSelection();
        private boolean wholeCores;
        private CpuReservations exclusive;
        private String namePrefix = "pinned-";
        private boolean daemon;
        private Thread.UncaughtExceptionHandler handler;
        private boolean requirePinning;

        private Builder() {
        }

        /**
         * Pins to exactly these CPUs, checked as {@link CoreManager.Builder#cpus} checks them.
         *
         * @param cpus the CPUs
         * @return this builder
         */
        public Builder cpus(CpuSet cpus) {
            selection.cpus(cpus);
            return this;
        }

        /**
         * Chooses the CPUs from the topology (every usable CPU by default).
         *
         * @param placement how to choose the CPUs
         * @return this builder
         */
        public Builder placement(Placement placement) {
            selection.placement(placement);
            return this;
        }

        /**
         * The topology to place on; {@link CpuTopology#current()} by default.
         *
         * @param topology the topology
         * @return this builder
         */
        public Builder topology(CpuTopology topology) {
            selection.topology(topology);
            return this;
        }

        /**
         * Whether isolated CPUs may be used (off by default, as for {@link CoreManager}).
         *
         * @param includeIsolated true to allow isolated CPUs
         * @return this builder
         */
        public Builder includeIsolated(boolean includeIsolated) {
            selection.includeIsolated(includeIsolated);
            return this;
        }

        /**
         * Pin each thread to a whole physical core (all SMT siblings among the chosen CPUs) rather
         * than to one CPU: no other of these threads shares its core.
         *
         * @param wholeCores true for one whole core per thread
         * @return this builder
         */
        public Builder wholeCores(boolean wholeCores) {
            this.wholeCores = wholeCores;
            return this;
        }

        /**
         * Each thread reserves its slot for as long as it runs, in the user's default lock folder.
         *
         * @return this builder
         */
        public Builder exclusive() {
            return exclusive(CpuReservations.defaultFolder());
        }

        /**
         * Each thread reserves its slot for as long as it runs, in {@code folder}.
         *
         * @param folder the lock folder to reserve in
         * @return this builder
         */
        public Builder exclusive(CpuReservations folder) {
            this.exclusive = Objects.requireNonNull(folder, "folder");
            return this;
        }

        /**
         * Threads are named prefix + N + {@code -cpu} + their CPUs ({@code pinned-3-cpu5}).
         *
         * @param prefix the name prefix
         * @return this builder
         */
        public Builder namePrefix(String prefix) {
            this.namePrefix = Objects.requireNonNull(prefix, "prefix");
            return this;
        }

        /**
         * Whether the threads are daemons (false by default, like {@code Executors.defaultThreadFactory()}).
         *
         * @param daemon true for daemon threads
         * @return this builder
         */
        public Builder daemon(boolean daemon) {
            this.daemon = daemon;
            return this;
        }

        /**
         * The threads' uncaught-exception handler.
         *
         * @param handler the handler
         * @return this builder
         */
        public Builder uncaughtExceptionHandler(Thread.UncaughtExceptionHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * If true, a thread that cannot be pinned fails (its task never runs) instead of running unpinned.
         *
         * @param requirePinning true to fail rather than run unpinned
         * @return this builder
         */
        public Builder requirePinning(boolean requirePinning) {
            this.requirePinning = requirePinning;
            return this;
        }

        /**
         * A factory of threads pinned as configured; the CPUs are chosen and checked now.
         *
         * @return the factory
         * @throws IllegalArgumentException if a chosen CPU cannot be used (the message says which and why)
         */
        public PinnedThreadFactory build() {
            CpuTopology t = selection.resolveTopology();
            CpuSet chosen = selection.chooseCpus(t); // a factory's threads come and go: no quota sizing
            List<CpuSet> slots = new ArrayList<>();
            if (wholeCores) {
                CpuSet covered = CpuSet.empty();
                for (int cpu : chosen.toArray()) {
                    if (!covered.contains(cpu)) {
                        CpuSet core = t.siblingsOf(cpu).intersect(chosen);
                        CpuSet slot = core.isEmpty() ? CpuSet.of(cpu) : core;
                        slots.add(slot);
                        covered = covered.union(slot);
                    }
                }
            } else {
                chosen.forEachCpu(cpu -> slots.add(CpuSet.of(cpu)));
            }
            if (!Affinity.isSupported()) {
                LOG.log(System.Logger.Level.WARNING, "pinned threads will run unpinned: "
                        + Affinity.unsupportedReason().orElse("?"));
            }
            return new PinnedThreadFactory(this, slots);
        }
    }

    /** Warnings said once per factory: their keys are a few constants. */
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    /** Warnings about this JVM rather than one factory. */
    private static final Set<String> WARNED_IN_JVM = ConcurrentHashMap.newKeySet();

    private void warnOnce(String key, String message) {
        if (warned.add(key)) {
            LOG.log(System.Logger.Level.WARNING, message);
        }
    }

    private static void warnOnceInJvm(String key, String message) {
        if (WARNED_IN_JVM.add(key)) {
            LOG.log(System.Logger.Level.WARNING, message);
        }
    }
}
