package io.coremanager.isolation;

import io.coremanager.CpuSet;

import java.util.Objects;
import java.util.Optional;

/**
 * One thread of this process as {@link JvmThreads#snapshot()} saw it.
 *
 * @param tid the Linux thread id
 * @param kernelName the kernel's name of the thread ({@code comm}: at most 15 bytes)
 * @param javaName the Java thread's name when the thread is known to be a Java thread and which one
 *     could be told; empty otherwise (see {@link JvmThreads} for how the two are matched)
 * @param kind what the thread is
 * @param allowedCpus the CPUs the thread may run on now ({@code sched_getaffinity})
 * @param lastCpu the CPU it last ran on ({@code /proc/self/task/<tid>/stat}, field 39); -1 if unknown
 * @param voluntarySwitches context switches where it gave up the CPU (blocked, slept, yielded)
 * @param involuntarySwitches context switches where the kernel took the CPU from it (preemption)
 */
public record JvmThread(int tid, String kernelName, String javaName, ThreadKind kind, CpuSet allowedCpus,
                        int lastCpu, long voluntarySwitches, long involuntarySwitches) {

    /**
     * Checks the components.
     *
     * @throws NullPointerException if a name, the kind or the CPUs are null
     */
    public JvmThread {
        Objects.requireNonNull(kernelName, "kernelName");
        Objects.requireNonNull(javaName, "javaName");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(allowedCpus, "allowedCpus");
    }

    /**
     * The Java name if known, else the kernel's.
     *
     * @return the best name known for the thread
     */
    public String name() {
        return javaName.isEmpty() ? kernelName : javaName;
    }

    /**
     * The Java name, if the thread was matched to a Java thread.
     *
     * @return the Java name, or empty
     */
    public Optional<String> javaNameIfKnown() {
        return javaName.isEmpty() ? Optional.empty() : Optional.of(javaName);
    }
}
