package io.coremanager.engine;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Selector;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The park/wake protocol under stress: a producer hands a consumer one unit of work at a time (one
 * atomic add: the claim and the publication at once) and
 * waits for it; the consumer parks whenever it sees none. A lost wake-up leaves the consumer parked
 * with work waiting, and the producer's wait runs out. The same harness runs a planted bug (the
 * consumer checks for work before it announces it is parking) and must catch it, so a pass of the
 * real protocol means something.
 *
 * <p>The harness widens the race: the work check spins a random few hundred nanoseconds after it
 * reads, the window in which a producer may publish. Runs for {@code coremanager.stress.seconds}
 * (default 2) per protocol.
 */
class CarrierParkingStressTest {

    private static final long SECONDS = Long.getLong("coremanager.stress.seconds", 2);
    /** How long a hand-off may take before it counts as lost: far above any scheduling delay. */
    private static final long LOST_AFTER_NANOS = 2_000_000_000L;

    /** The two operations under test. */
    interface Protocol {
        void park(BooleanSupplier hasWork);

        void wakeIfParked();

        void carrier(Thread thread);
    }

    /** The real protocol. */
    static Protocol real() {
        CarrierParking parking = new CarrierParking();
        return new Protocol() {
            @Override
            public void park(BooleanSupplier hasWork) {
                parking.park(hasWork, () -> false); // the harness's work is published by one atomic add
            }

            @Override
            public void wakeIfParked() {
                parking.wakeIfParked();
            }

            @Override
            public void carrier(Thread thread) {
                parking.carrier(thread);
            }
        };
    }

    /**
     * The real protocol with a selector as the blocker, as a lane with sockets has it: the carrier
     * selects, the waker calls {@code selector.wakeup()}.
     */
    static Protocol realWithSelector(Selector selector) {
        CarrierParking parking = new CarrierParking();
        parking.blocker(new CarrierParking.Blocker() {
            @Override
            public boolean block(Object p, long nanos) {
                try {
                    selector.select(Math.max(1, nanos / 1_000_000));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return false;
            }

            @Override
            public void wake(Thread carrier) {
                selector.wakeup();
            }
        });
        return new Protocol() {
            @Override
            public void park(BooleanSupplier hasWork) {
                parking.park(hasWork, () -> false);
            }

            @Override
            public void wakeIfParked() {
                parking.wakeIfParked();
            }

            @Override
            public void carrier(Thread thread) {
                parking.carrier(thread);
            }
        };
    }

    /** The planted bug: look for work first, announce parking after, a classic lost wake-up. */
    static Protocol checkBeforeAnnouncing() {
        return new Protocol() {
            private volatile boolean parked;
            private volatile Thread carrier;

            @Override
            public void park(BooleanSupplier hasWork) {
                if (hasWork.getAsBoolean()) {
                    return;
                }
                parked = true;
                while (parked) {
                    LockSupport.park(this);
                }
            }

            @Override
            public void wakeIfParked() {
                if (parked) {
                    parked = false;
                    LockSupport.unpark(carrier);
                }
            }

            @Override
            public void carrier(Thread thread) {
                carrier = thread;
            }
        };
    }

    /** Runs hand-offs for {@code nanos}; returns how many completed, or -(count+1) at the first lost one. */
    static long handOffs(Protocol protocol, long nanos) throws InterruptedException {
        AtomicLong given = new AtomicLong();
        AtomicLong done = new AtomicLong();
        BooleanSupplier hasWork = () -> {
            boolean work = given.get() > done.get();
            long until = System.nanoTime() + ThreadLocalRandom.current().nextInt(500);
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            return work;
        };
        Thread consumer = Thread.ofPlatform().daemon(true).unstarted(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                if (given.get() > done.get()) {
                    done.incrementAndGet();
                } else {
                    protocol.park(hasWork);
                }
            }
        });
        protocol.carrier(consumer);
        consumer.start();
        long end = System.nanoTime() + nanos;
        long count = 0;
        try {
            while (System.nanoTime() < end) {
                given.incrementAndGet();
                protocol.wakeIfParked();
                long deadline = System.nanoTime() + LOST_AFTER_NANOS;
                while (done.get() < given.get()) {
                    if (System.nanoTime() > deadline) {
                        return -(count + 1);
                    }
                    Thread.onSpinWait();
                }
                count++;
            }
            return count;
        } finally {
            consumer.interrupt();
            LockSupport.unpark(consumer);
        }
    }

    /**
     * As the lane does it: a producer claims (atomic add), publishes a moment later with a release
     * store, then reads the parked flag; the carrier checks for claims after announcing. Returns
     * the hand-offs done, or -(count+1) at the first lost one.
     */
    static long laggingHandOffs(long nanos) throws InterruptedException {
        CarrierParking parking = new CarrierParking();
        AtomicLong claimed = new AtomicLong();
        AtomicLong published = new AtomicLong();
        AtomicLong done = new AtomicLong();
        Thread consumer = Thread.ofPlatform().daemon(true).unstarted(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                if (published.get() > done.get()) {
                    done.incrementAndGet();
                } else {
                    parking.park(() -> published.get() > done.get(), () -> claimed.get() > done.get());
                }
            }
        });
        parking.carrier(consumer);
        consumer.start();
        long end = System.nanoTime() + nanos;
        long count = 0;
        try {
            while (System.nanoTime() < end) {
                long n = claimed.incrementAndGet();
                long until = System.nanoTime() + ThreadLocalRandom.current().nextInt(2_000);
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                published.lazySet(n);
                parking.wakeIfParked();
                long deadline = System.nanoTime() + LOST_AFTER_NANOS;
                while (done.get() < n) {
                    if (System.nanoTime() > deadline) {
                        return -(count + 1);
                    }
                    Thread.onSpinWait();
                }
                count++;
            }
            return count;
        } finally {
            consumer.interrupt();
            LockSupport.unpark(consumer);
        }
    }

    @Test
    void noWakeUpIsLostWhenPublicationLagsTheClaim() throws InterruptedException {
        assertThat(laggingHandOffs(SECONDS * 1_000_000_000L)).as("hand-offs (negative: lost)").isPositive();
    }

    @Test
    void theRealProtocolLosesNoWakeUp() throws InterruptedException {
        long completed = handOffs(real(), SECONDS * 1_000_000_000L);
        assertThat(completed).as("hand-offs before a lost wake-up (negative: lost)").isPositive();
    }

    @Test
    void theRealProtocolWithASelectorBlockerLosesNoWakeUp() throws Exception {
        try (Selector selector = Selector.open()) {
            long completed = handOffs(realWithSelector(selector), SECONDS * 1_000_000_000L);
            assertThat(completed).as("hand-offs before a lost wake-up (negative: lost)").isPositive();
        }
    }

    @Test
    void theHarnessCatchesAPlantedLostWakeUp() throws InterruptedException {
        long result = 0;
        // The planted bug shows within seconds on two CPUs; a few attempts keep this from flaking.
        for (int attempt = 0; attempt < 5 && result >= 0; attempt++) {
            result = handOffs(checkBeforeAnnouncing(), Math.max(SECONDS, 4) * 1_000_000_000L);
        }
        assertThat(result).as("the harness must see the planted lost wake-up").isNegative();
    }
}
