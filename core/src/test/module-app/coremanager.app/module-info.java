/** An application on the module path that uses CoreManager as users are told to: see ModulePathTest. */
module coremanager.app {
    requires io.coremanager;
}
