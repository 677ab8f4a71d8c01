package io.coremanager.reservation;

import java.time.Instant;

/**
 * A CPU's lock file as {@code coremanager reservations} shows it.
 *
 * @param cpu the CPU
 * @param held whether a live process holds its lock now
 * @param pid the holder's process id, as it wrote it ({@code -1} if unknown)
 * @param thread the holding thread's name, as it wrote it
 * @param since when the holder took it, as it wrote it ({@code null} if unknown)
 * @param user the lock file's owner
 */
public record ReservationInfo(int cpu, boolean held, long pid, String thread, Instant since, String user) {
}
