package io.coremanager;

import java.time.Duration;
import java.util.Objects;

/**
 * What a lane's carrier does when its queue is empty: spin (lowest hand-off latency, burns the
 * core), park (no CPU, but a producer must wake it with a system call and the wake-up takes
 * microseconds), or spin for a while and then park.
 *
 * <p>A producer makes a system call only to wake a parked carrier: while a lane is hot, hand-offs
 * cost no system call whatever the strategy.
 *
 * <p>Where the platform bites: a parked carrier's wake-up latency includes the kernel's timer
 * slack and the CPU leaving its idle state (C-states), tens of microseconds on some machines;
 * {@link #busySpin()} avoids both but keeps the core at 100% and, on an SMT core, slows its
 * sibling. Spinning uses {@link Thread#onSpinWait()} ({@code PAUSE} on x86).
 */
public final class IdleStrategy {

    /** The default spin time of {@link #spinThenPark()}. */
    public static final Duration DEFAULT_SPIN = Duration.ofNanos(20_000);

    private static final IdleStrategy PARK = new IdleStrategy("park", 0);
    private static final IdleStrategy BUSY_SPIN = new IdleStrategy("busySpin", Long.MAX_VALUE);
    private static final IdleStrategy SPIN_THEN_PARK = new IdleStrategy("spinThenPark", DEFAULT_SPIN.toNanos());

    private final String name;
    private final long spinNanos;

    private IdleStrategy(String name, long spinNanos) {
        this.name = name;
        this.spinNanos = spinNanos;
    }

    /**
     * Park as soon as the queue is empty: the least CPU, the slowest wake-up.
     *
     * @return the strategy that parks at once
     */
    public static IdleStrategy park() {
        return PARK;
    }

    /**
     * Spin for {@link #DEFAULT_SPIN}, then park: the default.
     *
     * @return the strategy
     */
    public static IdleStrategy spinThenPark() {
        return SPIN_THEN_PARK;
    }

    /**
     * Spin for {@code spin}, then park.
     *
     * @param spin how long to spin, zero or more
     * @return the strategy
     * @throws IllegalArgumentException if {@code spin} is negative
     */
    public static IdleStrategy spinThenPark(Duration spin) {
        Objects.requireNonNull(spin, "spin");
        if (spin.isNegative()) {
            throw new IllegalArgumentException("spin: " + spin + " (expected: zero or more)");
        }
        return new IdleStrategy("spinThenPark", spin.toNanos());
    }

    /**
     * Never park: for a core dedicated to this lane, the lowest latency.
     *
     * @return the strategy that never parks
     */
    public static IdleStrategy busySpin() {
        return BUSY_SPIN;
    }

    /**
     * How long an idle carrier spins before parking: 0 parks at once, {@link Long#MAX_VALUE} never parks.
     *
     * @return the spin time in nanoseconds
     */
    public long spinNanos() {
        return spinNanos;
    }

    /** {@code park}, {@code busySpin}, {@code spinThenPark(20µs)}. */
    @Override
    public String toString() {
        return spinNanos == 0 || spinNanos == Long.MAX_VALUE ? name
                : name + "(" + (spinNanos % 1000 == 0 ? spinNanos / 1000 + "µs" : spinNanos + "ns") + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdleStrategy other && other.spinNanos == spinNanos;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(spinNanos);
    }
}
