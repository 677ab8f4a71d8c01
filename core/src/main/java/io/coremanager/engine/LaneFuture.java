package io.coremanager.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A future whose completion depends on a lane: a submitted task ({@link SubmittedTask}) and every
 * stage derived from one ({@code thenApply}, {@code thenCompose}, ...: {@link #newIncompleteFuture()}
 * makes them of this class too). Waiting for one ({@link #join()}, {@link #get()}) spins for up to
 * the lane's wait-spin time before it blocks: {@code CompletableFuture} would otherwise park the
 * caller at once and make every round trip pay for a wake-up. A virtual thread never spins: it
 * parks and frees its carrier. The lane's own carrier may not wait at all for one that is not done:
 * it would wait for itself for ever, so it gets an {@link IllegalStateException} at once. (A stage
 * combined with {@code CompletableFuture.allOf} or {@code anyOf} is a plain future, which the check
 * cannot see.)
 */
class LaneFuture<T> extends CompletableFuture<T> {

    final Lane lane;

    LaneFuture(Lane lane) {
        this.lane = lane;
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new LaneFuture<>(lane);
    }

    @Override
    public T join() {
        awaitBriefly(lane.waitSpinNanos());
        return super.join();
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        awaitBriefly(lane.waitSpinNanos());
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        long start = System.nanoTime();
        long limit = unit.toNanos(timeout);
        awaitBriefly(Math.min(lane.waitSpinNanos(), limit));
        return super.get(Math.max(0, limit - (System.nanoTime() - start)), TimeUnit.NANOSECONDS);
    }

    /**
     * Spins until done or {@code nanos} have passed; a virtual thread does not spin at all. Refuses
     * to let the lane's own carrier wait for a future of its lane that is not done.
     */
    private void awaitBriefly(long nanos) {
        if (isDone()) {
            return;
        }
        Lane.flushCallersMesh(); // lane code about to wait: what it handed over through the mesh goes first
        Thread self = Thread.currentThread();
        if (self.isVirtual()) {
            return;
        }
        if (lane.isCarrier(self)) {
            throw lane.waitsForItself();
        }
        if (nanos <= 0) {
            return;
        }
        long deadline = System.nanoTime() + nanos;
        for (int i = 1; !isDone(); i++) {
            Thread.onSpinWait();
            if ((i & 127) == 0 && System.nanoTime() - deadline >= 0) {
                return;
            }
        }
    }
}
