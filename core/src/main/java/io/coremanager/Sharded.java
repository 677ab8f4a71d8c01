package io.coremanager;

import io.coremanager.engine.Lanes;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A service sharded by CPU, as Seastar's {@code sharded<T>}: one instance {@code S} per lane of a
 * {@link CoreManager}, each made and used only on its own lane, so it needs no locks. Made by
 * {@link CoreManager#sharded(Supplier)}; the instances are a {@link LaneLocal}, made lazily by the
 * supplier on each lane's first call.
 *
 * <pre>{@code
 * Sharded<Map<String, Long>> counts = cores.sharded(HashMap::new);
 * counts.invokeOn(key, m -> m.merge(key, 1L, Long::sum));                        // on key's cpu
 * CompletableFuture<Long> total = counts.mapReduce(m -> (long) m.size(), Long::sum); // every cpu
 * }</pre>
 *
 * <p>Every call runs its function as a task on the shard's lane ({@link CoreManager#submit}), with
 * the same guarantees: calls to one lane run in the order they were submitted from one thread,
 * submitting happens-before the function runs, and the function's return happens-before the
 * future completes. A function that throws fails its future. The functions run to completion on
 * the carrier: they must not block (see {@link CoreManager#offload}).
 *
 * <p>Waiting ({@code join}, {@code get}) for one of these futures from a task of a lane that must
 * run it throws {@link IllegalStateException} (it would wait for ever); compose with
 * {@code thenApply}, or wait in a core-affine virtual thread, which parks.
 *
 * <p>After the manager is shut down, every call throws {@link RejectedExecutionException}. Thread-safe.
 *
 * @param <S> the type of a shard
 */
public final class Sharded<S> {

    private final CoreManager cores;
    private final Lanes lanes;
    private final LaneLocal<S> shards;

    Sharded(CoreManager cores, Lanes lanes, LaneLocal<S> shards) {
        this.cores = cores;
        this.lanes = lanes;
        this.shards = shards;
    }

    /**
     * Runs {@code fn} on {@code cpu}'s shard, on that CPU.
     *
     * @param <R> the result type
     * @param cpu a managed CPU
     * @param fn what to do with the shard
     * @return {@code fn}'s result, or its exception
     * @throws IllegalArgumentException if {@code cpu} is not managed (the message lists the managed CPUs)
     * @throws RejectedExecutionException after shutdown, or if the lane's queue is full or the lane failed
     */
    public <R> CompletableFuture<R> invokeOn(int cpu, Function<? super S, ? extends R> fn) {
        Objects.requireNonNull(fn, "fn");
        return cores.submit(cpu, () -> fn.apply(shards.get()));
    }

    /**
     * Runs {@code fn} on the shard of {@code key}'s CPU ({@link CoreManager#cpuFor(Object)}): the
     * same key always reaches the same shard. Mind the overload: a primitive {@code int} argument
     * selects {@link #invokeOn(int, Function)} and names a CPU; box it, or pass
     * {@code cores.cpuFor(key)}, to shard by an {@code int} key.
     *
     * @param <R> the result type
     * @param key any object with a stable {@code hashCode}
     * @param fn what to do with the shard
     * @return {@code fn}'s result, or its exception
     * @throws RejectedExecutionException after shutdown, or if the lane's queue is full or the lane failed
     */
    public <R> CompletableFuture<R> invokeOn(Object key, Function<? super S, ? extends R> fn) {
        Objects.requireNonNull(key, "key");
        return invokeOn(cores.cpuFor(key), fn);
    }

    /**
     * Runs {@code fn} on every shard, each on its own CPU.
     *
     * @param <R> the result type
     * @param fn what to do with each shard
     * @return the results in {@link CoreManager#cpus()} order (nulls allowed), once all are in; the
     *     first exception in CPU order if any call failed
     * @throws RejectedExecutionException after shutdown (lanes already reached run their call)
     */
    public <R> CompletableFuture<List<R>> invokeOnAll(Function<? super S, ? extends R> fn) {
        List<CompletableFuture<R>> parts = submitToAll(fn);
        CompletableFuture<List<R>> all = new LaneBoundFuture<>(lanes, -1, "a call on every lane");
        CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).whenComplete((ignored, failure) -> {
            List<R> results = new ArrayList<>(parts.size());
            for (CompletableFuture<R> part : parts) {
                if (part.isCompletedExceptionally()) {
                    all.completeExceptionally(part.exceptionNow());
                    return;
                }
                results.add(part.resultNow());
            }
            all.complete(Collections.unmodifiableList(results));
        });
        return all;
    }

    /**
     * Runs {@code fn} on every shard, each on its own CPU, and combines the results in
     * {@link CoreManager#cpus()} order, left to right, on the thread that completes the last of them:
     * {@code combiner} need not be commutative, and should be short.
     *
     * @param <R> the result type
     * @param fn what to do with each shard
     * @param combiner combines two results
     * @return the combined result; the first exception in CPU order if a call or the combiner failed
     * @throws RejectedExecutionException after shutdown (lanes already reached run their call)
     */
    public <R> CompletableFuture<R> mapReduce(Function<? super S, ? extends R> fn, BinaryOperator<R> combiner) {
        Objects.requireNonNull(combiner, "combiner");
        return invokeOnAll(fn).thenApply(results -> {
            R acc = results.getFirst();
            for (int i = 1; i < results.size(); i++) {
                acc = combiner.apply(acc, results.get(i));
            }
            return acc;
        });
    }

    private <R> List<CompletableFuture<R>> submitToAll(Function<? super S, ? extends R> fn) {
        Objects.requireNonNull(fn, "fn");
        List<CompletableFuture<R>> parts = new ArrayList<>();
        for (int cpu : cores.cpus().toArray()) {
            parts.add(invokeOn(cpu, fn));
        }
        return parts;
    }

    @Override
    public String toString() {
        return "Sharded[cpus " + cores.cpus() + "]";
    }
}
