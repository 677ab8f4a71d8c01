/**
 * The public entry points of CoreManager ({@link io.coremanager.CoreManager},
 * {@link io.coremanager.PinnedThreadFactory}, {@link io.coremanager.Placement},
 * {@link io.coremanager.IdleStrategy}, {@link io.coremanager.CoreAffineThreads}) and its values
 * ({@link io.coremanager.CpuSet}, the CPU-set currency of the API, and
 * {@link io.coremanager.LaneStats}).
 *
 * <p>Uses the engine ({@code io.coremanager.engine}, not exported), the affinity, topology and
 * reservation packages. The engine and the affinity package use its values ({@code CpuSet},
 * {@code LaneStats}) in turn.
 */
package io.coremanager;
