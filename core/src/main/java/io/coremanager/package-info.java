/**
 * The public entry points of CoreManager ({@link io.coremanager.CoreManager},
 * {@link io.coremanager.PinnedThreadFactory}, {@link io.coremanager.Placement},
 * {@link io.coremanager.IdleStrategy}, {@link io.coremanager.CoreAffineThreads}), the lane services
 * ({@link io.coremanager.LaneLocal}, {@link io.coremanager.Sharded}; the offload pools are
 * package-private behind {@code CoreManager.offload}) and its values
 * ({@link io.coremanager.CpuSet}, the CPU-set currency of the API, and
 * {@link io.coremanager.LaneStats}).
 *
 * <p>Uses the engine ({@code io.coremanager.engine}, not exported), the affinity, topology and
 * reservation packages. The engine and the affinity package use its values ({@code CpuSet},
 * {@code LaneStats}) in turn.
 */
package io.coremanager;
