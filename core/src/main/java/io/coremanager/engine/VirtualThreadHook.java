package io.coremanager.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Constructor;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The one place that reaches into the JDK for virtual threads with a scheduler of our choosing:
 * JDK 25's package-private {@code java.lang.ThreadBuilders$VirtualThreadBuilder(Executor)}, opened
 * by {@code --add-opens java.base/java.lang=ALL-UNNAMED} (or {@code =io.coremanager}).
 *
 * <p>What the JDK does with such a scheduler, and what the lanes are built for:
 * <ul>
 *   <li>{@code scheduler.execute(continuation)} runs the thread's next step: at start, and at every
 *       wake-up after {@code park}, {@code sleep}, I/O, a monitor or {@code Thread.yield}. It is
 *       called from any thread (the waker, the JDK's timer "unparker" threads, the I/O poller), also
 *       from a virtual thread pinned for the call, so it must never block and should never throw.</li>
 *   <li>A virtual thread started with {@code Thread.ofVirtual()} from inside one inherits its
 *       scheduler: it stays on the same lane.</li>
 *   <li>Nothing compensates for a blocking native call or blocking file I/O: the carrier waits,
 *       and every other piece of work of that lane with it.</li>
 * </ul>
 */
final class VirtualThreadHook {

    private static final Constructor<?> BUILDER;
    private static final String UNAVAILABLE_REASON;
    /** {@code VirtualThread.scheduler} and {@code VirtualThread.carrierThread}; null without the hook. */
    private static final VarHandle SCHEDULER;
    private static final VarHandle CARRIER;

    static {
        Constructor<?> builder = null;
        VarHandle scheduler = null;
        VarHandle carrier = null;
        String reason = null;
        try {
            Class<?> type = Class.forName("java.lang.ThreadBuilders$VirtualThreadBuilder");
            builder = type.getDeclaredConstructor(Executor.class);
            builder.setAccessible(true);
            Class<?> virtualThread = Class.forName("java.lang.VirtualThread");
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(virtualThread, MethodHandles.lookup());
            scheduler = lookup.findVarHandle(virtualThread, "scheduler", Executor.class);
            carrier = lookup.findVarHandle(virtualThread, "carrierThread", Thread.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // InaccessibleObjectException without --add-opens; NoSuchMethodException on a JDK that
            // changed the builder.
            builder = null;
            scheduler = null;
            carrier = null;
            reason = "the JDK's virtual-thread builder with a custom scheduler is not reachable (" + e
                    + "); add the JVM flag --add-opens java.base/java.lang=ALL-UNNAMED "
                    + "(or =io.coremanager on the module path)";
        }
        BUILDER = builder;
        SCHEDULER = scheduler;
        CARRIER = carrier;
        UNAVAILABLE_REASON = reason;
    }

    private VirtualThreadHook() {
    }

    /**
     * Starts the JDK's socket pollers from a platform thread, once. On Linux, JDK 25 polls sockets
     * with virtual threads ({@code jdk.pollerMode=2}) that it starts lazily, with
     * {@code Thread.ofVirtual()}, on the first virtual thread that does socket I/O: were that a
     * core-affine one, the JVM's pollers would inherit its lane, stay there for ever, and outlive
     * the manager. Started here first, they belong to the default scheduler.
     */
    static void startJdkPollersOutsideLanes() {
        if (pollersStarted) {
            return;
        }
        Thread starter = Thread.ofPlatform().name("coremanager-poller-init").start(() -> {
            try {
                Class.forName("sun.nio.ch.Poller", true, null);
            } catch (ClassNotFoundException | LinkageError e) {
                // Another JDK layout: nothing to start, or nothing we can start.
            }
        });
        try {
            starter.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pollersStarted = true;
    }

    private static volatile boolean pollersStarted;

    /**
     * The scheduler of {@code thread}: a lane for a core-affine virtual thread and for any virtual
     * thread started inside one (it inherits the scheduler); null for a platform thread, or where
     * the hook is unavailable.
     */
    static Executor schedulerOf(Thread thread) {
        try {
            return SCHEDULER != null && thread.isVirtual() ? (Executor) SCHEDULER.get(thread) : null;
        } catch (ClassCastException e) {
            return null; // a virtual thread of another kind (a JDK without continuations)
        }
    }

    /** The platform thread {@code thread} is mounted on now, or null (unmounted, or no hook). */
    static Thread carrierOf(Thread thread) {
        try {
            return CARRIER != null && thread.isVirtual() ? (Thread) CARRIER.getVolatile(thread) : null;
        } catch (ClassCastException e) {
            return null;
        }
    }

    /** Whether core-affine virtual threads can be made in this JVM. */
    static boolean isAvailable() {
        return BUILDER != null;
    }

    /** Why they cannot, with the flag to add; {@code null} when they can. */
    static String unavailableReason() {
        return UNAVAILABLE_REASON;
    }

    /**
     * A virtual-thread builder whose threads are scheduled by {@code scheduler}.
     *
     * @throws UnsupportedOperationException if the hook is not available
     */
    static Thread.Builder.OfVirtual builder(Executor scheduler) {
        Objects.requireNonNull(scheduler, "scheduler");
        if (BUILDER == null) {
            throw new UnsupportedOperationException(UNAVAILABLE_REASON);
        }
        try {
            return (Thread.Builder.OfVirtual) BUILDER.newInstance(scheduler);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create a virtual-thread builder", e);
        }
    }
}
