package io.coremanager.affinity;

import io.coremanager.CpuSet;

/**
 * The kernel refused an affinity call. Carries the call, the errno by name ({@code EINVAL},
 * {@code EPERM}, {@code ESRCH}), the thread, the CPUs asked for and the CPUs this process may use, so
 * that the message alone tells the user what to change:
 *
 * <pre>
 * sched_setaffinity(calling thread, cpus 7) failed: EINVAL: cpus 7 are not allowed for this process
 * (cgroup sys/fs/cgroup/cpuset.cpus.effective); allowed cpus: 0-3
 * </pre>
 */
public final class AffinityException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The libc call that failed. */
    private final String call;
    /** The errno it set. */
    private final int errno;
    /** The Linux thread id it was about; {@code 0} for the calling thread. */
    private final int threadId;
    private final transient CpuSet requested;
    private final transient CpuSet allowed;

    AffinityException(String call, int errno, int threadId, CpuSet requested, CpuSet allowed, String detail) {
        super(call + "(" + (threadId == 0 ? "calling thread" : "thread " + threadId)
                + (requested.isEmpty() ? "" : ", cpus " + requested) + ") failed: "
                + Errno.name(errno) + ": " + detail + "; allowed cpus: "
                + (allowed.isEmpty() ? "unknown" : allowed.toString()));
        this.call = call;
        this.errno = errno;
        this.threadId = threadId;
        this.requested = requested;
        this.allowed = allowed;
    }

    /**
     * The libc call that failed, e.g. {@code sched_setaffinity}.
     *
     * @return the name of the libc call
     */
    public String call() {
        return call;
    }

    /**
     * The errno the call set.
     *
     * @return the errno value
     */
    public int errno() {
        return errno;
    }

    /**
     * The errno's symbolic name: {@code EINVAL}, {@code EPERM}, {@code ESRCH}, ...
     *
     * @return the errno's name
     */
    public String errnoName() {
        return Errno.name(errno);
    }

    /**
     * The Linux thread id the call was about; {@code 0} for the calling thread.
     *
     * @return the thread id, or {@code 0}
     */
    public int threadId() {
        return threadId;
    }

    /**
     * The CPUs asked for; empty for a query.
     *
     * @return the CPUs asked for
     */
    public CpuSet requested() {
        return requested;
    }

    /**
     * The CPUs this process may be pinned to (cgroup cpuset and online), empty when unknown.
     *
     * @return the allowed CPUs, or the empty set
     */
    public CpuSet allowed() {
        return allowed;
    }
}
