package io.coremanager;

/**
 * One lane's statistics: a snapshot taken by {@link CoreManager#stats(int)}, cheap (no system call)
 * and consistent: the carrier publishes its counters once per batch of up to 64 elements, as one
 * step, after that batch's futures completed, and a snapshot reads one batch boundary, never a mix
 * of two. It may therefore trail a future that has just completed by up to one batch. Tasks are
 * counted as submitted before they are queued, so {@code completed + failed + cancelled} never
 * exceeds {@code submitted}. Whether the carrier is pinned now is a system call, asked apart:
 * {@link CoreManager#pinnedNow(int)}.
 *
 * @param cpu the lane's CPU
 * @param carrier the carrier thread's name (as a thread dump shows it)
 * @param pinProblem why the carrier is not pinned, or {@code null} when it was pinned at start
 * @param submitted user tasks accepted ({@code execute}, {@code submit}, executor views)
 * @param completed user tasks that ran and returned normally
 * @param failed user tasks that ran and threw
 * @param cancelled user tasks that never ran: cancelled before they started, handed back by
 *     {@code shutdownNow}, or failed with their lane
 * @param queued queue entries waiting now (tasks and virtual-thread wake-ups)
 * @param liveVirtualThreads core-affine virtual threads of this lane alive now
 * @param virtualThreadsStarted core-affine virtual threads ever started on this lane
 * @param continuations virtual-thread steps run (starts and wake-ups)
 * @param busyNanos time the carrier spent running work (gaps under a microsecond count as busy)
 * @param stalls stalls the watchdog reported: work that held the carrier past the threshold
 * @param longestStallNanos the longest stall seen
 * @param carrierReplacements times the carrier's own loop failed and a new carrier (pinned again)
 *     took over its queue
 * @param failure why the lane failed closed and accepts no more work, or {@code null} while it is
 *     healthy
 */
public record LaneStats(int cpu, String carrier, String pinProblem,
                        long submitted, long completed, long failed, long cancelled, long queued,
                        int liveVirtualThreads, long virtualThreadsStarted, long continuations, long busyNanos,
                        long stalls, long longestStallNanos, long carrierReplacements, String failure) {
}
