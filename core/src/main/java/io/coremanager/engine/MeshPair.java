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
 * <p>The producer writes each element with a plain store after a release fence (free on x86: it
 * only keeps the compiler from moving the task's construction after it), so a consumer that is
 * running sees it at once, as JCTools' SPSC queues do: the consumer polls the slot at its head, not
 * an index, which would cost a second cache line per hand-off. What is batched is the publication:
 * one volatile store of the tail (the store-load fence the destination's park protocol pairs
 * with, see {@code CarrierParking}) and the destination's wake-up if it is parked, which together
 * make a parked destination see the elements, and which the closing protocol counts on. When it
 * publishes is the source lane's business ({@link Lane}): at the end of the element that
 * appended, when {@value #PUBLISH_EVERY} wait unpublished, before lane code waits for a future,
 * and at the end of the carrier's section.
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
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final VarHandle NEXT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PUBLISHED = lookup.findVarHandle(MeshPairShared.class, "published", long.class);
            HEAD = lookup.findVarHandle(MeshPairConsumer.class, "head", long.class);
            TAIL = lookup.findVarHandle(MeshPairProducer.class, "tail", long.class);
            CONSUMER_CHUNK = lookup.findVarHandle(MeshPairConsumer.class, "consumerChunk", Chunk.class);
            NEXT = lookup.findVarHandle(Chunk.class, "next", Chunk.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A run of slots; {@code next} is written by the producer before the first element of the next chunk. */
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

    /** Fills a slot whose store failed; the consumer drops it. */
    static final Object SKIPPED = new Object() {
        @Override
        public String toString() {
            return "SKIPPED";
        }
    };

    /**
     * Appends {@code task}, unpublished. Failure-atomic, as the lane's queue: everything that can
     * fail (the chunk's allocation) comes before the first write; the tail (the count of appended
     * tasks, read as "submitted") is written before the slot's release store, so a consumer that
     * ran the task sees it counted; if anything throws between the two (a test seam, or a stack
     * overflow in an interpreted VarHandle call), the handler fills the slot with {@link #SKIPPED}
     * by a plain store (no call, no allocation) and uncounts it, so no hole is left.
     */
    void append(Object task) {
        long index = tail;
        Chunk chunk = producerChunk;
        Chunk fresh = null;
        if (chunk == null || index - chunk.base == CHUNK_SIZE) {
            fresh = new Chunk(index); // may throw: nothing written yet
            VarHandle.releaseFence(); // may throw (a call): still nothing written; then plain stores, no call
            if (chunk == null) {
                consumerChunk = fresh; // the consumer's first chunk, before its first element
            } else {
                chunk.next = fresh; // linked before the first element in it
            }
            producerChunk = chunk = fresh;
        }
        int offset = (int) (index - chunk.base);
        tail = index + 1;
        try {
            if (Faults.ENABLED) {
                Faults.at(Faults.Point.MESH_APPEND);
            }
            SLOT.setRelease(chunk.slots, offset, task);
        } catch (Throwable t) {
            chunk.slots[offset] = SKIPPED; // a plain store: cannot fail
            skipped++;
            throw t;
        }
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

    /** The next element written (published or not yet), or null. */
    Object poll() {
        Chunk chunk = consumerChunk;
        if (chunk == null) {
            return null; // nothing ever appended
        }
        long h = head;
        int offset = (int) (h - chunk.base);
        if (offset == CHUNK_SIZE) {
            Chunk next = (Chunk) NEXT.getAcquire(chunk);
            if (next == null) {
                return null; // the producer has not reached the next chunk
            }
            CONSUMER_CHUNK.setRelease(this, next);
            chunk = next;
            offset = 0;
        }
        Object element = SLOT.getAcquire(chunk.slots, offset);
        if (element == null) {
            return null;
        }
        chunk.slots[offset] = null; // for the garbage collector; the producer never comes back to a slot
        HEAD.setRelease(this, h + 1);
        return element == SKIPPED ? poll() : element;
    }

    /**
     * Whether an element waits: the slot at the head (what a spinning carrier watches), else a
     * volatile read of the published index (the carrier's look after announcing a park, which the
     * producer's volatile publication pairs with).
     */
    boolean hasPublished() {
        Chunk chunk = consumerChunk;
        if (chunk == null) {
            return false;
        }
        long h = head;
        int offset = (int) (h - chunk.base);
        if (offset < CHUNK_SIZE && SLOT.getAcquire(chunk.slots, offset) != null) {
            return true;
        }
        return (long) PUBLISHED.getVolatile(this) - h > 0; // the head may be past it: elements are seen before their publication
    }

    // ---------------------------------------------------------------- any thread

    /** Elements published and not consumed: a snapshot for statistics. */
    long size() {
        return Math.max(0, (long) PUBLISHED.getVolatile(this) - (long) HEAD.getVolatile(this));
    }

    /** Elements ever appended (published or not): counted as submitted before they can run. */
    long appended() {
        long failed = skipped; // one too many while a failed append unwinds: statistics only
        return (long) TAIL.getOpaque(this) - failed;
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
            Object element = SLOT.getAcquire(chunk.slots, (int) (index - chunk.base));
            if (element != null && element != SKIPPED) {
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
    /** Appends that failed after the tail was raised (their slot holds SKIPPED); read by statistics. */
    volatile long skipped;
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
    /** The chunk holding {@code head} (or the one before); set once by the producer, then the consumer's. */
    volatile MeshPair.Chunk consumerChunk;
}

abstract class MeshPairConsumerPadded extends MeshPairConsumer {
    long p30, p31, p32, p33, p34, p35, p36, p37, p38, p39, p3a, p3b, p3c, p3d, p3e, p3f;
}
