package io.coremanager.isolation;

import io.coremanager.CpuSet;

import java.util.List;
import java.util.Objects;

/**
 * What one pass of {@link JvmThreads#keepOff(CpuSet)} (or one sweep of a {@link LaneIsolator}) did.
 *
 * @param cpus the CPUs the threads were kept off
 * @param threadsSeen how many threads of the process the pass looked at
 * @param moved the threads moved, with their masks before and after
 * @param skipped the threads that were on those CPUs and were left there, each with the reason
 * @param failed the threads the kernel refused to move, each with the errno
 */
public record KeepOffReport(CpuSet cpus, int threadsSeen, List<Moved> moved, List<Skipped> skipped,
                            List<Failed> failed) {

    /**
     * Copies the lists.
     *
     * @throws NullPointerException if an argument is null
     */
    public KeepOffReport {
        Objects.requireNonNull(cpus, "cpus");
        moved = List.copyOf(moved);
        skipped = List.copyOf(skipped);
        failed = List.copyOf(failed);
    }

    /**
     * Whether the pass left no thread it could move on the CPUs: nothing failed.
     *
     * @return true if nothing failed
     */
    public boolean clean() {
        return failed.isEmpty();
    }

    /**
     * A thread moved off the CPUs.
     *
     * @param tid the Linux thread id
     * @param name the thread's kernel name
     * @param before its mask before
     * @param after its mask now
     */
    public record Moved(int tid, String name, CpuSet before, CpuSet after) {
    }

    /**
     * Why a thread was left on the CPUs.
     */
    public enum Reason {
        /** One of the manager's own threads (a lane's carrier): it belongs there. */
        MANAGERS_OWN,
        /**
         * Pinned only to CPUs of the set, on purpose: it competes with the lanes there. Reported, not
         * moved, by a {@link LaneIsolator}.
         */
        PINNED_ONTO_CPUS,
        /** No CPU this process may use is outside the set: there is nowhere to move it to. */
        NOWHERE_ELSE
    }

    /**
     * A thread left on the CPUs.
     *
     * @param tid the Linux thread id
     * @param name the thread's kernel name
     * @param mask its mask
     * @param reason why it stays
     */
    public record Skipped(int tid, String name, CpuSet mask, Reason reason) {
    }

    /**
     * A thread the kernel refused to move.
     *
     * @param tid the Linux thread id
     * @param name the thread's kernel name
     * @param wanted the mask asked for
     * @param errnoName the errno's name ({@code EPERM}, {@code EINVAL}, ...)
     * @param message the refusal in full
     */
    public record Failed(int tid, String name, CpuSet wanted, String errnoName, String message) {
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("kept ").append(threadsSeen).append(" threads off cpus ").append(cpus)
                .append(": moved ").append(moved.size()).append(", skipped ").append(skipped.size())
                .append(", failed ").append(failed.size());
        for (Skipped k : skipped) {
            s.append("; left ").append(k.tid()).append(' ').append(k.name()).append(" on ").append(k.mask())
                    .append(" (").append(k.reason()).append(')');
        }
        for (Failed f : failed) {
            s.append("; ").append(f.tid()).append(' ').append(f.name()).append(": ").append(f.errnoName());
        }
        return s.toString();
    }
}
