/**
 * Keeping the JVM's own threads off the CPUs of pinned work, and seeing where they may run.
 *
 * <ul>
 *   <li>{@link io.coremanager.isolation.JvmThreads}: a snapshot of every thread of this process
 *       ({@code /proc/self/task}), each with its kind (GC, JIT compiler, JDK poller, ...), allowed CPUs,
 *       last CPU and context switches; and {@link io.coremanager.isolation.JvmThreads#keepOff} to move
 *       them off a set of CPUs.</li>
 *   <li>{@link io.coremanager.isolation.LaneIsolator}: keeps them off for as long as it runs, sweeping
 *       periodically and after each garbage collection, and puts the masks back on close.</li>
 * </ul>
 *
 * <p>Uses {@link io.coremanager.affinity} for the native calls, {@code /proc} for what the kernel knows
 * of each thread, and {@code java.management} for garbage-collection notifications. Linux only; elsewhere
 * everything reports itself unsupported and changes nothing.
 */
package io.coremanager.isolation;
