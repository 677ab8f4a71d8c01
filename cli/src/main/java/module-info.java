/**
 * The {@code coremanager} command (picocli): topology, demo, bench, check, reservations. Run it as
 * {@code java --module-path ... --add-opens java.base/java.lang=io.coremanager
 * --enable-native-access=io.coremanager -m io.coremanager.cli}, or as the runnable jar
 * {@code cli/target/coremanager.jar} on the class path (its manifest carries both flags).
 */
module io.coremanager.cli {
    requires io.coremanager;
    requires io.coremanager.bench.harness;
    requires info.picocli;
    /* bench c2c --png draws its heat map with java.awt.image and javax.imageio. */
    requires java.desktop;
    /* bench measures the idle cost as process CPU time (com.sun.management.OperatingSystemMXBean). */
    requires jdk.management;
    /* jitter --safepoints reads the time to safepoint from JFR's events. */
    requires jdk.jfr;

    /* The core-to-core heat map of bench c2c. */
    exports io.coremanager.cli.bench;
    /* picocli reads the commands' annotated fields and builds them reflectively. */
    opens io.coremanager.cli to info.picocli;
}
