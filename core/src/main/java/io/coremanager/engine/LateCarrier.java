package io.coremanager.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs the continuations that reach a lane after its queue closed: those of virtual threads the
 * group does not track (started with {@code Thread.ofVirtual()} inside a core-affine one and still
 * parked at close, or made by the thread factory before close and started after). One platform
 * thread pinned to the lane's CPU, started on demand, which leaves after {@link #IDLE_NANOS} without
 * work: never a thread per continuation, even for a virtual thread that outlives the lane and keeps
 * waking. A continuation that throws is reported and the late carrier goes on.
 *
 * <p>If the late carrier cannot be started ({@code unable to create native thread}), the waker's
 * continuation is taken back out of the queue and the error goes to the JDK's waker, which retries
 * the wake-up after an {@code OutOfMemoryError}: nothing is queued twice. Continuations that other
 * wakers queued meanwhile (they saw a start under way and returned) are not theirs to lose: a
 * retry of the start is scheduled every {@value #RETRY_MILLIS} ms, on the JDK's delayed executor,
 * until a late carrier runs them.
 */
final class LateCarrier {

    private static final long IDLE_NANOS = 1_000_000_000L;
    private static final long NAP_NANOS = 100_000;
    /** As the JDK retries a wake-up that failed with an OutOfMemoryError. */
    private static final long RETRY_MILLIS = 100;

    private final Lane lane;
    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    /** Whether a late carrier runs (or is being started); the one that sets it starts the thread. */
    private final AtomicBoolean active = new AtomicBoolean();

    LateCarrier(Lane lane) {
        this.lane = lane;
    }

    /** Runs {@code continuation} on a late carrier; see the class notes for a failed start. */
    void execute(Runnable continuation) {
        queue.offer(continuation);
        if (!active.compareAndSet(false, true)) {
            return;
        }
        try {
            lane.group().warnOnce("late-" + lane.cpu(), "a virtual thread started or woke on cpu " + lane.cpu()
                    + " after its lane closed (one made by threadFactory() before close() and started after it, or "
                    + "one started with Thread.ofVirtual() inside a core-affine virtual thread and not joined before "
                    + "close()); a temporary carrier pinned to cpu " + lane.cpu() + " runs it");
            lane.group().startCarrierThread(lane.name() + "-late", this::run);
        } catch (Throwable t) {
            active.set(false);
            boolean mine = queue.remove(continuation);
            if (!queue.isEmpty()) {
                retryLater(); // other wakers' continuations: see the class notes
            }
            if (mine) {
                throw t; // the JDK retries the wake-up: see the class notes
            }
            // Another late carrier took it meanwhile: it runs.
        }
    }

    /** Tries to start a late carrier for what is queued, again and again, until one runs it. */
    private void retryLater() {
        try {
            CompletableFuture.delayedExecutor(RETRY_MILLIS, TimeUnit.MILLISECONDS).execute(() -> {
                if (queue.isEmpty() || !active.compareAndSet(false, true)) {
                    return; // nothing left, or a late carrier runs
                }
                try {
                    lane.group().startCarrierThread(lane.name() + "-late", this::run);
                } catch (Throwable t) {
                    active.set(false);
                    retryLater();
                }
            });
        } catch (Throwable t) {
            // Not even a retry can be scheduled: the next wake-up of this lane starts a late carrier.
        }
    }

    private void run() {
        lane.pinLateCarrier();
        lane.nameKernelThread("-late");
        while (true) {
            long idleSince = System.nanoTime();
            Runnable next;
            while ((next = queue.poll()) == null) {
                if (System.nanoTime() - idleSince > IDLE_NANOS) {
                    active.set(false);
                    // A continuation offered after our last poll and before the flag cleared must not
                    // wait for ever: take the runner role back if anything is there.
                    if (queue.isEmpty() || !active.compareAndSet(false, true)) {
                        return;
                    }
                    idleSince = System.nanoTime();
                }
                Thread.interrupted(); // a stray interrupt must not turn the nap into a spin
                LockSupport.parkNanos(NAP_NANOS);
            }
            try {
                next.run();
            } catch (Throwable t) {
                lane.report(Thread.currentThread(), t);
            }
        }
    }
}
