package io.coremanager;

import io.coremanager.affinity.Affinity;
import io.coremanager.testing.ProcWitness;
import io.coremanager.testing.Where;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The promise itself: tasks and core-affine virtual threads are seen on their lane's CPU by
 * sched_getcpu and by /proc/thread-self/stat after every kind of blocking.
 */
class CoreAffinityTest {

    private static final int THREADS_PER_CPU = 4;
    private static final int ROUNDS = 5;

    private static CoreManager cores;
    private static ServerSocket echo;
    private static Thread echoAcceptor;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Affinity.isSupported() && ProcWitness.available(), "needs Linux affinity and procfs");
        cores = CoreManager.builder().requireCoreAffineVirtualThreads(true).requirePinning(true).build();
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        echoAcceptor = Thread.ofVirtual().start(CoreAffinityTest::serveEcho);
    }

    @AfterAll
    static void stop() throws Exception {
        if (cores != null) {
            cores.close();
            assertThat(cores.isTerminated()).isTrue();
        }
        if (echo != null) {
            echo.close();
            echoAcceptor.join();
        }
    }

    private static void serveEcho() {
        while (!echo.isClosed()) {
            try {
                Socket s = echo.accept();
                Thread.ofVirtual().start(() -> {
                    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        in.transferTo(out);
                    } catch (Exception ignored) {
                        // the client went away
                    }
                });
            } catch (Exception e) {
                return;
            }
        }
    }

    @Test
    void tasksRunOnTheirCpu() throws Exception {
        List<CompletableFuture<Where>> seen = new ArrayList<>();
        for (int round = 0; round < 200; round++) {
            for (int cpu : cores.cpus().toArray()) {
                seen.add(cores.submit(cpu, () -> Where.now("task")));
            }
        }
        int i = 0;
        for (CompletableFuture<Where> f : seen) {
            int expected = cores.cpus().get(i++ % cores.cpus().size());
            assertThat(f.get(10, TimeUnit.SECONDS).on(expected)).as("%s on cpu %d", f.get(), expected).isTrue();
        }
    }

    @Test
    void coreAffineVirtualThreadsStayThroughEveryKindOfBlocking() throws Exception {
        Path file = Files.writeString(dir.resolve("data.txt"), "x".repeat(10_000));
        ReentrantLock sharedLock = new ReentrantLock();
        Object sharedMonitor = new Object();
        List<String> offCore = Collections.synchronizedList(new ArrayList<>());
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        int[] observations = new int[1];
        for (int cpu : cores.cpus().toArray()) {
            for (int n = 0; n < THREADS_PER_CPU; n++) {
                threads.add(cores.go(cpu, () -> {
                    try {
                        List<Where> seen = workload(file, sharedLock, sharedMonitor);
                        synchronized (observations) {
                            observations[0] += seen.size();
                        }
                        for (Where w : seen) {
                            if (!w.on(cpu)) {
                                offCore.add("cpu " + cpu + " " + w);
                            }
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
        }
        for (Thread t : threads) {
            assertThat(t.isVirtual()).isTrue();
            t.join(Duration30s.MILLIS);
            assertThat(t.isAlive()).as("%s still running", t).isFalse();
        }
        assertThat(failures).isEmpty();
        assertThat(offCore).isEmpty();
        assertThat(observations[0]).isEqualTo(cores.cpus().size() * THREADS_PER_CPU * ROUNDS * 11);
    }

    /** Every kind of blocking, observing the CPU after each step. */
    private static List<Where> workload(Path file, ReentrantLock lock, Object monitor) throws Exception {
        List<Where> seen = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            Thread.sleep(1);
            seen.add(Where.now("sleep"));
            LockSupport.parkNanos(200_000);
            seen.add(Where.now("parkNanos"));
            Thread.yield();
            seen.add(Where.now("yield"));
            lock.lock();
            try {
                Thread.sleep(0, 100_000);
                seen.add(Where.now("contended ReentrantLock"));
            } finally {
                lock.unlock();
            }
            synchronized (monitor) {
                monitor.wait(1);
                seen.add(Where.now("synchronized + timed wait"));
            }
            try (Socket s = new Socket(echo.getInetAddress(), echo.getLocalPort())) {
                s.getOutputStream().write(new byte[] {1, 2, 3});
                seen.add(Where.now("socket write"));
                assertThat(s.getInputStream().readNBytes(3)).containsExactly(1, 2, 3);
                seen.add(Where.now("socket read"));
            }
            assertThat(Files.readAllBytes(file)).hasSize(10_000);
            seen.add(Where.now("file read"));
            CompletableFuture<String> later = new CompletableFuture<>();
            Thread.ofPlatform().start(() -> {
                LockSupport.parkNanos(100_000);
                later.complete("done");
            });
            assertThat(later.get(10, TimeUnit.SECONDS)).isEqualTo("done");
            seen.add(Where.now("future.get woken by another thread"));
            CountDownLatch latch = new CountDownLatch(1);
            latch.await(50, TimeUnit.MICROSECONDS);
            seen.add(Where.now("timed latch await"));
            Where[] nested = new Where[1];
            Thread child = Thread.ofVirtual().start(() -> {
                Thread.yield();
                nested[0] = Where.now("nested Thread.ofVirtual()");
            });
            child.join();
            seen.add(nested[0]);
        }
        return seen;
    }

    /** Joins get a generous bound: a hang is a failure, not a wait for ever. */
    private static final class Duration30s {
        static final long MILLIS = 30_000;
    }
}
