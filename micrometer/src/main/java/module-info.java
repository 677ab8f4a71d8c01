/**
 * Per-lane metrics of a CoreManager for Micrometer users: {@link io.coremanager.micrometer.CoreManagerMetrics},
 * a {@code MeterBinder}. Micrometer's core is an automatic module ({@code micrometer.core}); an
 * application that binds the metrics reads it already, to have a {@code MeterRegistry}.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.coremanager.micrometer {
    requires transitive io.coremanager;
    requires transitive micrometer.core;

    exports io.coremanager.micrometer;
}
