package io.coremanager;

import io.coremanager.engine.Lanes;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A future completed by work of one lane (or of every lane), which refuses to be waited for by a
 * carrier it needs: that carrier, blocked in {@code join}, would never run what completes it. Waits
 * from anywhere else (virtual threads of the lanes included: they park and free the carrier) behave
 * as {@link CompletableFuture}'s. Dependent stages carry the same guard.
 */
final class LaneBoundFuture<T> extends CompletableFuture<T> {

    private final Lanes lanes;
    /** The lane whose carrier must not wait, or -1 for every lane's. */
    private final int cpu;
    private final String what;

    /**
     * @param lanes the group
     * @param cpu the lane that completes this future, or -1 when every lane takes part
     * @param what what the future stands for, for the message
     */
    LaneBoundFuture(Lanes lanes, int cpu, String what) {
        this.lanes = lanes;
        this.cpu = cpu;
        this.what = what;
    }

    @Override
    public T join() {
        refuseCarrierWait();
        return super.join();
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        refuseCarrierWait();
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        refuseCarrierWait();
        return super.get(timeout, unit);
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new LaneBoundFuture<>(lanes, cpu, what);
    }

    private void refuseCarrierWait() {
        if (isDone()) {
            return;
        }
        Thread caller = Thread.currentThread();
        if (caller.isVirtual()) {
            return;
        }
        int callerCpu = lanes.laneCpuOf(caller);
        if (callerCpu >= 0 && (cpu < 0 || cpu == callerCpu)) {
            throw new IllegalStateException("a task on cpu " + callerCpu + "'s lane waits for " + what
                    + ", which needs that lane's carrier to complete: it would wait for ever. Compose with "
                    + "thenApply/thenAccept instead, or wait in a core-affine virtual thread (go(" + callerCpu
                    + ", ...): it parks and frees the carrier)");
        }
    }
}
