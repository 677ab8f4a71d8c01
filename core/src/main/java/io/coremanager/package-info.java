/**
 * The public entry points of CoreManager and its currency, {@link io.coremanager.CpuSet}.
 *
 * <p>May use every other package of the library; nothing else depends on it but the callers.
 */
package io.coremanager;
