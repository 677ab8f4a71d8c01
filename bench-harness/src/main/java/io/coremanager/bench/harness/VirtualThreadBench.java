package io.coremanager.bench.harness;

import io.coremanager.CoreManager;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/**
 * Virtual threads: start and join one (core-affine on the target CPU, or on the default
 * scheduler), and two virtual threads handing a turn back and forth with park/unpark (both on one
 * lane, or both on the default scheduler).
 */
public final class VirtualThreadBench {

    private static final Runnable NOOP = () -> { };

    private VirtualThreadBench() {
    }

    /**
     * Start and join a virtual thread that does nothing, from the calling thread.
     *
     * @param cores the manager whose lane runs the virtual threads, or {@code null} for the JDK's
     *              default scheduler
     * @param cpu the lane's CPU (ignored when {@code cores} is {@code null})
     * @param warmupMillis how long to run before measuring, in milliseconds
     * @param measureMillis how long to measure, in milliseconds
     * @param progress told the fraction of the measurement done
     * @return the time per start and join
     * @throws Exception if interrupted while joining
     */
    public static Stats startJoin(CoreManager cores, int cpu, long warmupMillis, long measureMillis,
                                  Sampler.Progress progress) throws Exception {
        Sampler.Op op = cores == null
                ? () -> Thread.ofVirtual().start(NOOP).join()
                : () -> cores.go(cpu, NOOP).join();
        return Sampler.sample(op, warmupMillis, measureMillis, progress);
    }

    /**
     * Ping-pong between two virtual threads; one exchange (there and back) per operation.
     *
     * @param cores the manager whose lane runs both virtual threads, or {@code null} for the JDK's
     *              default scheduler
     * @param cpu the lane's CPU (ignored when {@code cores} is {@code null})
     * @param warmupMillis how long to run before measuring, in milliseconds
     * @param measureMillis how long to measure, in milliseconds
     * @param progress told the fraction of the measurement done
     * @return the time per exchange
     * @throws Exception if interrupted, or an {@code ExecutionException} if the sampling failed
     */
    public static Stats pingPong(CoreManager cores, int cpu, long warmupMillis, long measureMillis,
                                 Sampler.Progress progress) throws Exception {
        Turn turn = new Turn();
        CompletableFuture<Stats> result = new CompletableFuture<>();
        Runnable ponger = () -> {
            while (!turn.stop) {
                while (turn.value != 1 && !turn.stop) {
                    LockSupport.park();
                }
                turn.value = 0;
                LockSupport.unpark(turn.pinger);
            }
        };
        Runnable pinger = () -> {
            try {
                result.complete(Sampler.sample(() -> {
                    turn.value = 1;
                    LockSupport.unpark(turn.ponger);
                    while (turn.value != 0) {
                        LockSupport.park();
                    }
                }, warmupMillis, measureMillis, progress));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            } finally {
                turn.stop = true;
                LockSupport.unpark(turn.ponger);
            }
        };
        if (cores == null) {
            turn.ponger = Thread.ofVirtual().unstarted(ponger);
            turn.pinger = Thread.ofVirtual().unstarted(pinger);
        } else {
            turn.ponger = cores.threadFactory(cpu).newThread(ponger);
            turn.pinger = cores.threadFactory(cpu).newThread(pinger);
        }
        turn.ponger.start();
        turn.pinger.start();
        Stats stats = result.get();
        turn.ponger.join();
        turn.pinger.join();
        return stats;
    }

    private static final class Turn {
        volatile int value;
        volatile boolean stop;
        volatile Thread pinger;
        volatile Thread ponger;
    }
}
