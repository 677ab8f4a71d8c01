package io.coremanager.topology;

/**
 * The kind of a core on a hybrid machine (Intel P/E cores, ARM big.LITTLE).
 *
 * <p>Where a machine has more than two tiers (an ARM prime, middle and little cluster), the
 * slowest tier is {@link #EFFICIENCY} and every faster one {@link #PERFORMANCE}.
 */
public enum CoreKind {
    /** A big core: the fastest tier(s) of a hybrid machine. */
    PERFORMANCE,
    /** A little core: the slowest tier of a hybrid machine. */
    EFFICIENCY,
    /** Not a hybrid machine, or the kernel does not say. */
    UNKNOWN
}
