/**
 * Native CPU affinity for platform threads: {@link io.coremanager.affinity.Affinity} binds libc's
 * {@code sched_getcpu}, {@code sched_getaffinity}, {@code sched_setaffinity} and {@code gettid}
 * through {@code java.lang.foreign}; errors surface as one type,
 * {@link io.coremanager.affinity.AffinityException}, carrying the errno by name.
 *
 * <p>Uses {@link io.coremanager.CpuSet} and the sysfs readers of {@code io.coremanager.internal}
 * (to explain a refusal); knows nothing of topology or scheduling.
 */
package io.coremanager.affinity;
