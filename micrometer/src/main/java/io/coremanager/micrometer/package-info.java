/**
 * Micrometer meters of a CoreManager's lanes: {@link io.coremanager.micrometer.CoreManagerMetrics}.
 * Uses only the library's public API ({@code CoreManager.stats}) and Micrometer's core.
 */
package io.coremanager.micrometer;
