package io.coremanager.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;

import static io.coremanager.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** The bench command runs and prints its tables; the figures themselves are never asserted here. */
class BenchCommandTest {

    @TempDir
    Path dir;

    @Test
    void roundTripAndVirtualThreadSectionsPrintEveryContender() {
        MainTest.Result r = run("bench", "--only", "roundtrip,vthreads", "--warmup-ms", "0", "--measure-ms", "20");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Round trip: from cpu ", "coremanager-spinThenPark", "coremanager-park",
                "coremanager-busySpin", "threadpool-pinned", "forkjoinpool-pinned", "virtual-threads", "floor",
                "÷ CoreManager", "Virtual threads: start one and join it", "both on one lane");
    }

    @Test
    void throughputAndIdleSectionsRun() {
        MainTest.Result r = run("bench", "--only", "throughput,idle", "--warmup-ms", "0", "--measure-ms", "40");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Throughput, 1 producer", "Throughput, all to all", "M/s", "Idle cost", "busySpin");
    }

    @Test
    void coreToCoreWritesAMatrixAndAHeatMap() throws Exception {
        Path png = dir.resolve("c2c.png");
        MainTest.Result r = run("bench", "c2c", "--measure-ms", "20", "--png", png.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("round trip (ns), median; row = caller cpu").contains("heat map written to");
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isGreaterThan(40);
    }

    @Test
    void timerSectionComparesTheLaneWithTheJdkPoolUnpinnedAndPinned() {
        MainTest.Result r = run("bench", "--only", "timers", "--warmup-ms", "0", "--measure-ms", "50");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Timer lateness: fire time minus due time", "spinThenPark", "park",
                "ScheduledThreadPoolExecutor(1) ", "ScheduledThreadPoolExecutor(1), pinned to ");
    }

    @Test
    void anUnknownSectionIsAUsageError() {
        MainTest.Result r = run("bench", "--only", "everything");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--only: [everything] (expected some of [roundtrip, throughput, vthreads, idle, timers])");
    }

    @Test
    void coreToCoreRedrawsARecordedMatrixThroughTheCoreParser() throws Exception {
        Path png = dir.resolve("vm.png");
        Path recorded = Path.of("..", "docs", "benchmarks", "2026-11-23-xeon-16vcpu", "c2c.txt");
        MainTest.Result r = run("bench", "c2c", "--from", recorded.toString(), "--png", png.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(ImageIO.read(png.toFile()).getWidth()).isGreaterThan(16 * 12);
    }
}
