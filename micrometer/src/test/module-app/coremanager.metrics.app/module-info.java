/** An application on the module path that binds CoreManager's metrics: see MicrometerModulePathTest. */
module coremanager.metrics.app {
    requires io.coremanager.micrometer;
}
