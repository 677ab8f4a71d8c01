package io.coremanager.topology;

import io.coremanager.CpuSet;
import io.coremanager.testing.FakeSysfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntBinaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Grouping of core-to-core matrices: recorded ones from docs/benchmarks and synthetic ones with
 * noise. Structure only; no timing is asserted of this machine.
 */
class MeasuredTopologyTest {

    @TempDir
    Path root;

    /** The 16-vCPU Xeon VM: sysfs shows 16 cores; some vCPU pairs ran on one host core's siblings. */
    private static MeasuredTopology xeonVm() throws Exception {
        Path recorded = Path.of("..", "docs", "benchmarks", "2026-11-23-xeon-16vcpu", "c2c.txt");
        return MeasuredTopology.parse(Files.readString(recorded), 2);
    }

    /**
     * A synthetic matrix: {@code cost(a, b)} nanoseconds with multiplicative noise of up to
     * {@code noise} (a fixed seed: the same matrix every run).
     */
    private static MeasuredTopology synthetic(int n, double noise, IntBinaryOperator cost, int smtWidth) {
        SplittableRandom random = new SplittableRandom(14);
        int[] cpus = new int[n];
        double[][] nanos = new double[n][n];
        for (int i = 0; i < n; i++) {
            cpus[i] = i;
            for (int j = 0; j < n; j++) {
                nanos[i][j] = i == j ? Double.NaN : cost.applyAsInt(i, j) * (1 + noise * (2 * random.nextDouble() - 1));
            }
        }
        return MeasuredTopology.of(cpus, nanos, smtWidth);
    }

    @Test
    void theXeonVmShowsSiblingsThatSysfsHides() throws Exception {
        MeasuredTopology m = xeonVm();
        assertThat(m.cpus()).isEqualTo(CpuSet.range(0, 15));
        assertThat(m.thresholdsNanos()).hasSize(1);
        assertThat(m.thresholdsNanos().getFirst()).isBetween(50.0, 150.0);
        // 3->2 and 2->15 are both 32 ns: cpu 2 moved during the run; the tie goes to 2-3, whose
        // slower direction (152 ns) is faster than 2-15's (269 ns).
        assertThat(m.siblings()).containsExactly(CpuSet.of(1, 14), CpuSet.of(2, 3));
        assertThat(m.cores()).hasSize(14);
        assertThat(m.clusters()).containsExactly(CpuSet.range(0, 15));
        assertThat(m.outliers()).extracting(o -> o.caller() + "->" + o.responder())
                .contains("2->15", "15->2", "2->3", "1->14", "7->6");
        assertThat(m.outliers()).filteredOn(o -> o.caller() == 2 && o.responder() == 15).singleElement()
                .satisfies(o -> assertThat(o.typicalNanos()).as("compared with the slow tier").isGreaterThan(150));
    }

    @Test
    void theXeonVmBesideItsSysfs() throws Exception {
        // What sysfs said on that machine: 16 cores of one thread, one L3 for all.
        FakeSysfs fake = FakeSysfs.at(root).cpus("0-15").pkg("0-15", 0).cache(3, "Unified", "300M", "0-15");
        for (int cpu = 0; cpu < 16; cpu++) {
            fake.core(Integer.toString(cpu));
        }
        List<String> lines = xeonVm().comparedWith(CpuTopology.read(root));
        assertThat(lines.get(0)).isEqualTo("measured SMT siblings: 1,14 2-3 (sysfs: none, every cpu a core of its own)");
        assertThat(lines.get(1)).isEqualTo("measured cache clusters: 0-15 (sysfs: the same as the last-level caches)");
        assertThat(lines.get(2)).startsWith("thresholds: [");
        assertThat(lines.get(3)).startsWith("outliers: ").contains("2->15 32 ns");
    }

    @Test
    void theTwoVcpuEpycIsFlat() throws Exception {
        String recorded = Files.readString(Path.of("..", "docs", "benchmarks", "2026-11-23-epyc-2vcpu", "c2c.txt"));
        MeasuredTopology m = MeasuredTopology.parse(recorded, 2);
        assertThat(m.thresholdsNanos()).isEmpty();
        assertThat(m.siblings()).isEmpty();
        assertThat(m.cores()).containsExactly(CpuSet.of(0), CpuSet.of(1));
        assertThat(m.clusters()).containsExactly(CpuSet.of(0, 1));
        assertThat(m.outliers()).isEmpty();
    }

    @Test
    void twoSocketsWithSmtShowSiblingsThenSockets() {
        // 16 cpus: core = cpu % 8 (siblings n and n+8), socket = core / 4; 15 / 45 / 130 ns, 10% noise.
        MeasuredTopology m = synthetic(16, 0.10, (a, b) -> a % 8 == b % 8 ? 15 : (a % 8) / 4 == (b % 8) / 4 ? 45 : 130, 2);
        assertThat(m.thresholdsNanos()).hasSize(2);
        assertThat(m.siblings()).hasSize(8).first().isEqualTo(CpuSet.of(0, 8));
        assertThat(m.clusters()).containsExactly(CpuSet.parse("0-3,8-11"), CpuSet.parse("4-7,12-15"));
        assertThat(m.levels()).hasSize(2);
        assertThat(m.outliers()).isEmpty();
    }

    @Test
    void ccxsWithoutSmtAreClustersNotSiblings() {
        // 16 cores in 4 CCXs of 4, SMT off: 25 ns inside a CCX, 80 across.
        MeasuredTopology m = synthetic(16, 0.08, (a, b) -> a / 4 == b / 4 ? 25 : 80, 2);
        assertThat(m.siblings()).isEmpty();
        assertThat(m.cores()).hasSize(16);
        assertThat(m.clusters()).containsExactly(CpuSet.range(0, 3), CpuSet.range(4, 7), CpuSet.range(8, 11),
                CpuSet.range(12, 15));
    }

    @Test
    void aCcxWithOneSlowPairIsStillACluster() {
        // CCX 0-3 without SMT, but 1-2 measured slow both ways (preempted twice): no clique, yet
        // four CPUs are more than one SMT2 core plus a stray.
        MeasuredTopology m = synthetic(8, 0.08, (a, b) -> (a == 1 && b == 2) || (a == 2 && b == 1) ? 85
                : a / 4 == b / 4 ? 25 : 80, 2);
        assertThat(m.siblings()).isEmpty();
        assertThat(m.clusters()).containsExactly(CpuSet.range(0, 3), CpuSet.range(4, 7));
    }

    @Test
    void smt4GroupsAreSiblingsWhereCoresHaveFourThreads() {
        MeasuredTopology m = synthetic(16, 0.08, (a, b) -> a / 4 == b / 4 ? 12 : 60, 4);
        assertThat(m.siblings()).containsExactly(CpuSet.range(0, 3), CpuSet.range(4, 7), CpuSet.range(8, 11),
                CpuSet.range(12, 15));
        assertThat(m.clusters()).containsExactly(CpuSet.range(0, 15));
    }

    @Test
    void aFlatNoisyMatrixHasNoGroups() {
        MeasuredTopology m = synthetic(12, 0.25, (a, b) -> 200, 2);
        assertThat(m.thresholdsNanos()).isEmpty();
        assertThat(m.siblings()).isEmpty();
        assertThat(m.clusters()).containsExactly(CpuSet.range(0, 11));
    }

    @Test
    void aFewSlowCellsAreOutliersNotATier() {
        MeasuredTopology base = synthetic(8, 0.05, (a, b) -> 100, 2);
        double[][] nanos = new double[8][8];
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                nanos[i][j] = base.roundTripNanos(i, j);
            }
        }
        nanos[3][5] = 900; // one preempted measurement
        MeasuredTopology m = MeasuredTopology.of(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, nanos, 2);
        assertThat(m.clusters()).containsExactly(CpuSet.range(0, 7));
        assertThat(m.outliers()).singleElement().satisfies(o -> {
            assertThat(o.caller()).isEqualTo(3);
            assertThat(o.responder()).isEqualTo(5);
            assertThat(o.toString()).startsWith("3->5 900 ns (its tier: ");
        });
    }

    @Test
    void tableAndParseRoundTrip() throws Exception {
        MeasuredTopology m = xeonVm();
        MeasuredTopology again = MeasuredTopology.parse(m.table(), 2);
        assertThat(again.table()).isEqualTo(m.table());
        assertThat(again.siblings()).isEqualTo(m.siblings());
    }

    @Test
    void badMatricesNameWhatIsWrong() {
        assertThatThrownBy(() -> MeasuredTopology.of(new int[] {0}, new double[1][1], 2))
                .hasMessageContaining("cpus: [0] (expected: two or more)");
        assertThatThrownBy(() -> MeasuredTopology.of(new int[] {1, 0}, new double[2][2], 2))
                .hasMessageContaining("expected: ascending");
        assertThatThrownBy(() -> MeasuredTopology.of(new int[] {0, 1}, new double[][] {{0, -1}, {1, 0}}, 2))
                .hasMessageContaining("roundTripNanos[0][1]: -1.0");
        assertThatThrownBy(() -> MeasuredTopology.of(new int[] {0, 1}, new double[2][3], 2))
                .hasMessageContaining("row 0: 3 cells (expected: 2)");
        assertThatThrownBy(() -> MeasuredTopology.parse("round trip\n 0 1 2\n 0 - 5 5\n 1 5 - 5\n", 2))
                .hasMessageContaining("3 cpus in the header, 2 rows");
        assertThatThrownBy(() -> xeonVm().roundTripNanos(0, 99)).hasMessageContaining("cpu 99 was not measured");
    }

    @Test
    void measuringThisMachineRunsAndIsWellFormed() throws Exception {
        CpuSet usable = CpuTopology.current().allowedCpus();
        org.junit.jupiter.api.Assumptions.assumeTrue(usable.size() >= 2, "needs two allowed cpus");
        CpuSet two = CpuSet.of(usable.get(0), usable.get(1));
        double[] last = {0};
        MeasuredTopology m = CpuTopology.measure(two, Duration.ofMillis(5), f -> last[0] = f);
        assertThat(m.cpus()).isEqualTo(two);
        assertThat(m.roundTripNanos(two.get(0), two.get(1))).isPositive().isFinite();
        assertThat(m.cores().stream().reduce(CpuSet.empty(), CpuSet::union)).isEqualTo(two);
        assertThat(m.clusters().stream().reduce(CpuSet.empty(), CpuSet::union)).isEqualTo(two);
        assertThat(last[0]).isEqualTo(1.0);
    }

    @Test
    void measureRefusesWhatItCannotMeasure() {
        assertThatThrownBy(() -> CpuTopology.measure(CpuSet.of(0), Duration.ofMillis(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: two or more cpus");
        assertThatThrownBy(() -> CpuTopology.measure(CpuSet.of(0, 1), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("perPair: PT0S");
    }
}
