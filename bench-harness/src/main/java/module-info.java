/**
 * The benchmark harness shared by the {@code coremanager bench} command and the JMH suite:
 * contenders, the floor, samplers, statistics, timer lateness.
 */
module io.coremanager.bench.harness {
    requires transitive io.coremanager;
    /* The idle cost is process CPU time (com.sun.management.OperatingSystemMXBean). */
    requires jdk.management;

    exports io.coremanager.bench.harness;
}
