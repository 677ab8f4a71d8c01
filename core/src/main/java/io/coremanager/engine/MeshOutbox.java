package io.coremanager.engine;

/**
 * What a lane's carrier thread writes for the mesh (see {@link Lane} and the engine overview), on
 * cache lines of its own: other lanes' code reads a destination's {@link Lane} fields at every
 * hand-off, and the carrier writes these at every hand-off and twice per batch, so sharing lines
 * with them would move a line between CPUs per hand-off.
 */
final class MeshOutbox extends MeshOutboxFields {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
}

/** 128 bytes before the fields. */
abstract class MeshOutboxPad {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

abstract class MeshOutboxFields extends MeshOutboxPad {
    /**
     * Odd while the carrier is in a section (running elements or timers: the only time its code
     * appends to the mesh), even between; volatile writes by the carrier, read by closing lanes.
     */
    volatile long section;
    /** The pairs this lane's code sends through, by destination index; made on first use. */
    MeshPair[] pairs = new MeshPair[0];
    /** Pairs with unpublished elements (each listed once: {@code MeshPair.listed}). */
    MeshPair[] dirty = new MeshPair[0];
    int dirtyCount;
    /** While positive, hand-offs are published at once (see Lane.eagerMeshOfCaller). */
    int eager;
    /** As a destination closing its mesh: per source index, the odd section value seen, or -1. */
    long[] sectionSeen = new long[0];
}
