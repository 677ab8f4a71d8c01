package io.coremanager.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The core-affine virtual threads of one lane that the group tracks ({@code go},
 * {@code threadFactory}): how many are alive (the carrier does not leave while any is), which, and
 * how they are made. Virtual threads started with {@code Thread.ofVirtual()} inside a tracked one
 * share its lane (they inherit the scheduler) but are not tracked: see the engine overview.
 *
 * <p>Counting protocol: a thread counts itself live before it can run (by {@link #countStarting()}
 * in {@code go}, or on its first step for factory-made threads), and the group's state is read after
 * the count is written; the carrier reads the count after reading the state. Both sides write, then
 * read the other's variable, with volatile accesses, so the carrier never leaves while a thread it
 * must wait for is starting.
 */
final class LaneThreads {

    private final Lane lane;
    private final AtomicInteger live = new AtomicInteger();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final LongAdder started = new LongAdder();
    /** The lane's factory of its threads, made on first use; see {@link #factory()}. */
    private volatile ThreadFactory factory;

    LaneThreads(Lane lane) {
        this.lane = lane;
    }

    /**
     * A tracked core-affine virtual thread on the lane (unstarted), or a platform thread pinned to
     * the CPU where the JDK hook is unavailable. Named after the carrier: {@code coremanager-cpu-3-vt-17}.
     *
     * @param countedAlready true if the caller already counted it live (see {@link #countStarting})
     */
    Thread newThread(Runnable task, boolean countedAlready) {
        Runnable tracked = () -> {
            Thread self = Thread.currentThread();
            if (!countedAlready) {
                live.incrementAndGet();
            }
            threads.add(self);
            if (lane.group().isStopping()) {
                self.interrupt(); // started after shutdownNow's interrupts: see interruptAll
            }
            started.increment();
            try {
                if (!self.isVirtual()) {
                    lane.pinFallbackThread();
                }
                task.run();
            } finally {
                threads.remove(self);
                ended();
            }
        };
        return factory().newThread(tracked);
    }

    /**
     * A builder with the lane as scheduler (names {@code name-vt-N}, numbered by the factory), or
     * the pinned platform-thread fallback. Made on first use, so a group that never starts a thread
     * never touches the JDK hook; a race makes two and keeps one, which is harmless.
     */
    private ThreadFactory factory() {
        ThreadFactory f = factory;
        if (f == null) {
            Thread.Builder builder = VirtualThreadHook.isAvailable()
                    ? VirtualThreadHook.builder(lane).name(lane.name() + "-vt-", 1)
                    : Thread.ofPlatform().name(lane.name() + "-vt-", 1).daemon(true);
            Thread.UncaughtExceptionHandler handler = lane.group().virtualThreadHandler();
            if (handler != null) {
                builder.uncaughtExceptionHandler(handler);
            }
            f = builder.factory();
            factory = f;
        }
        return f;
    }

    /**
     * Counts a thread live before it starts, so the carrier cannot leave in between; the caller
     * must then check the group's state and call {@link #ended()} if it does not start it.
     */
    void countStarting() {
        live.incrementAndGet();
    }

    /** A tracked thread ended (or was never started after {@link #countStarting}). */
    void ended() {
        if (live.decrementAndGet() == 0 && lane.group().state() != Lanes.RUNNING) {
            lane.wake(); // the carrier may be waiting for this to leave
        }
    }

    /**
     * Interrupts every tracked live thread ({@code shutdownNow}, after the state became STOP). A
     * thread that registers itself after this loop passed sees STOP and interrupts itself: each
     * side writes, then reads the other's variable.
     */
    void interruptAll() {
        for (Thread thread : threads) {
            thread.interrupt();
        }
    }

    int live() {
        return live.get();
    }

    long started() {
        return started.sum();
    }

    boolean contains(Thread thread) {
        return threads.contains(thread);
    }

    /** The tracked live threads (for diagnostics). */
    List<Thread> snapshot() {
        return new ArrayList<>(threads);
    }
}
