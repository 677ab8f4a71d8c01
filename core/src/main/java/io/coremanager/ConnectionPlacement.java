package io.coremanager;

import java.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which lane serves a connection that {@link CoreManager#serve} accepted: the accepting lane, the
 * managed CPUs in turn, or any function of the peer's address (for instance
 * {@code (remote, accepting) -> cores.cpuFor(((InetSocketAddress) remote).getAddress())}). It runs
 * on the accepting lane, once per connection, and must be quick.
 */
@FunctionalInterface
public interface ConnectionPlacement {

    /**
     * The CPU whose lane will own and serve the connection.
     *
     * @param remote the peer's address
     * @param acceptingCpu the CPU of the lane that accepted it
     * @return a CPU of the same manager
     */
    int cpu(SocketAddress remote, int acceptingCpu);

    /**
     * Every connection stays on the lane that accepted it: no hand-off at all.
     *
     * @return the placement
     */
    static ConnectionPlacement acceptingLane() {
        return (remote, accepting) -> accepting;
    }

    /**
     * The connections go to {@code cpus} in turn, starting with the lowest.
     *
     * @param cpus the CPUs to use, all managed by the serving manager (for all: {@link CoreManager#cpus()})
     * @return the placement
     * @throws IllegalArgumentException if {@code cpus} is empty
     */
    static ConnectionPlacement roundRobin(CpuSet cpus) {
        Objects.requireNonNull(cpus, "cpus");
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("cpus: empty (expected: at least one cpu)");
        }
        int[] list = cpus.toArray();
        AtomicLong next = new AtomicLong();
        return (remote, accepting) -> list[(int) Math.floorMod(next.getAndIncrement(), (long) list.length)];
    }
}
