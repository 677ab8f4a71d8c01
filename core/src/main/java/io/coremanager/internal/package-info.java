/**
 * Readers of the kernel's pseudo-files (sysfs, procfs, cgroupfs) shared by the affinity and
 * topology packages. Not exported by the module: nothing here is API.
 */
package io.coremanager.internal;
