/**
 * CoreManager: run work on the CPU cores you choose.
 *
 * <ul>
 *   <li>{@link io.coremanager} — the entry points: {@code CpuSet}, the CPU-set currency of the API.</li>
 *   <li>{@link io.coremanager.affinity} — thread affinity through the FFM API
 *       ({@code sched_setaffinity}, {@code sched_getcpu}).</li>
 *   <li>{@link io.coremanager.isolation} — the JVM's own threads: what they are, where they may run,
 *       and keeping them off the lanes' CPUs.</li>
 *   <li>{@link io.coremanager.topology} — what the machine has and what the process may use, from
 *       sysfs and cgroups.</li>
 * </ul>
 *
 * <p>Native calls need {@code --enable-native-access=io.coremanager} (or {@code ALL-UNNAMED} on the
 * class path) to run without a warning.
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
