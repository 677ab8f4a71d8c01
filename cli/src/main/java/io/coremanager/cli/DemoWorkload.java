package io.coremanager.cli;

import io.coremanager.affinity.Affinity;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the demo's virtual threads do, round after round: sleep, park, yield, take a contended
 * lock, echo bytes over a loopback socket, read a file; the CPU is read ({@code sched_getcpu})
 * after every step. Shared by the core-affine run and the default-scheduler run so that the two
 * differ only in the scheduler.
 */
final class DemoWorkload implements AutoCloseable {

    /** Steps per round: each is followed by a CPU check. */
    static final int STEPS = 7;

    /** What one thread saw: checks made, checks off the expected CPU, CPUs seen. */
    static final class Seen {
        long checks;
        long offCpu;
        long cpuChanges;
        long cpusSeenMask; // CPUs 0-63 seen, for the default-scheduler contrast
        int lastCpu = -1;

        void check(int expectedCpu) {
            int cpu = Affinity.currentCpu();
            checks++;
            if (expectedCpu >= 0 && cpu != expectedCpu) {
                offCpu++;
            }
            if (lastCpu >= 0 && cpu != lastCpu) {
                cpuChanges++;
            }
            lastCpu = cpu;
            if (cpu >= 0 && cpu < 64) {
                cpusSeenMask |= 1L << cpu;
            }
        }

        int cpusSeen() {
            return Long.bitCount(cpusSeenMask);
        }
    }

    private final ServerSocket echo;
    private final Thread acceptor;
    private final Path file;
    private final ReentrantLock lock = new ReentrantLock();

    DemoWorkload() throws IOException {
        echo = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofPlatform().daemon(true).name("demo-echo").start(this::serveEcho);
        file = Files.createTempFile("coremanager-demo", ".bin");
        Files.write(file, new byte[4096]);
    }

    private void serveEcho() {
        while (!echo.isClosed()) {
            try {
                Socket s = echo.accept();
                Thread.ofPlatform().daemon(true).start(() -> {
                    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        in.transferTo(out);
                    } catch (IOException ignored) {
                        // the client closed
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Runs {@code rounds} rounds, checking after every step that the thread is on {@code expectedCpu} (-1: anywhere). */
    Seen run(int rounds, int expectedCpu, Runnable afterRound) {
        Seen seen = new Seen();
        try (Socket socket = new Socket(echo.getInetAddress(), echo.getLocalPort())) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[64];
            for (int round = 0; round < rounds; round++) {
                Thread.sleep(1);
                seen.check(expectedCpu);
                LockSupport.parkNanos(50_000);
                seen.check(expectedCpu);
                Thread.yield();
                seen.check(expectedCpu);
                lock.lock();
                try {
                    Thread.sleep(0, 20_000);
                } finally {
                    lock.unlock();
                }
                seen.check(expectedCpu);
                out.write(buffer);
                out.flush();
                seen.check(expectedCpu);
                in.readNBytes(buffer, 0, buffer.length);
                seen.check(expectedCpu);
                Files.readAllBytes(file);
                seen.check(expectedCpu);
                afterRound.run();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return seen;
    }

    @Override
    public void close() throws IOException {
        echo.close();
        Files.deleteIfExists(file);
        try {
            acceptor.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
