package io.coremanager.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * The queue of one lane: unbounded, many producers, one consumer (the lane's carrier), closable,
 * and failure-atomic: an {@link #offer} that throws has claimed nothing, or what it claimed is
 * filled with a marker the consumer skips, so no error can leave a hole the consumer waits at.
 *
 * <p>Elements live in linked chunks of {@value #CHUNK_SIZE} slots. A producer finds (or links) the
 * chunk of the next index, then claims the index with one CAS on the producer index, and publishes
 * the element with a release store. The consumer reads slots in index order with plain loads and
 * stores. An element costs no allocation; a chunk is allocated per {@value #CHUNK_SIZE} elements.
 *
 * <p>Why this queue and not a library's: measured side by side (JMH {@code QueueBenchmark}, one
 * producer, one consumer) against {@code ConcurrentLinkedQueue} and JCTools'
 * {@code MpscUnboundedXaddArrayQueue}, {@code MpscUnboundedAtomicArrayQueue} and
 * {@code MpscLinkedAtomicQueue}, its first version (an atomic add for the claim) came first on a
 * 16-vCPU Xeon and within 9% of the best on a 2-vCPU EPYC (BENCHMARKS.md). It needs no dependency,
 * and it does what a lane needs beyond a queue: closing only when empty, a walk of the queued
 * elements for {@code shutdownNow}, and failure atomicity, which the add-based queues (JCTools'
 * xadd queues and this one's first version) lack: between their add and their store an
 * {@code OutOfMemoryError} (the next chunk) or a {@code StackOverflowError} (any call) leaves a
 * claimed slot that is never published, and the consumer waits at it for ever.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li>Slot states: {@code null} (not yet published, or consumed) → element or {@link #SKIPPED}
 *       → {@code null}.</li>
 *   <li>Everything that can fail happens before the claim: walking to the chunk of the index and
 *       linking a new chunk (the allocation). The claim is a CAS of exactly that index, so the
 *       chunk found covers it. Between the claim and the publication there is one store; if
 *       anything throws there (a test seam, or a stack overflow in an interpreted VarHandle call),
 *       the handler fills the slot with {@link #SKIPPED} by a plain array store: no call, so it
 *       cannot overflow the stack itself, and no allocation.</li>
 *   <li>A claimed but not yet published slot is a "bubble": {@link #poll()} returns {@code null}
 *       until the producer's store lands; {@link #hasClaimed()} is true meanwhile.</li>
 *   <li>The producer's CAS is the store the lane's park protocol pairs with: it is a full fence,
 *       and the carrier reads the producer index ({@link #hasClaimed()}) after announcing that it
 *       parks. So the publication itself needs no fence: a release store.</li>
 *   <li>{@link #takeEach} ({@code shutdownNow}) never writes slots: it claims a user task through
 *       the task's own state, and the consumer, which must claim it too before running it, skips
 *       it. Continuations are never taken.</li>
 *   <li>Closing sets {@link #CLOSED} in the producer index, only when the queue is empty (the
 *       consumer index equals the producer index). A producer that reads a closed index publishes
 *       nothing and reports failure; the consumer never reads a closed queue again.</li>
 *   <li>Producer fields and consumer fields sit on cache lines of their own (padding by class
 *       hierarchy, as JCTools does): without it every offer and every poll moved one shared line
 *       between the two CPUs, which the throughput benchmark showed.</li>
 *   <li>{@code producerChunk} is a hint that mostly moves forward. A producer whose index lies
 *       before the hint walks from the consumer's chunk, which can never be past an unconsumed
 *       slot.</li>
 * </ul>
 */
final class LaneQueue extends LaneQueueConsumerFieldsPadded {

    /** Slots per chunk; a power of two. */
    static final int CHUNK_SIZE = 1024;
    /** Set in the producer index once the queue is closed. */
    private static final long CLOSED = 1L << 62;
    /** Fills a claimed slot whose publication failed; the consumer drops it. */
    static final Object SKIPPED = new Object() {
        @Override
        public String toString() {
            return "SKIPPED";
        }
    };

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final VarHandle PRODUCER_INDEX;
    private static final VarHandle CONSUMER_INDEX;
    private static final VarHandle NEXT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PRODUCER_INDEX = lookup.findVarHandle(LaneQueueProducerFields.class, "producerIndex", long.class);
            CONSUMER_INDEX = lookup.findVarHandle(LaneQueueConsumerFields.class, "consumerIndex", long.class);
            NEXT = lookup.findVarHandle(Chunk.class, "next", Chunk.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A run of slots; {@code next} is linked once, by whichever producer gets there first. */
    static final class Chunk {
        final long base;
        final Object[] slots = new Object[CHUNK_SIZE];
        volatile Chunk next;

        Chunk(long base) {
            this.base = base;
        }
    }

    LaneQueue() {
        Chunk first = new Chunk(0);
        producerChunk = first;
        consumerChunk = first;
    }

    /**
     * Adds {@code element}. The claim (a CAS, a full fence) precedes the caller's read of the lane's
     * parked flag; the publication is a release store. Failure-atomic: see the class notes.
     *
     * @return false if the queue is closed: nothing was added
     */
    boolean offer(Object element) {
        Chunk chunk = producerChunk;
        while (true) {
            long index = producerIndex;
            if ((index & CLOSED) != 0) {
                return false;
            }
            chunk = chunkCovering(chunk, index); // may allocate: before the claim, so a failure claims nothing
            if (PRODUCER_INDEX.compareAndSet(this, index, index + 1)) {
                // The one step between claim and publication, in this frame: the handler must need no
                // more stack than the call that failed (see the class notes).
                int offset = (int) (index - chunk.base);
                try {
                    if (Faults.ENABLED) {
                        Faults.at(Faults.Point.CLAIMED);
                    }
                    SLOT.setRelease(chunk.slots, offset, element);
                } catch (Throwable t) {
                    chunk.slots[offset] = SKIPPED; // a plain store: no call, no allocation, cannot fail
                    throw t;
                }
                if (producerChunk.base < chunk.base) {
                    producerChunk = chunk; // a racing producer may set an older chunk: any hint is valid
                }
                return true;
            }
        }
    }

    /** The chunk holding {@code index}, starting the walk at {@code from}; links chunks as needed. */
    private Chunk chunkCovering(Chunk from, long index) {
        Chunk chunk = from;
        if (index < chunk.base) {
            chunk = consumerChunk; // rare: see the class notes
        }
        while (index >= chunk.base + CHUNK_SIZE) {
            chunk = nextOf(chunk);
        }
        return chunk;
    }

    private static Chunk nextOf(Chunk chunk) {
        Chunk next = chunk.next;
        if (next == null) {
            Chunk fresh = new Chunk(chunk.base + CHUNK_SIZE);
            Chunk witness = (Chunk) NEXT.compareAndExchange(chunk, (Chunk) null, fresh);
            next = witness == null ? fresh : witness;
        }
        return next;
    }

    /**
     * The next element, or {@code null} when none is published yet. Consumer only. Skips the
     * markers of failed publications.
     */
    Object poll() {
        while (true) {
            long index = consumerIndex;
            Chunk chunk = consumerChunk;
            int offset = (int) (index - chunk.base);
            if (offset == CHUNK_SIZE) {
                Chunk next = chunk.next;
                if (next == null) {
                    return null; // a producer is linking the next chunk
                }
                consumerChunk = chunk = next;
                offset = 0;
            }
            Object element = SLOT.getAcquire(chunk.slots, offset);
            if (element == null) {
                return null;
            }
            SLOT.set(chunk.slots, offset, (Object) null); // for the garbage collector; no one else writes slots
            CONSUMER_INDEX.setRelease(this, index + 1);
            if (element != SKIPPED) {
                return element;
            }
        }
    }

    /** Whether the next slot holds a published element (or a marker): what the spinning carrier watches. Consumer only. */
    boolean hasPublished() {
        long index = consumerIndex;
        Chunk chunk = consumerChunk;
        int offset = (int) (index - chunk.base);
        if (offset == CHUNK_SIZE) {
            chunk = chunk.next;
            if (chunk == null) {
                return false;
            }
            offset = 0;
        }
        return SLOT.getAcquire(chunk.slots, offset) != null;
    }

    /**
     * Whether a producer has claimed a slot the consumer has not consumed: an element is queued or
     * being published. Volatile reads of both indexes: the carrier's last look before it parks,
     * paired with the producers' CAS (see the class notes).
     */
    boolean hasClaimed() {
        return (producerIndex & ~CLOSED) != consumerIndex;
    }

    /**
     * Elements queued or being published now; a snapshot for statistics. A closed queue holds
     * nothing: it closed empty.
     */
    long size() {
        long consumed = consumerIndex;
        long produced = producerIndex;
        return (produced & CLOSED) != 0 ? 0 : Math.max(0, produced - consumed);
    }

    /**
     * Closes the queue if it is empty. Consumer only.
     *
     * @return true if the queue is now closed; false if an element is queued or being published
     */
    boolean closeIfEmpty() {
        long index = consumerIndex;
        return PRODUCER_INDEX.compareAndSet(this, index, index | CLOSED) || isClosed();
    }

    /** Whether the queue is closed. */
    boolean isClosed() {
        return (producerIndex & CLOSED) != 0;
    }

    /**
     * Offers, from any thread, each queued element to {@code take}, which claims what it wants
     * through the element's own state (the consumer claims the same way before running an element,
     * so each goes to one of them). Elements being published during the walk may be missed: they
     * stay for the consumer. Never writes a slot.
     */
    void takeEach(Consumer<Object> take) {
        Chunk chunk = consumerChunk;
        long from = Math.max(consumerIndex, chunk.base);
        long to = producerIndex & ~CLOSED;
        for (long index = from; index < to; index++) {
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
}

/** 128 bytes before the producer fields: a cache line and its adjacent-line prefetch partner. */
abstract class LaneQueuePad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

/** Written by producers. */
abstract class LaneQueueProducerFields extends LaneQueuePad0 {
    /** Next slot to claim, plus {@code CLOSED}; updated by CAS only (the producers' claims, the consumer's close). */
    volatile long producerIndex;
    /** A hint of the chunk producers fill now; may lag (racing updates), never ahead of the frontier. */
    volatile LaneQueue.Chunk producerChunk;
}

abstract class LaneQueuePad1 extends LaneQueueProducerFields {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
}

/** Written by the consumer. */
abstract class LaneQueueConsumerFields extends LaneQueuePad1 {
    /** Next slot to read; written by the consumer only (release), read by anyone (acquire). */
    volatile long consumerIndex;
    /** The chunk holding {@code consumerIndex}, or the one before when it is at a chunk's end. */
    volatile LaneQueue.Chunk consumerChunk;
}

abstract class LaneQueueConsumerFieldsPadded extends LaneQueueConsumerFields {
    long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;
}
