/**
 * CoreManager: run work on the CPU cores you choose.
 *
 * <ul>
 *   <li>{@link io.coremanager} — the entry points ({@code CoreManager}, {@code PinnedThreadFactory}, {@code Placement}) and
 *       values ({@code CpuSet}, the CPU-set currency of the API).</li>
 *   <li>{@link io.coremanager.affinity} — thread affinity through the FFM API
 *       ({@code sched_setaffinity}, {@code sched_getcpu}).</li>
 *   <li>{@link io.coremanager.isolation} — the JVM's own threads: what they are, where they may run,
 *       and keeping them off the lanes' CPUs.</li>
 *   <li>{@link io.coremanager.topology} — what the machine has and what the process may use, from
 *       sysfs and cgroups.</li>
 *   <li>{@link io.coremanager.reservation} — CPUs reserved for one process at a time, across
 *       processes and users.</li>
 * </ul>
 * The engine ({@code io.coremanager.engine}) and the sysfs readers ({@code io.coremanager.internal})
 * are not exported.
 *
 * <p>Native calls need {@code --enable-native-access=io.coremanager} (or {@code ALL-UNNAMED} on the
 * class path) to run without a warning; core-affine virtual threads need
 * {@code --add-opens java.base/java.lang=io.coremanager} (or {@code ALL-UNNAMED}).
 */
module io.coremanager {
    requires jdk.jfr;
    requires java.management;

    exports io.coremanager;
    exports io.coremanager.affinity;
    exports io.coremanager.topology;
    exports io.coremanager.reservation;
    exports io.coremanager.isolation;
}
