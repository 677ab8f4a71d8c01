package io.coremanager;

import io.coremanager.engine.Lanes;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * A value with one instance per lane of a {@link CoreManager}, each made on its own lane and seen
 * only by that lane's code: thread-per-core state without locks. Made by
 * {@link CoreManager#laneLocal(Supplier)}.
 *
 * <pre>{@code
 * LaneLocal<Map<String, Long>> counts = cores.laneLocal(HashMap::new);
 * cores.execute(cores.cpuFor(key), () -> counts.get().merge(key, 1L, Long::sum));
 * }</pre>
 *
 * <h2>Lane code</h2>
 * {@link #get()} works only from the code of a lane of its manager: a task running on the lane's
 * carrier ({@code execute}, {@code submit}, the {@code executor} views, {@link Sharded}'s calls), a
 * core-affine virtual thread ({@code go}, {@code threadFactory}), or a virtual thread started with
 * {@code Thread.ofVirtual()} inside one (it inherits the lane). Everywhere else (a thread of your
 * own, a pool, an offload thread, a lane of another manager, the platform threads {@code go} falls
 * back to without {@code --add-opens java.base/java.lang=ALL-UNNAMED}) it throws
 * {@link IllegalStateException}.
 *
 * <h2>Creation</h2>
 * Each lane's instance is made by the supplier the first time that lane's code calls {@link #get()},
 * on that lane, so its memory is first touched by the lane's CPU (NUMA-local under the kernel's
 * first-touch policy). Making a {@code LaneLocal} therefore never waits and is safe anywhere,
 * lane code included. If the supplier throws, {@code get()} throws the same and the next
 * {@code get()} on that lane tries again; it must not return null. A supplier that parks (I/O, a
 * sleep, an offload) lets another virtual thread of the same lane call {@code get()} meanwhile and
 * run the supplier too: only the first instance stored is kept and every caller gets it, but both
 * suppliers ran, so a supplier with side effects should not park.
 *
 * <h2>Threads and memory</h2>
 * A lane runs one element at a time, so a lane's instance needs no synchronisation as long as it
 * does not escape the lane; a virtual thread that parks in the middle of an update lets the lane's
 * other work see it half done, as with any coroutine. The instance is published to the lane's later
 * elements with release/acquire ordering. Each instance lives as long as this {@code LaneLocal}.
 *
 * @param <T> the type of the per-lane value
 */
public final class LaneLocal<T> {

    private final Lanes lanes;
    private final CpuSet cpus;
    private final Supplier<? extends T> supplier;
    /** Each lane's instance, by CPU number; written once (CAS) on its lane, read with acquire. */
    private final AtomicReferenceArray<T> values;

    LaneLocal(Lanes lanes, CpuSet cpus, Supplier<? extends T> supplier) {
        this.lanes = lanes;
        this.cpus = cpus;
        this.supplier = Objects.requireNonNull(supplier, "supplier");
        this.values = new AtomicReferenceArray<>(cpus.last() + 1);
    }

    /**
     * The calling lane's instance, made now on the lane if this is the lane's first call.
     *
     * @return the instance of the lane whose code calls
     * @throws IllegalStateException if the caller is not the code of one of this manager's lanes;
     *     the message says where the caller runs and which lanes exist
     * @throws NullPointerException if the supplier returns null
     */
    public T get() {
        Thread caller = Thread.currentThread();
        int cpu = lanes.laneCpuOf(caller);
        if (cpu < 0) {
            throw notLaneCode(caller);
        }
        T value = values.getAcquire(cpu);
        return value != null ? value : create(cpu);
    }

    /** The slow path: the lane's first call. */
    private T create(int cpu) {
        T made = supplier.get();
        if (made == null) {
            throw new NullPointerException("the supplier of a LaneLocal returned null on cpu " + cpu
                    + " (expected: an instance)");
        }
        T witness = values.compareAndExchangeRelease(cpu, null, made);
        return witness != null ? witness : made;
    }

    private IllegalStateException notLaneCode(Thread caller) {
        int on = CoreManager.currentCpu();
        return new IllegalStateException("LaneLocal.get() called from " + (caller.isVirtual() ? "virtual" : "platform")
                + " thread \"" + caller.getName() + "\"" + (on >= 0 ? " on cpu " + on : "")
                + ", which is not the code of any lane of this CoreManager (expected: a task or a core-affine "
                + "virtual thread of one of its lanes: cpus " + cpus + "; reach a lane with submit(cpu, ...), "
                + "go(cpu, ...) or Sharded.invokeOn)");
    }

    @Override
    public String toString() {
        int made = 0;
        for (int cpu : cpus.toArray()) {
            made += values.get(cpu) != null ? 1 : 0;
        }
        return "LaneLocal[cpus " + cpus + ", " + made + " made]";
    }
}
