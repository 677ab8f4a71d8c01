/**
 * Exclusive CPUs shared fairly between threads and processes on one host:
 * {@link io.coremanager.reservation.CpuReservation} holds kernel file locks in a lock folder
 * ({@link io.coremanager.reservation.CpuReservations}), so a process killed with {@code kill -9}
 * frees its CPUs at once and no stale lock ever blocks.
 *
 * <p>Uses {@link io.coremanager.CpuSet} and the topology (whole cores); knows nothing of lanes.
 */
package io.coremanager.reservation;
