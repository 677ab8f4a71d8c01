package io.coremanager.stress;

import io.coremanager.CoreManager;
import io.coremanager.IdleStrategy;
import io.coremanager.LaneStats;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No lost work under races: producers submit tasks ({@code execute}, {@code submit}, an executor
 * view) and start core-affine virtual threads ({@code go}, {@code threadFactory}) while
 * {@code close()} or {@code shutdownNow()} races with them. After every round the books balance:
 * accepted = completed + failed + handed back, for each kind; every future is done; every virtual
 * thread ended; no carrier or watchdog thread is left; no platform thread leaked. Lane code produces
 * too (issue 13, the mesh): some tasks and virtual threads hand tasks to the lanes from their lane,
 * which go through the lane-to-lane mesh when the destination is another lane (and the queue is
 * unbounded); those are booked as "mesh" and balance the same way.
 *
 * <p>Runs {@code coremanager.stress.seconds} (default 3; the long run is 1800) and prints its
 * figures.
 */
class NoLostWorkStressTest {

    private static final long SECONDS = Long.getLong("coremanager.stress.seconds", 3);

    /** A task of the test: runs once, fails on purpose when asked. */
    static class Counted implements Runnable {
        final Books books;
        final boolean fail;

        Counted(Books books, boolean fail) {
            this.books = books;
            this.fail = fail;
        }

        @Override
        public void run() {
            books.ran.incrementAndGet();
            if (fail) {
                throw new IllegalStateException("failing on purpose");
            }
        }
    }

    /** An {@code execute} task that, from its lane, first hands tasks to random lanes (the mesh). */
    static final class Relay extends Counted {
        final CoreManager cores;
        final int[] cpus;
        final Books meshed;

        Relay(Books books, boolean fail, CoreManager cores, int[] cpus, Books meshed) {
            super(books, fail);
            this.cores = cores;
            this.cpus = cpus;
            this.meshed = meshed;
        }

        @Override
        public void run() {
            relay(cores, cpus, meshed);
            super.run();
        }
    }

    /** Hands up to 40 tasks to random lanes from lane code, booking each one accepted. */
    static void relay(CoreManager cores, int[] cpus, Books meshed) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int n = 1 + random.nextInt(40);
        for (int k = 0; k < n; k++) {
            try {
                cores.execute(cpus[random.nextInt(cpus.length)], new Counted(meshed, random.nextInt(7) == 0));
                meshed.accepted.incrementAndGet();
            } catch (RejectedExecutionException e) {
                return; // shut down, or a full queue
            }
        }
    }

    /** One kind of work's accounts. */
    static final class Books {
        final AtomicLong accepted = new AtomicLong();
        final AtomicLong ran = new AtomicLong();
        final AtomicLong handedBack = new AtomicLong();
    }

    @Test
    void booksBalanceWhenCloseAndShutdownNowRaceWithProducers() throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        int rounds = 0;
        long tasks = 0;
        long threads = 0;
        long handedBack = 0;
        while (System.nanoTime() < end || rounds < 3) {
            long[] figures = round(rounds++);
            tasks += figures[0];
            threads += figures[1];
            handedBack += figures[2];
        }
        System.out.printf("no-lost-work stress: %d rounds in %d s, %d tasks accepted, %d virtual threads, "
                + "%d tasks handed back; books balanced every round%n", rounds, SECONDS, tasks, threads, handedBack);
        assertThat(rounds).isGreaterThanOrEqualTo(3);
    }

    /** One round; returns {tasks accepted, threads started, tasks handed back}. */
    private long[] round(int round) throws Exception {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String prefix = "stress-" + round + "-cpu-";
        int platformThreadsBefore = platformThreadCount();
        IdleStrategy idle = switch (random.nextInt(3)) {
            case 0 -> IdleStrategy.park();
            case 1 -> IdleStrategy.busySpin();
            default -> IdleStrategy.spinThenPark();
        };
        Books executed = new Books();
        Books submitted = new Books();
        Books viewed = new Books();
        Books virtual = new Books();
        Books meshed = new Books();
        AtomicLong handlerSaw = new AtomicLong();
        CoreManager cores = CoreManager.builder().threadNamePrefix(prefix).idleStrategy(idle)
                .queueCapacity(random.nextBoolean() ? 0 : 500).stallThreshold(Duration.ofMillis(200))
                .uncaughtExceptionHandler((t, e) -> handlerSaw.incrementAndGet()).build();
        int[] cpus = cores.cpus().toArray();
        List<ExecutorService> views = new ArrayList<>();
        List<ThreadFactory> factories = new ArrayList<>();
        for (int cpu : cpus) {
            views.add(cores.executor(cpu));
            factories.add(cores.threadFactory(cpu));
        }
        ConcurrentLinkedQueue<CompletableFuture<Integer>> futures = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Thread> started = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> producers = new ArrayList<>();
        int producerCount = 2 + random.nextInt(3);
        for (int p = 0; p < producerCount; p++) {
            producers.add(Thread.ofPlatform().name("stress-producer-" + p).start(() -> {
                try {
                    go.await();
                    produce(cores, cpus, views, factories, executed, submitted, viewed, virtual, meshed, futures, started);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        List<Runnable> returned = new ArrayList<>();
        boolean now = random.nextBoolean();
        go.countDown();
        Thread.sleep(1 + random.nextInt(20));
        if (now) {
            returned.addAll(cores.shutdownNow());
        } else {
            cores.close();
        }
        for (Thread p : producers) {
            p.join(60_000);
            assertThat(p.isAlive()).as("producer ended").isFalse();
        }
        assertThat(cores.awaitTermination(Duration.ofSeconds(60))).as("terminated").isTrue();
        for (Thread t : started) {
            t.join(60_000);
            assertThat(t.isAlive()).as("%s ended", t).isFalse();
        }

        // What shutdownNow handed back, by kind.
        for (Runnable r : returned) {
            if (r instanceof Counted c) {
                c.books.handedBack.incrementAndGet(); // execute or the executor view
            } else if (r instanceof java.util.concurrent.Future<?> f) {
                assertThat(f).isCancelled();
                submitted.handedBack.incrementAndGet();
            } else {
                throw new AssertionError("unexpected hand-back: " + r);
            }
        }
        assertBooks("execute", executed);
        assertBooks("executor view", viewed);
        assertBooks("mesh", meshed);
        long normal = 0;
        long failed = 0;
        long cancelled = 0;
        for (CompletableFuture<Integer> f : futures) {
            assertThat(f).as("every future is done").isDone();
            if (f.isCancelled()) {
                cancelled++;
            } else if (f.isCompletedExceptionally()) {
                failed++;
            } else {
                normal++;
            }
        }
        assertThat(submitted.accepted.get()).isEqualTo(futures.size());
        assertThat(normal + failed).as("submitted tasks that ran").isEqualTo(submitted.ran.get());
        assertThat(cancelled).as("submitted tasks handed back").isEqualTo(submitted.handedBack.get());
        assertThat(virtual.ran.get()).as("every virtual thread started ran").isEqualTo(virtual.accepted.get());

        long laneSubmitted = 0;
        long laneRan = 0;
        for (LaneStats s : cores.stats()) {
            laneSubmitted += s.submitted();
            laneRan += s.completed() + s.failed();
            assertThat(s.liveVirtualThreads()).isZero();
            assertThat(s.queued()).isZero();
            assertThat(s.carrierReplacements()).isZero();
        }
        long userTasks = executed.accepted.get() + viewed.accepted.get() + submitted.accepted.get()
                + meshed.accepted.get();
        assertThat(laneSubmitted).as("lanes counted every accepted task").isEqualTo(userTasks);
        assertThat(laneRan + returned.size()).as("accepted = completed + failed + handed back").isEqualTo(userTasks);

        assertNoThreadLeft(prefix, platformThreadsBefore);
        return new long[] {userTasks, virtual.accepted.get(), returned.size()};
    }

    private static void assertBooks(String kind, Books books) {
        assertThat(books.ran.get() + books.handedBack.get()).as("%s: accepted = ran + handed back", kind)
                .isEqualTo(books.accepted.get());
    }

    private static void produce(CoreManager cores, int[] cpus, List<ExecutorService> views, List<ThreadFactory> factories,
                                Books executed, Books submitted, Books viewed, Books virtual, Books meshed,
                                ConcurrentLinkedQueue<CompletableFuture<Integer>> futures,
                                ConcurrentLinkedQueue<Thread> started) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (true) {
            int i = random.nextInt(cpus.length);
            int cpu = cpus[i];
            int op = random.nextInt(100);
            boolean fail = random.nextInt(7) == 0;
            try {
                if (op < 40) {
                    cores.execute(cpu, op < 15 ? new Relay(executed, fail, cores, cpus, meshed) : new Counted(executed, fail));
                    executed.accepted.incrementAndGet();
                } else if (op < 70) {
                    CompletableFuture<Integer> f = cores.submit(cpu, () -> {
                        submitted.ran.incrementAndGet();
                        if (fail) {
                            throw new IllegalStateException("failing on purpose");
                        }
                        return 1;
                    });
                    futures.add(f);
                    submitted.accepted.incrementAndGet();
                } else if (op < 80) {
                    views.get(i).execute(new Counted(viewed, fail));
                    viewed.accepted.incrementAndGet();
                } else if (op < 90) {
                    started.add(cores.go(cpu, () -> virtualWork(virtual, cores, cpus, meshed)));
                    virtual.accepted.incrementAndGet();
                } else {
                    Thread t = factories.get(i).newThread(() -> virtualWork(virtual, cores, cpus, meshed));
                    if (t == null) {
                        return; // the factory refuses once the manager is shut down
                    }
                    virtual.accepted.incrementAndGet();
                    started.add(t);
                    t.start();
                }
            } catch (RejectedExecutionException e) {
                if (cores.isShutdown()) {
                    return;
                }
                Thread.onSpinWait(); // a full queue: try again
            }
        }
    }

    private static void virtualWork(Books virtual, CoreManager cores, int[] cpus, Books meshed) {
        virtual.ran.incrementAndGet();
        try {
            if (ThreadLocalRandom.current().nextBoolean()) {
                relay(cores, cpus, meshed); // a core-affine virtual thread hands tasks over from its lane
            }
            Thread.sleep(0, ThreadLocalRandom.current().nextInt(500_000));
            Thread.yield();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // shutdownNow: stop early, which is fine
        }
    }

    private static void assertNoThreadLeft(String prefix, int platformThreadsBefore) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<String> left;
        do {
            left = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                    .filter(n -> n.startsWith(prefix)).toList();
            if (left.isEmpty() && platformThreadCount() <= platformThreadsBefore) {
                return;
            }
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
        assertThat(left).as("carrier or watchdog threads left").isEmpty();
        assertThat(platformThreadCount()).as("platform threads leaked: %s", Thread.getAllStackTraces().keySet().stream()
                .map(t -> t.getName() + "/" + (t.getThreadGroup() == null ? "-" : t.getThreadGroup().getName())).toList())
                .isLessThanOrEqualTo(platformThreadsBefore);
    }

    /**
     * Live platform threads that are not the JDK's own (its virtual-thread carriers, pollers,
     * unparkers and cleaners start lazily, once per JVM, in the groups below) nor the test's.
     */
    private static int platformThreadCount() {
        return (int) Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .filter(t -> !t.getName().startsWith("stress-producer"))
                .filter(t -> t.getThreadGroup() != null
                        && !List.of("CarrierThreads", "InnocuousThreadGroup", "system").contains(t.getThreadGroup().getName()))
                .count();
    }
}
