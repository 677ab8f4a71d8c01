package io.coremanager.reservation;

import io.coremanager.CpuSet;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.Collections;
import java.util.TreeMap;

/**
 * CPUs reserved for exclusive use, within this process and across processes on the host: each
 * CPU is a kernel-held lock ({@code fcntl}) on a file of a lock folder. Closing releases them; so
 * does the death of the process, however it dies, {@code kill -9} included: no stale lock ever
 * blocks.
 *
 * <pre>{@code
 * try (CpuReservation cpu = CpuReservations.defaultFolder().reserveAny(CpuSet.parse("2-7"))) {
 *     Affinity.pin(cpu.cpus().first());
 *     runHotLoop();
 * }
 * }</pre>
 *
 * <p>Thread-safe; closing twice is harmless.
 */
public final class CpuReservation implements AutoCloseable {

    /** One CPU's lock: its file, channel and lock. */
    record Held(int cpu, Path file, FileChannel channel, FileLock lock) {
    }

    private final CpuReservations folder;
    private final CpuSet cpus;
    private final List<Held> held;
    private final AtomicBoolean closed = new AtomicBoolean();

    CpuReservation(CpuReservations folder, CpuSet cpus, List<Held> held) {
        this.folder = folder;
        this.cpus = cpus;
        this.held = List.copyOf(held);
    }

    /**
     * The CPUs reserved.
     *
     * @return the CPUs reserved
     */
    public CpuSet cpus() {
        return cpus;
    }

    /**
     * The lock files, by CPU.
     *
     * @return an unmodifiable map from each CPU to its lock file
     */
    public Map<Integer, Path> lockFiles() {
        Map<Integer, Path> files = new TreeMap<>();
        for (Held h : held) {
            files.put(h.cpu(), h.file());
        }
        return Collections.unmodifiableMap(files);
    }

    /**
     * Whether this reservation still holds its CPUs.
     *
     * @return whether this reservation still holds its CPUs
     */
    public boolean isHeld() {
        return !closed.get();
    }

    /** Releases the CPUs. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            folder.release(held);
        }
    }

    @Override
    public String toString() {
        return "CpuReservation[cpus " + cpus + (isHeld() ? "" : ", released") + " in " + folder.folder() + "]";
    }
}
