package io.coremanager.isolation;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class JvmThreadsTest {

    /** The kind of every kernel name recorded from real JDK 25 JVMs (jdk25-threads.tsv). */
    private static final Map<String, ThreadKind> EXPECTED = Map.ofEntries(
            entry("Attach Listener", ThreadKind.VM), entry("C1 CompilerThre", ThreadKind.JIT_COMPILER),
            entry("C2 CompilerThre", ThreadKind.JIT_COMPILER), entry("Common-Cleaner", ThreadKind.VM),
            entry("Finalizer", ThreadKind.VM), entry("ForkJoinPool-1-", ThreadKind.OTHER_PLATFORM),
            entry("ForkJoinPool.co", ThreadKind.OTHER_PLATFORM), entry("G1 Conc#0", ThreadKind.GC),
            entry("G1 Main Marker", ThreadKind.GC), entry("G1 Refine#0", ThreadKind.GC),
            entry("G1 Service", ThreadKind.GC), entry("GC Thread#0", ThreadKind.GC),
            entry("GC Thread#1", ThreadKind.GC), entry("GC Thread#2", ThreadKind.GC),
            entry("JFR Periodic Ta", ThreadKind.JFR), entry("JFR Recorder Th", ThreadKind.JFR),
            entry("MasterPoller", ThreadKind.JDK_IO_POLLER), entry("Monitor Deflati", ThreadKind.VM),
            entry("Notification Th", ThreadKind.VM), entry("Read-Poller", ThreadKind.JDK_IO_POLLER),
            entry("Reference Handl", ThreadKind.VM), entry("RuntimeWorker#0", ThreadKind.GC),
            entry("RuntimeWorker#1", ThreadKind.GC), entry("RuntimeWorker#2", ThreadKind.GC),
            entry("Safepoint Clean", ThreadKind.VM), entry("Service Thread", ThreadKind.VM),
            entry("Shenandoah Cont", ThreadKind.GC), entry("Shenandoah GC T", ThreadKind.GC),
            entry("Shenandoah Unco", ThreadKind.GC), entry("Signal Dispatch", ThreadKind.VM),
            entry("Timer-0", ThreadKind.OTHER_PLATFORM), entry("VM Periodic Tas", ThreadKind.VM),
            entry("VM Thread", ThreadKind.VM), entry("VirtualThread-u", ThreadKind.JDK_TIMER),
            entry("Write-Poller", ThreadKind.JDK_IO_POLLER), entry("ZDirector", ThreadKind.GC),
            entry("ZDriverMajor", ThreadKind.GC), entry("ZDriverMinor", ThreadKind.GC), entry("ZStat", ThreadKind.GC),
            entry("ZUncommitter#0", ThreadKind.GC), entry("ZWorkerOld#0", ThreadKind.GC),
            entry("ZWorkerOld#1", ThreadKind.GC), entry("ZWorkerYoung#0", ThreadKind.GC),
            entry("ZWorkerYoung#1", ThreadKind.GC), entry("pool-1-thread-1", ThreadKind.OTHER_PLATFORM),
            entry("process reaper", ThreadKind.OTHER_PLATFORM));

    @Test
    void everyThreadNameRecordedFromJdk25JvmsGetsItsKind() throws IOException {
        List<String> rows;
        try (InputStream in = JvmThreadsTest.class.getResourceAsStream("jdk25-threads.tsv")) {
            rows = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
        }
        Set<String> gcs = new HashSet<>();
        for (String row : rows) {
            String[] f = row.split("\t", -1);
            gcs.add(f[0]);
            String comm = f[1];
            String[] java = f[2].isEmpty() ? new String[0] : f[2].split("\\|");
            String javaName = java.length == 1 ? java[0] : "";
            if (comm.equals("java")) {
                assertThat(JvmThreads.classify(comm, javaName, java.length > 0)).as(row)
                        .isEqualTo(javaName.equals("main") ? ThreadKind.OTHER_PLATFORM : ThreadKind.UNKNOWN_NATIVE);
                continue;
            }
            assertThat(EXPECTED).as("a kind is expected for %s", row).containsKey(comm);
            assertThat(JvmThreads.classify(comm, javaName, java.length > 0)).as(row).isEqualTo(EXPECTED.get(comm));
        }
        assertThat(gcs).contains("G1", "Z", "Parallel", "Serial", "Shenandoah", "Epsilon", "G1-pollerMode1");
    }

    @Test
    void fullJavaNamesAreClassifiedTooAndCarriersByTheirDefaultNames() {
        assertThat(JvmThreads.classify("ForkJoinPool-1-", "ForkJoinPool-1-delayScheduler", true))
                .isEqualTo(ThreadKind.JDK_TIMER);
        assertThat(JvmThreads.classify("ForkJoinPool-1-", "ForkJoinPool-1-worker-2", true))
                .isEqualTo(ThreadKind.OTHER_PLATFORM);
        assertThat(JvmThreads.classify("VirtualThread-u", "VirtualThread-unparker", true))
                .isEqualTo(ThreadKind.JDK_TIMER);
        assertThat(JvmThreads.classify("cm-cpu-12", "", false)).isEqualTo(ThreadKind.LANE_CARRIER);
        assertThat(JvmThreads.classify("coremanager-cp", "coremanager-cpu-3", true)).isEqualTo(ThreadKind.LANE_CARRIER);
        assertThat(JvmThreads.classify("libuv-worker", "", false)).isEqualTo(ThreadKind.UNKNOWN_NATIVE);
    }

    @Test
    void aSnapshotSeesThisThreadExactlyAndTheJvmsOwnThreads() throws Exception {
        assumeTrue(JvmThreads.isSupported());
        int self = Affinity.currentThreadId();
        List<JvmThread> threads = JvmThreads.snapshot();
        JvmThread me = threads.stream().filter(t -> t.tid() == self).findFirst().orElseThrow();
        assertThat(me.javaName()).isEqualTo(Thread.currentThread().getName());
        assertThat(me.allowedCpus()).isEqualTo(Affinity.get());
        assertThat(me.lastCpu()).isBetween(0, CpuSet.MAX_CPU);
        assertThat(me.voluntarySwitches() + me.involuntarySwitches()).isPositive();
        assertThat(threads).extracting(JvmThread::kind).contains(ThreadKind.GC, ThreadKind.JIT_COMPILER, ThreadKind.VM);
        assertThat(threads.stream().filter(t -> t.kernelName().equals("Reference Handl")).findFirst().orElseThrow()
                .javaName()).isEqualTo("Reference Handler");
        assertThat(threads).extracting(JvmThread::tid).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void aThreadSetsItsOwnKernelNameWhileItsJavaNameStaysLong() throws Exception {
        assumeTrue(JvmThreads.isSupported());
        AtomicReference<String> comm = new AtomicReference<>();
        AtomicReference<String> kept = new AtomicReference<>();
        AtomicReference<Integer> tid = new AtomicReference<>();
        CountDownLatch named = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().name("coremanager-cpu-12-with-a-long-java-name").start(() -> {
            kept.set(Affinity.setCurrentThreadKernelName("cm-cpu-12"));
            tid.set(Affinity.currentThreadId());
            try {
                comm.set(Files.readString(Path.of("/proc/thread-self/comm")).strip());
                named.countDown();
                release.await(30, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            assertThat(named.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(kept.get()).isEqualTo("cm-cpu-12");
            assertThat(comm.get()).isEqualTo("cm-cpu-12");
            assertThat(t.getName()).isEqualTo("coremanager-cpu-12-with-a-long-java-name");
            JvmThread seen = JvmThreads.snapshot().stream().filter(x -> x.tid() == tid.get()).findFirst().orElseThrow();
            assertThat(seen.kernelName()).isEqualTo("cm-cpu-12");
            assertThat(seen.kind()).isEqualTo(ThreadKind.LANE_CARRIER);
        } finally {
            release.countDown();
            t.join();
        }
    }

    @Test
    void longNamesAreCutAtACharacterBoundaryAndBadNamesRefused() throws Exception {
        assertThat(Affinity.cutToKernelName("coremanager-cpu-12")).isEqualTo("coremanager-cpu");
        assertThat(Affinity.cutToKernelName("zwölf-zwölf-zwölf")).isEqualTo("zwölf-zwölf-z"); // ö is 2 bytes
        assertThat(Affinity.cutToKernelName("€€€€€€")).isEqualTo("€€€€€");                     // 3 bytes each
        assertThatThrownBy(() -> Affinity.setCurrentThreadKernelName("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected: a non-empty name");
        assumeTrue(JvmThreads.isSupported());
        CompletableFuture<Throwable> fromVirtual = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                Affinity.setCurrentThreadKernelName("x");
                fromVirtual.complete(null);
            } catch (Throwable e) {
                fromVirtual.complete(e);
            }
        }).join();
        assertThat(fromVirtual.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("virtual thread");
    }
}
