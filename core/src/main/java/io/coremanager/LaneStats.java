package io.coremanager;

/**
 * One lane's statistics, a snapshot taken by {@link CoreManager#stats(int)}. The carrier publishes
 * its counters once per batch of up to 64 elements, after that batch's futures completed: a
 * snapshot taken just as a future completes may not count that task yet.
 *
 * @param cpu the lane's CPU
 * @param carrier the carrier thread's name (as a thread dump shows it)
 * @param pinned whether the carrier is pinned to exactly {@code cpu} now, asked of the kernel
 * @param pinProblem why the carrier is not pinned, or {@code null}
 * @param submitted user tasks accepted ({@code execute}, {@code submit}, executor views)
 * @param completed user tasks that ran and returned normally
 * @param failed user tasks that threw
 * @param queued queue entries waiting now (tasks and virtual-thread wake-ups)
 * @param liveVirtualThreads core-affine virtual threads of this lane alive now
 * @param virtualThreadsStarted core-affine virtual threads ever started on this lane
 * @param continuations virtual-thread steps run (starts and wake-ups)
 * @param busyNanos time the carrier spent running work (gaps under a microsecond count as busy)
 * @param stalls stalls the watchdog reported: work that held the carrier past the threshold
 * @param longestStallNanos the longest stall seen
 * @param carrierReplacements times the carrier's own loop failed and a new carrier (pinned again)
 *     took over its queue
 */
public record LaneStats(int cpu, String carrier, boolean pinned, String pinProblem,
                        long submitted, long completed, long failed, long queued,
                        int liveVirtualThreads, long virtualThreadsStarted, long continuations, long busyNanos,
                        long stalls, long longestStallNanos, long carrierReplacements) {
}
