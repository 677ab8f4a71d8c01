package io.coremanager;

/**
 * Maps keys to lanes for {@link CoreManager#cpuFor(Object)}: the key's hash, spread by
 * MurmurHash3's 64-bit finalizer, then Lamping and Veach's jump consistent hash ("A Fast, Minimal
 * Memory, Consistent Hash Algorithm", 2014) over the lanes in CPU order.
 *
 * <p>Properties: the same key gives the same lane for the manager's life (and across runs, for keys
 * whose {@code hashCode} is stable, such as strings and boxed numbers); keys spread evenly; and
 * between managers of n and n+1 lanes only about 1/(n+1) of the keys move.
 */
final class KeySharding {

    private KeySharding() {
    }

    /** The bucket in {@code [0, buckets)} of {@code key}. */
    static int bucket(long key, int buckets) {
        long k = mix(key);
        long b = -1;
        long j = 0;
        while (j < buckets) {
            b = j;
            k = k * 2862933555777941757L + 1;
            j = (long) ((b + 1) * ((double) (1L << 31) / (double) ((k >>> 33) + 1)));
        }
        return (int) b;
    }

    /** MurmurHash3's fmix64: every input bit affects every output bit. */
    static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
