package io.coremanager.testing;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import io.coremanager.isolation.JvmThread;
import io.coremanager.isolation.JvmThreads;
import io.coremanager.isolation.KeepOffReport;
import io.coremanager.isolation.LaneIsolator;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Run in a JVM of its own (it changes the masks of the whole process): a manager with one lane on the
 * last cpu and isolation on. Prints what the test checks, one finding a line.
 */
public final class IsolationProbe {

    private static volatile Object sink;

    private IsolationProbe() {
    }

    public static void main(String[] args) throws Exception {
        CpuSet allowed = Affinity.get();
        int laneCpu = allowed.last();
        CpuSet lane = CpuSet.of(laneCpu);
        Duration interval = Duration.ofMillis(Long.parseLong(args[0]));
        Map<Integer, CpuSet> before = new HashMap<>();
        for (JvmThread t : JvmThreads.snapshot()) {
            before.put(t.tid(), t.allowedCpus());
        }
        CountDownLatch end = new CountDownLatch(1);
        CountDownLatch pinned = new CountDownLatch(2);
        Thread onLane = Thread.ofPlatform().name("pinned-onto-lane").daemon(true).start(() -> {
            Affinity.pin(laneCpu);
            pinned.countDown();
            await(end);
        });
        Thread elsewhere = Thread.ofPlatform().name("pinned-elsewhere").daemon(true).start(() -> {
            Affinity.pin(allowed.first());
            pinned.countDown();
            await(end);
        });
        pinned.await();
        try (CoreManager cores = CoreManager.builder().cpus(lane).isolate(true).isolationInterval(interval).build()) {
            LaneIsolator isolator = cores.isolator().orElseThrow();
            int carrier = cores.submit(laneCpu, Affinity::currentThreadId).get();
            // work for the JIT compilers and the collector
            long sum = 0;
            for (int i = 0; i < 5_000_000; i++) {
                sink = new long[16 + (i & 63)];
                sum += Long.numberOfTrailingZeros(i * 0x9E3779B97F4A7C15L) + String.valueOf(i).hashCode();
            }
            System.gc();
            System.out.println("work done " + (sum != 0));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            List<JvmThread> onLaneCpu;
            do {
                onLaneCpu = JvmThreads.snapshot().stream().filter(t -> t.allowedCpus().contains(laneCpu)
                        && t.tid() != carrier && !t.javaName().equals("pinned-onto-lane")).toList();
            } while (!onLaneCpu.isEmpty() && System.nanoTime() < deadline && pause());
            System.out.println("threads kinds seen: " + JvmThreads.snapshot().stream().map(t -> t.kind().name())
                    .distinct().sorted().toList());
            System.out.println("others on the lane cpu after gc and jit: " + onLaneCpu);
            KeepOffReport last = isolator.lastSweep().orElseThrow();
            System.out.println("competitor reported: " + last.skipped().stream().anyMatch(s ->
                    s.reason() == KeepOffReport.Reason.PINNED_ONTO_CPUS && s.mask().equals(lane)));
            System.out.println("pinned onto lane still there: " + maskOf("pinned-onto-lane").equals(lane));
            System.out.println("pinned elsewhere untouched: " + maskOf("pinned-elsewhere").equals(CpuSet.of(allowed.first())));
            newThreadIsMoved(laneCpu, allowed, interval);
            System.out.println("sweeps after gc: " + (isolator.sweeps() > 1));
        }
        int changed = 0;
        for (JvmThread t : JvmThreads.snapshot()) {
            CpuSet was = before.get(t.tid());
            if (was != null && !was.equals(t.allowedCpus())) {
                changed++;
                System.out.println("not restored: " + t);
            }
        }
        System.out.println("masks not restored after close: " + changed);
        end.countDown();
        onLane.join();
        elsewhere.join();
    }

    private static void newThreadIsMoved(int laneCpu, CpuSet allowed, Duration interval) throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch end = new CountDownLatch(1);
        long[] movedAfterNanos = {-1};
        Thread late = Thread.ofPlatform().name("started-later").start(() -> {
            Affinity.set(allowed); // as if born on every cpu, the lane's included
            long t0 = System.nanoTime();
            started.countDown();
            long deadline = t0 + interval.toNanos() * 5;
            while (System.nanoTime() < deadline) {
                if (!Affinity.get().contains(laneCpu)) {
                    movedAfterNanos[0] = System.nanoTime() - t0;
                    break;
                }
                Thread.onSpinWait();
            }
            await(end);
        });
        started.await();
        end.countDown();
        late.join();
        System.out.println("new thread moved within one interval: "
                + (movedAfterNanos[0] >= 0 && movedAfterNanos[0] <= interval.toNanos() + TimeUnit.MILLISECONDS.toNanos(100))
                + " (" + movedAfterNanos[0] / 1000 + " us; interval " + interval.toMillis() + " ms)");
    }

    private static CpuSet maskOf(String javaName) {
        return JvmThreads.snapshot().stream().filter(t -> t.javaName().equals(javaName)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no thread " + javaName)).allowedCpus();
    }

    private static boolean pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
