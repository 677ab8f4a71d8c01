package io.coremanager.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * The mesh queue of one (source, destination) pair of lanes: the user tasks that the source lane's
 * code (its carrier, or a virtual thread mounted on it, inside one of the carrier's sections) hands
 * to the destination. One producer (the source's carrier thread), one consumer (the destination's
 * carrier thread), unbounded, no atomic read-modify-write anywhere.
 *
 * <p>The producer appends with plain stores and publishes its tail now and then with one volatile
 * store (release, then the store-load fence the destination's park protocol pairs with: see
 * {@code CarrierParking}); when it publishes is the source lane's business ({@link Lane}): at the
 * end of the element that appended, when {@value #PUBLISH_EVERY} wait unpublished, before lane code
 * waits for a future, and at the end of the carrier's section. The consumer reads up to the
 * published index with plain loads.
 *
 * <p>Elements live in linked chunks of {@value #CHUNK_SIZE} slots, allocated by the producer
 * before it writes anything (failure atomicity: an append that throws has written nothing), and
 * linked before the publication that covers their first slot, so the consumer never reads past a
 * link that is not there. Order is FIFO by construction; nothing ever overflows into another queue.
 *
 * <p>{@link #takeEach} ({@code shutdownNow}'s hand-back walk) may run on any thread: it reads the
 * consumer's chunk and index, then the published index, and claims what it wants through the
 * task's own state, as for the lane's MPSC queue; it never writes a slot.
 */
final class MeshPair extends MeshPairConsumerPadded {

    /** Slots per chunk. */
    static final int CHUNK_SIZE = 256;
    /** The producer publishes once this many elements wait unpublished (the pair's batch is full). */
    static final int PUBLISH_EVERY = 32;

    private static final VarHandle PUBLISHED;
    private static final VarHandle HEAD;
    private static final VarHandle TAIL;
    private static final VarHandle CONSUMER_CHUNK;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PUBLISHED = lookup.findVarHandle(MeshPairShared.class, "published", long.class);
            HEAD = lookup.findVarHandle(MeshPairConsumer.class, "head", long.class);
            TAIL = lookup.findVarHandle(MeshPairProducer.class, "tail", long.class);
            CONSUMER_CHUNK = lookup.findVarHandle(MeshPairConsumer.class, "consumerChunk", Chunk.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A run of slots; {@code next} is written by the producer before the publication covering it. */
    static final class Chunk {
        final long base;
        final Object[] slots = new Object[CHUNK_SIZE];
        Chunk next;

        Chunk(long base) {
            this.base = base;
        }
    }

    final Lane source;
    final Lane destination;

    MeshPair(Lane source, Lane destination) {
        this.source = source;
        this.destination = destination;
    }

    // ---------------------------------------------------------------- producer (the source's carrier thread)

    /**
     * Appends {@code task}, unpublished. Failure-atomic: everything that can fail (the chunk's
     * allocation, the test seam) comes before the first write; after it, only plain stores.
     */
    void append(Object task) {
        long index = tail;
        Chunk chunk = producerChunk;
        Chunk fresh = null;
        if (chunk == null || index - chunk.base == CHUNK_SIZE) {
            fresh = new Chunk(index); // may throw: nothing written yet
        }
        if (Faults.ENABLED) {
            Faults.at(Faults.Point.MESH_APPEND);
        }
        if (chunk == null) {
            CONSUMER_CHUNK.setRelease(this, fresh); // the consumer's first chunk, before the first publication
        }
        // From here on, plain stores only: nothing can throw.
        if (fresh != null) {
            if (chunk != null) {
                chunk.next = fresh;
            }
            producerChunk = chunk = fresh;
        }
        chunk.slots[(int) (index - chunk.base)] = task;
        tail = index + 1;
    }

    /** Elements appended but not yet published. */
    long unpublished() {
        return tail - lastPublished;
    }

    /**
     * Publishes what was appended: one volatile store, then the destination's wake-up if it is
     * parked (no system call when it runs). Never throws in practice: the wake-up absorbs its own
     * failures (see {@link Lane}); the store is an intrinsic.
     */
    void publish() {
        long t = tail;
        if (t != lastPublished) {
            PUBLISHED.setVolatile(this, t);
            lastPublished = t;
            destination.wakeAfterPublication();
        }
    }

    // ---------------------------------------------------------------- consumer (the destination's carrier thread)

    /** The next published element, or null. */
    Object poll() {
        long h = head;
        if (h == publishedSeen) {
            publishedSeen = (long) PUBLISHED.getVolatile(this);
            if (h == publishedSeen) {
                return null;
            }
        }
        Chunk chunk = consumerChunk;
        int offset = (int) (h - chunk.base);
        if (offset == CHUNK_SIZE) {
            chunk = chunk.next; // linked before the publication we read
            CONSUMER_CHUNK.setRelease(this, chunk);
            offset = 0;
        }
        Object element = chunk.slots[offset];
        chunk.slots[offset] = null; // for the garbage collector; the producer never comes back to a slot
        HEAD.setRelease(this, h + 1);
        return element;
    }

    /** Whether a published element waits: a volatile read (the carrier's look after announcing a park). */
    boolean hasPublished() {
        return head != (long) PUBLISHED.getVolatile(this);
    }

    // ---------------------------------------------------------------- any thread

    /** Elements published and not consumed: a snapshot for statistics. */
    long size() {
        return Math.max(0, (long) PUBLISHED.getVolatile(this) - (long) HEAD.getVolatile(this));
    }

    /** Elements ever appended (published or not): counted as submitted before their publication. */
    long appended() {
        return (long) TAIL.getOpaque(this);
    }

    /**
     * Offers each published, unconsumed element to {@code take}, which claims what it wants through
     * the element's own state. Elements published during the walk may be missed: they stay for the
     * consumer, which claims before it runs. Never writes a slot.
     */
    void takeEach(Consumer<Object> take) {
        Chunk chunk = (Chunk) CONSUMER_CHUNK.getVolatile(this);
        long from = (long) HEAD.getVolatile(this); // read after the chunk: at or past its base
        long to = (long) PUBLISHED.getVolatile(this); // last: the links and slots before it are visible
        if (chunk == null) {
            return;
        }
        for (long index = Math.max(from, chunk.base); index < to; index++) {
            while (index >= chunk.base + CHUNK_SIZE) {
                chunk = chunk.next;
                if (chunk == null) {
                    return;
                }
            }
            Object element = chunk.slots[(int) (index - chunk.base)];
            if (element != null) {
                take.accept(element);
            }
        }
    }

    @Override
    public String toString() {
        return "mesh " + source + " -> " + destination;
    }
}

/** 128 bytes before the producer's fields. */
abstract class MeshPairPad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

/** Written by the producer only. */
abstract class MeshPairProducer extends MeshPairPad0 {
    /** Next index to write; plain writes by the producer, opaque reads by statistics. */
    long tail;
    /** What the producer published last (its own copy of {@code published}). */
    long lastPublished;
    /** The chunk holding {@code tail}, or the one before when it is at a chunk's end; null before the first append. */
    MeshPair.Chunk producerChunk;
    /** Whether the pair is on its source's list of pairs to publish (see Lane). */
    boolean listed;
}

abstract class MeshPairPad1 extends MeshPairProducer {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
}

/** The one field both sides touch: written by the producer (volatile), read by the consumer. */
abstract class MeshPairShared extends MeshPairPad1 {
    volatile long published;
}

abstract class MeshPairPad2 extends MeshPairShared {
    long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;
}

/** Written by the consumer only. */
abstract class MeshPairConsumer extends MeshPairPad2 {
    /** Next index to read; release writes by the consumer, read by anyone. */
    volatile long head;
    /** The consumer's copy of {@code published}. */
    long publishedSeen;
    /** The chunk holding {@code head} (or the one before); set once by the producer, then the consumer's. */
    volatile MeshPair.Chunk consumerChunk;
}

abstract class MeshPairConsumerPadded extends MeshPairConsumer {
    long p30, p31, p32, p33, p34, p35, p36, p37, p38, p39, p3a, p3b, p3c, p3d, p3e, p3f;
}
