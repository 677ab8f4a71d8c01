package io.coremanager.topology;

import io.coremanager.CpuSet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The topology as measured rather than read: the core-to-core round-trip matrix and the groups it
 * shows. Where sysfs lies (a virtual machine's vCPUs that are SMT siblings of one host core while
 * sysfs shows separate cores) this is what the hardware does. Made by {@link CpuTopology#measure}
 * on this machine, or from a recorded matrix by {@link #of} and {@link #parse}.
 *
 * <h2>How the groups are found</h2>
 * <ol>
 *   <li>Each pair's latency is the lower of its two directions: noise (preemption, a vCPU moved by
 *       the hypervisor) only ever adds time, so the lower one is nearer the hardware's cost.</li>
 *   <li>Noise: the matrix measures every pair twice, once each way, so it carries its own
 *       measurement noise: the robust spread (1.4826 × median absolute deviation) of the log ratio
 *       of a pair's two directions, divided by √2 for one cell. (Where no pair was measured both
 *       ways, or the two ways never disagree, the robust spread of the larger class of the first
 *       split below stands in.)</li>
 *   <li>Tiers: the pairs' latencies, in log space, are split in two where the classes are best
 *       separated (Otsu's threshold), and each part again, for as long as the two classes' means lie
 *       at least {@value #SEPARATION} noise deviations apart on either side (6 in all) and the empty
 *       band between them is at least {@value #GAP} deviations wide. The band keeps a smooth spread
 *       of latencies (a mesh, where each hop adds a little) in one tier; the distance of the means
 *       keeps a flat noisy matrix in one (the best split of pure noise lies under two deviations
 *       apart). The thresholds are the geometric midpoints of the bands: they come from this
 *       matrix's own distribution, not from nanosecond constants.</li>
 *   <li>Levels: at each threshold, the CPUs joined by pairs below it form groups (connected
 *       components). A threshold whose groups are one group of everything, or the same as the level
 *       below, adds no level.</li>
 *   <li>Siblings: the lowest level is taken for SMT siblings when each of its groups could be one
 *       core: a clique (every pair below the threshold) of at most {@link #smtWidth()} CPUs, or a
 *       group that is no clique (the matrix disagrees with itself: a vCPU fast with two CPUs that
 *       are slow with each other) of fewer than twice that. Else it is a cluster level and no
 *       siblings are measured. A group that is no clique is split into mutually nearest pairs, and
 *       the rest of its fast pairs become outliers.</li>
 *   <li>Clusters: the groups of the first level above the siblings (cores sharing a cache, a
 *       package); one cluster of every CPU when there is no such level.</li>
 *   <li>Outliers: cells (one direction of a pair) above the threshold of their pair's tier, and
 *       cells above their tier's upper Tukey fence (third quartile plus 1.5 interquartile ranges,
 *       in log space).</li>
 * </ol>
 *
 * <p>Immutable and thread-safe.
 */
public final class MeasuredTopology {

    /** How far (in noise deviations) each class's mean must lie from the threshold: 2 x 3 between the means. */
    static final double SEPARATION = 3.0;
    /** How wide (in noise deviations) the empty band between two tiers must be. */
    static final double GAP = 2.0;

    private final int[] cpus;
    private final double[][] nanos;
    private final double[][] pair;
    private final int smtWidth;
    private final List<Double> thresholds;
    private final List<Level> levels;
    private final List<CpuSet> siblings;
    private final List<CpuSet> cores;
    private final List<CpuSet> clusters;
    private final List<Outlier> outliers;

    /**
     * One level of grouping: the CPUs joined by pairs faster than {@code thresholdNanos}.
     *
     * @param thresholdNanos the round trip below which two CPUs are in one group
     * @param groups the groups, by lowest CPU; together they hold every measured CPU
     */
    public record Level(double thresholdNanos, List<CpuSet> groups) {
        /**
         * Checks and copies the components.
         *
         * @throws NullPointerException if {@code groups} is {@code null}
         */
        public Level {
            groups = List.copyOf(groups);
        }
    }

    /**
     * A cell out of line with its pair's tier.
     *
     * @param caller the CPU whose thread started the round trips (the matrix's row)
     * @param responder the CPU whose thread answered (the column)
     * @param nanos the cell's median round trip
     * @param typicalNanos the median of its tier's cells, for comparison
     */
    public record Outlier(int caller, int responder, double nanos, double typicalNanos) {
        /**
         * {@code 2->3 152 ns (its tier: 32 ns)}.
         *
         * @return the outlier in one line
         */
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d->%d %.0f ns (its tier: %.0f ns)", caller, responder, nanos, typicalNanos);
        }
    }

    private MeasuredTopology(int[] cpus, double[][] nanos, int smtWidth) {
        this.cpus = cpus;
        this.nanos = nanos;
        this.smtWidth = smtWidth;
        this.pair = symmetric(nanos);
        Clustering c = new Clustering(cpus, nanos, pair, smtWidth);
        this.thresholds = List.copyOf(c.thresholds);
        this.levels = List.copyOf(c.levels);
        this.siblings = List.copyOf(c.siblings);
        this.cores = List.copyOf(c.cores);
        this.clusters = List.copyOf(c.clusters);
        this.outliers = List.copyOf(c.outliers);
    }

    /**
     * Groups a recorded matrix.
     *
     * @param cpus the CPUs of the rows and columns, in ascending order, at least two
     * @param roundTripNanos {@code roundTripNanos[i][j]}: median round trip from a thread on
     *     {@code cpus[i]} to one on {@code cpus[j]}; the diagonal is ignored; a missing cell is
     *     {@code NaN}
     * @param smtWidth the most CPUs one core may have (2 on x86; 4 or 8 on POWER): a tighter group
     *     than that at the lowest level is taken for siblings, a larger one for a cluster
     * @return the measured topology of the matrix
     * @throws IllegalArgumentException if the CPUs are fewer than two or not ascending, the matrix
     *     is not square over them, a cell is negative or infinite, or {@code smtWidth} is below 1
     * @throws NullPointerException if an argument is {@code null}
     */
    public static MeasuredTopology of(int[] cpus, double[][] roundTripNanos, int smtWidth) {
        Objects.requireNonNull(cpus, "cpus");
        Objects.requireNonNull(roundTripNanos, "roundTripNanos");
        if (cpus.length < 2) {
            throw new IllegalArgumentException("cpus: " + Arrays.toString(cpus) + " (expected: two or more)");
        }
        for (int i = 1; i < cpus.length; i++) {
            if (cpus[i] <= cpus[i - 1] || cpus[i - 1] < 0) {
                throw new IllegalArgumentException("cpus: " + Arrays.toString(cpus) + " (expected: ascending, distinct, 0 or more)");
            }
        }
        if (smtWidth < 1) {
            throw new IllegalArgumentException("smtWidth: " + smtWidth + " (expected: 1 or more)");
        }
        if (roundTripNanos.length != cpus.length) {
            throw new IllegalArgumentException("roundTripNanos: " + roundTripNanos.length + " rows (expected: "
                    + cpus.length + ", one per cpu)");
        }
        double[][] copy = new double[cpus.length][];
        for (int i = 0; i < cpus.length; i++) {
            if (roundTripNanos[i] == null || roundTripNanos[i].length != cpus.length) {
                throw new IllegalArgumentException("roundTripNanos row " + i + ": "
                        + (roundTripNanos[i] == null ? "null" : roundTripNanos[i].length + " cells")
                        + " (expected: " + cpus.length + ")");
            }
            copy[i] = roundTripNanos[i].clone();
            copy[i][i] = Double.NaN;
            for (int j = 0; j < cpus.length; j++) {
                double v = copy[i][j];
                if (v < 0 || Double.isInfinite(v)) {
                    throw new IllegalArgumentException("roundTripNanos[" + i + "][" + j + "]: " + v
                            + " (expected: a finite time, 0 or more, or NaN when not measured)");
                }
            }
        }
        return new MeasuredTopology(cpus.clone(), copy, smtWidth);
    }

    /**
     * Reads a matrix back from its {@link #table()} text (recorded on another machine, say).
     *
     * @param table the text {@link #table()} printed, header line and all
     * @param smtWidth as for {@link #of}
     * @return the measured topology of the matrix
     * @throws IllegalArgumentException if the text is not such a table, naming what is wrong
     * @throws NullPointerException if {@code table} is {@code null}
     */
    public static MeasuredTopology parse(String table, int smtWidth) {
        Objects.requireNonNull(table, "table");
        List<String> rows = new ArrayList<>();
        for (String line : table.split("\n")) {
            if (!line.isBlank() && line.trim().matches("[0-9 .-]+")) {
                rows.add(line.trim());
            }
        }
        if (rows.size() < 3) {
            throw new IllegalArgumentException("not a core-to-core table: expected a header of cpus and a row per cpu");
        }
        int[] cpus;
        try {
            cpus = Arrays.stream(rows.getFirst().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a core-to-core table: the header \"" + rows.getFirst()
                    + "\" is not a list of cpus");
        }
        if (rows.size() - 1 != cpus.length) {
            throw new IllegalArgumentException("not a core-to-core table: " + cpus.length + " cpus in the header, "
                    + (rows.size() - 1) + " rows");
        }
        double[][] nanos = new double[cpus.length][cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            String[] cells = rows.get(i + 1).split("\\s+");
            if (cells.length != cpus.length + 1) {
                throw new IllegalArgumentException("row " + (i + 1) + " of the core-to-core table has "
                        + (cells.length - 1) + " cells (expected: " + cpus.length + ")");
            }
            for (int j = 0; j < cpus.length; j++) {
                try {
                    nanos[i][j] = cells[j + 1].equals("-") ? Double.NaN : Double.parseDouble(cells[j + 1]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("row " + (i + 1) + " of the core-to-core table: \""
                            + cells[j + 1] + "\" is not a time in ns or -");
                }
            }
        }
        return of(cpus, nanos, smtWidth);
    }

    // ---------------------------------------------------------------- the matrix

    /**
     * The CPUs measured.
     *
     * @return the CPUs of the matrix's rows and columns
     */
    public CpuSet cpus() {
        return CpuSet.of(cpus);
    }

    /**
     * The median round trip from a thread on {@code caller} to one on {@code responder}.
     *
     * @param caller the CPU of the thread that started the round trips
     * @param responder the CPU of the thread that answered
     * @return nanoseconds, or {@code NaN} for a CPU with itself or a cell not measured
     * @throws IllegalArgumentException if either CPU was not measured (naming those that were)
     */
    public double roundTripNanos(int caller, int responder) {
        return nanos[index(caller)][index(responder)];
    }

    /**
     * The most CPUs one core may have, as the groups were found with (see {@link #of}).
     *
     * @return the SMT width assumed
     */
    public int smtWidth() {
        return smtWidth;
    }

    private int index(int cpu) {
        int i = Arrays.binarySearch(cpus, cpu);
        if (i < 0) {
            throw new IllegalArgumentException("cpu " + cpu + " was not measured (measured cpus: " + cpus() + ")");
        }
        return i;
    }

    /**
     * The matrix as text: a header line, the CPUs, then a row per caller CPU, nanoseconds, {@code -}
     * on the diagonal. {@link #parse} reads it back.
     *
     * @return the matrix as a table
     */
    public String table() {
        StringBuilder out = new StringBuilder("round trip (ns), median; row = caller cpu, column = responder cpu\n");
        out.append(String.format(Locale.ROOT, "%6s", ""));
        for (int cpu : cpus) {
            out.append(String.format(Locale.ROOT, "%6d", cpu));
        }
        out.append('\n');
        for (int i = 0; i < cpus.length; i++) {
            out.append(String.format(Locale.ROOT, "%6d", cpus[i]));
            for (int j = 0; j < cpus.length; j++) {
                out.append(Double.isNaN(nanos[i][j]) ? String.format(Locale.ROOT, "%6s", "-")
                        : String.format(Locale.ROOT, "%6.0f", nanos[i][j]));
            }
            out.append('\n');
        }
        return out.toString();
    }

    // ---------------------------------------------------------------- the groups

    /**
     * The thresholds between tiers of latency found in the matrix, ascending.
     *
     * @return nanoseconds; empty for a flat matrix
     */
    public List<Double> thresholdsNanos() {
        return thresholds;
    }

    /**
     * The levels of grouping, from the fastest threshold up.
     *
     * @return the levels; empty for a flat matrix
     */
    public List<Level> levels() {
        return levels;
    }

    /**
     * The measured SMT sibling groups: CPUs that answer each other far faster than the rest.
     *
     * @return the groups of two or more CPUs, by lowest CPU; empty when none were measured
     */
    public List<CpuSet> siblings() {
        return siblings;
    }

    /**
     * One set per measured core: each sibling group, and every other CPU alone.
     *
     * @return a partition of the measured CPUs, by lowest CPU
     */
    public List<CpuSet> cores() {
        return cores;
    }

    /**
     * The measured cache clusters: the groups of the first level above the siblings (cores sharing
     * a cache, or a package); one cluster of every CPU when the matrix shows no such level.
     *
     * @return a partition of the measured CPUs, by lowest CPU
     */
    public List<CpuSet> clusters() {
        return clusters;
    }

    /**
     * The cells out of line with their pair's tier (see the class notes).
     *
     * @return the outliers, by caller then responder
     */
    public List<Outlier> outliers() {
        return outliers;
    }

    /**
     * What was measured beside what sysfs says, a line each: siblings, clusters, outliers.
     *
     * @param sysfs the topology read from sysfs (usually {@link CpuTopology#current()})
     * @return lines like {@code measured SMT siblings: 1,14 2-3 (sysfs: none, every cpu a core of its own)}
     * @throws NullPointerException if {@code sysfs} is {@code null}
     */
    public List<String> comparedWith(CpuTopology sysfs) {
        Objects.requireNonNull(sysfs, "sysfs");
        CpuSet measured = cpus().intersect(sysfs.allCpus());
        List<String> lines = new ArrayList<>();
        List<CpuSet> sysfsSiblings = restrict(sysfs.cores(), measured).stream().filter(c -> c.size() > 1).toList();
        lines.add("measured SMT siblings: " + groups(siblings) + " (sysfs: "
                + (sysfsSiblings.equals(restrict(siblings, measured)) ? "the same"
                        : sysfsSiblings.isEmpty() ? "none, every cpu a core of its own" : groups(sysfsSiblings)) + ")");
        List<CpuSet> llc = restrict(sysfs.lastLevelCaches(), measured);
        List<CpuSet> packages = restrict(sysfs.packages(), measured);
        List<CpuSet> mine = restrict(clusters, measured);
        String same = mine.equals(llc) ? "the same as the last-level caches"
                : mine.equals(packages) ? "the same as the packages"
                : mine.equals(restrict(sysfs.clusters(), measured)) ? "the same as the clusters"
                : "last-level caches " + groups(llc);
        lines.add("measured cache clusters: " + groups(clusters) + " (sysfs: " + same + ")");
        lines.add("thresholds: " + (thresholds.isEmpty() ? "none (a flat matrix)" : thresholds.stream()
                .map(t -> String.format(Locale.ROOT, "%.0f ns", t)).toList().toString()));
        lines.add("outliers: " + (outliers.isEmpty() ? "none" : outliers.size() + " cells, "
                + outliers.subList(0, Math.min(8, outliers.size())) + (outliers.size() > 8 ? " ..." : "")));
        return lines;
    }

    private static List<CpuSet> restrict(List<CpuSet> groups, CpuSet to) {
        return groups.stream().map(g -> g.intersect(to)).filter(g -> !g.isEmpty()).toList();
    }

    private static String groups(List<CpuSet> groups) {
        return groups.isEmpty() ? "none" : String.join(" ", groups.stream().map(CpuSet::toString).toList());
    }

    /** The lower of each pair's two directions; {@code NaN} where neither was measured. */
    private static double[][] symmetric(double[][] nanos) {
        int n = nanos.length;
        double[][] pair = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double a = nanos[i][j];
                double b = nanos[j][i];
                pair[i][j] = i == j ? Double.NaN : Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.min(a, b);
            }
        }
        return pair;
    }

    /**
     * Short for the class notes' steps: one instance groups one matrix. Indexes are positions in
     * {@code cpus}, not CPU numbers, until the groups are built.
     */
    private static final class Clustering {
        final int[] cpus;
        final double[][] nanos;
        final double[][] pair;
        final int smtWidth;
        final List<Double> thresholds = new ArrayList<>();
        final List<Level> levels = new ArrayList<>();
        final List<CpuSet> siblings = new ArrayList<>();
        final List<CpuSet> cores = new ArrayList<>();
        final List<CpuSet> clusters = new ArrayList<>();
        final List<Outlier> outliers = new ArrayList<>();
        /** The index pairs the matrix contradicts (fast, but left out of any sibling group). */
        final List<int[]> contradicted = new ArrayList<>();

        Clustering(int[] cpus, double[][] nanos, double[][] pair, int smtWidth) {
            this.cpus = cpus;
            this.nanos = nanos;
            this.pair = pair;
            this.smtWidth = smtWidth;
            double[] logs = pairLogs();
            Arrays.sort(logs);
            if (logs.length >= 2) {
                double noise = directionNoise();
                // No disagreement at all (NaN: no pair both ways; 0: a mirrored matrix) says nothing of noise.
                split(logs, 0, logs.length, Double.isNaN(noise) || noise == 0 ? classNoise(logs) : noise);
                Collections.sort(thresholds);
            }
            buildLevels();
            buildSiblingsAndClusters();
            findOutliers();
        }

        private double[] pairLogs() {
            List<Double> values = new ArrayList<>();
            for (int i = 0; i < cpus.length; i++) {
                for (int j = i + 1; j < cpus.length; j++) {
                    if (!Double.isNaN(pair[i][j])) {
                        values.add(Math.log(Math.max(pair[i][j], 1e-3)));
                    }
                }
            }
            return values.stream().mapToDouble(Double::doubleValue).toArray();
        }

        /** One cell's noise from the disagreement of each pair's two directions; NaN when no pair has both. */
        private double directionNoise() {
            List<Double> ratios = new ArrayList<>();
            for (int i = 0; i < cpus.length; i++) {
                for (int j = i + 1; j < cpus.length; j++) {
                    if (nanos[i][j] > 0 && nanos[j][i] > 0) {
                        ratios.add(Math.log(nanos[i][j] / nanos[j][i]));
                    }
                }
            }
            if (ratios.isEmpty()) {
                return Double.NaN;
            }
            double[] r = ratios.stream().mapToDouble(Double::doubleValue).toArray();
            return 1.4826 * mad(r) / Math.sqrt(2);
        }

        /** The robust spread (1.4826 MAD) of the larger class of the first split: noise when no pair has both ways. */
        private static double classNoise(double[] sortedLogs) {
            int k = otsu(sortedLogs, 0, sortedLogs.length);
            boolean lowerIsLarger = k >= sortedLogs.length - k;
            double[] larger = lowerIsLarger ? Arrays.copyOfRange(sortedLogs, 0, k)
                    : Arrays.copyOfRange(sortedLogs, k, sortedLogs.length);
            return 1.4826 * mad(larger);
        }

        private static double mad(double[] values) {
            double median = median(values);
            double[] deviations = Arrays.stream(values).map(v -> Math.abs(v - median)).toArray();
            return median(deviations);
        }

        private static double median(double[] values) {
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }

        /** Recursive two-class splits of {@code logs[from, to)} (sorted) while the classes stand apart. */
        private void split(double[] logs, int from, int to, double noise) {
            if (to - from < 2) {
                return;
            }
            int k = otsu(logs, from, to);
            double m0 = mean(logs, from, k);
            double m1 = mean(logs, k, to);
            double gap = logs[k] - logs[k - 1];
            if (gap <= 0 || m1 - m0 < 2 * SEPARATION * noise || gap < GAP * noise) {
                return;
            }
            thresholds.add(Math.exp((logs[k - 1] + logs[k]) / 2));
            split(logs, from, k, noise);
            split(logs, k, to, noise);
        }

        /** Otsu: the first index of the upper class that maximises the between-class variance. */
        private static int otsu(double[] logs, int from, int to) {
            double total = 0;
            for (int i = from; i < to; i++) {
                total += logs[i];
            }
            double best = -1;
            int bestK = from + 1;
            double lowSum = 0;
            for (int k = from + 1; k < to; k++) {
                lowSum += logs[k - 1];
                int n0 = k - from;
                int n1 = to - k;
                double m0 = lowSum / n0;
                double m1 = (total - lowSum) / n1;
                double between = (double) n0 * n1 * (m1 - m0) * (m1 - m0);
                if (between > best) {
                    best = between;
                    bestK = k;
                }
            }
            return bestK;
        }

        private static double mean(double[] v, int from, int to) {
            double sum = 0;
            for (int i = from; i < to; i++) {
                sum += v[i];
            }
            return sum / (to - from);
        }

        // ------------------------------------------------------------ levels

        private void buildLevels() {
            List<CpuSet> previous = null;
            for (double threshold : thresholds) {
                List<CpuSet> groups = components(threshold);
                if (groups.size() > 1 && !groups.equals(previous)) {
                    levels.add(new Level(threshold, groups));
                    previous = groups;
                }
            }
        }

        /** The connected components of the pairs faster than {@code threshold}, as CPU sets. */
        private List<CpuSet> components(double threshold) {
            int[] parent = new int[cpus.length];
            for (int i = 0; i < parent.length; i++) {
                parent[i] = i;
            }
            for (int i = 0; i < cpus.length; i++) {
                for (int j = i + 1; j < cpus.length; j++) {
                    if (pair[i][j] < threshold) {
                        parent[find(parent, i)] = find(parent, j);
                    }
                }
            }
            List<CpuSet.Builder> byRoot = new ArrayList<>(Collections.nCopies(cpus.length, null));
            List<CpuSet.Builder> order = new ArrayList<>();
            for (int i = 0; i < cpus.length; i++) {
                int root = find(parent, i);
                if (byRoot.get(root) == null) {
                    byRoot.set(root, CpuSet.builder());
                    order.add(byRoot.get(root));
                }
                byRoot.get(root).add(cpus[i]);
            }
            return order.stream().map(CpuSet.Builder::build).toList();
        }

        private static int find(int[] parent, int i) {
            while (parent[i] != i) {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            return i;
        }

        // ------------------------------------------------------------ siblings and clusters

        private void buildSiblingsAndClusters() {
            int clusterLevel = 0;
            if (!levels.isEmpty() && isSiblingLevel(levels.getFirst())) {
                Level lowest = levels.getFirst();
                for (CpuSet group : lowest.groups()) {
                    if (group.size() > 1) {
                        siblings.addAll(isClique(group, lowest.thresholdNanos()) ? List.of(group)
                                : mutuallyNearest(group, lowest.thresholdNanos()));
                    }
                }
                clusterLevel = 1;
            }
            CpuSet paired = siblings.stream().reduce(CpuSet.empty(), CpuSet::union);
            for (int cpu : cpus) {
                if (!paired.contains(cpu)) {
                    cores.add(CpuSet.of(cpu));
                } else if (siblings.stream().anyMatch(s -> s.first() == cpu)) {
                    cores.add(siblings.stream().filter(s -> s.first() == cpu).findFirst().orElseThrow());
                }
            }
            if (clusterLevel < levels.size()) {
                clusters.addAll(levels.get(clusterLevel).groups());
            } else {
                clusters.add(CpuSet.of(cpus));
            }
        }

        /**
         * Every group of the level could be one core: a clique of at most {@code smtWidth} CPUs, or
         * a group the matrix contradicts of fewer than {@code 2·smtWidth} (one core and a CPU or a
         * few that a contradicting cell joined to it). Anything larger is a cluster: a CCX of four
         * cores without SMT stays a CCX even when one of its pairs measured slow.
         */
        private boolean isSiblingLevel(Level level) {
            for (CpuSet group : level.groups()) {
                boolean clique = isClique(group, level.thresholdNanos());
                if (clique ? group.size() > smtWidth : group.size() >= 2 * smtWidth) {
                    return false;
                }
            }
            return true;
        }

        private boolean isClique(CpuSet group, double threshold) {
            int[] members = group.toArray();
            for (int a = 0; a < members.length; a++) {
                for (int b = a + 1; b < members.length; b++) {
                    if (!(pairNanos(members[a], members[b]) < threshold)) {
                        return false;
                    }
                }
            }
            return true;
        }

        /**
         * A group the matrix contradicts, split into pairs of CPUs that are each other's fastest
         * partner (ties go to the pair whose slower direction is faster); the group's other fast
         * pairs are remembered as contradicted and reported as outliers.
         */
        private List<CpuSet> mutuallyNearest(CpuSet group, double threshold) {
            int[] members = group.toArray();
            List<CpuSet> pairs = new ArrayList<>();
            for (int a : members) {
                int best = nearest(a, members);
                if (best > a && nearest(best, members) == a) {
                    pairs.add(CpuSet.of(a, best));
                }
            }
            for (int x = 0; x < members.length; x++) {
                for (int y = x + 1; y < members.length; y++) {
                    int a = members[x];
                    int b = members[y];
                    if (pairNanos(a, b) < threshold && !pairs.contains(CpuSet.of(a, b))) {
                        contradicted.add(new int[] {indexOf(a), indexOf(b)});
                    }
                }
            }
            return pairs;
        }

        private int nearest(int cpu, int[] members) {
            int best = -1;
            for (int other : members) {
                if (other != cpu && (best < 0 || compareAsPartners(cpu, other, best) < 0)) {
                    best = other;
                }
            }
            return best;
        }

        private int compareAsPartners(int cpu, int a, int b) {
            int byPair = Double.compare(pairNanos(cpu, a), pairNanos(cpu, b));
            return byPair != 0 ? byPair : Double.compare(slower(cpu, a), slower(cpu, b));
        }

        private double slower(int a, int b) {
            double x = nanos[indexOf(a)][indexOf(b)];
            double y = nanos[indexOf(b)][indexOf(a)];
            return Double.isNaN(x) ? y : Double.isNaN(y) ? x : Math.max(x, y);
        }

        private double pairNanos(int a, int b) {
            return pair[indexOf(a)][indexOf(b)];
        }

        private int indexOf(int cpu) {
            return Arrays.binarySearch(cpus, cpu);
        }

        // ------------------------------------------------------------ outliers

        /** The tier of a latency: how many thresholds lie below it. */
        private int tierOf(double value) {
            int tier = 0;
            while (tier < thresholds.size() && value >= thresholds.get(tier)) {
                tier++;
            }
            return tier;
        }

        private void findOutliers() {
            int tiers = thresholds.size() + 1;
            List<List<Double>> cellsOfTier = new ArrayList<>();
            for (int t = 0; t < tiers; t++) {
                cellsOfTier.add(new ArrayList<>());
            }
            boolean[][] flagged = new boolean[cpus.length][cpus.length];
            boolean[][] fastButContradicted = new boolean[cpus.length][cpus.length];
            for (int[] p : contradicted) {
                fastButContradicted[p[0]][p[1]] = true;
                fastButContradicted[p[1]][p[0]] = true;
            }
            for (int i = 0; i < cpus.length; i++) {
                for (int j = 0; j < cpus.length; j++) {
                    if (i != j && !Double.isNaN(nanos[i][j])) {
                        int tier = tierOf(pair[i][j]);
                        // A direction slower than its pair's tier allows: the matrix disagrees with itself.
                        flagged[i][j] = fastButContradicted[i][j] || tierOf(nanos[i][j]) > tier;
                        if (!flagged[i][j]) {
                            cellsOfTier.get(tier).add(Math.log(Math.max(nanos[i][j], 1e-3)));
                        }
                    }
                }
            }
            double[] fence = new double[tiers];
            double[] typical = new double[tiers];
            for (int t = 0; t < tiers; t++) {
                double[] logs = cellsOfTier.get(t).stream().mapToDouble(Double::doubleValue).sorted().toArray();
                fence[t] = logs.length < 4 ? Double.POSITIVE_INFINITY
                        : quartile(logs, 0.75) + 1.5 * (quartile(logs, 0.75) - quartile(logs, 0.25));
                typical[t] = logs.length == 0 ? Double.NaN : Math.exp(median(logs));
            }
            for (int i = 0; i < cpus.length; i++) {
                for (int j = 0; j < cpus.length; j++) {
                    if (i == j || Double.isNaN(nanos[i][j])) {
                        continue;
                    }
                    int tier = tierOf(pair[i][j]);
                    if (flagged[i][j] || Math.log(Math.max(nanos[i][j], 1e-3)) > fence[tier]) {
                        // A contradicted fast pair is compared with the tier the structure puts it in.
                        int compareWith = fastButContradicted[i][j] ? Math.min(tier + 1, tiers - 1) : tier;
                        outliers.add(new Outlier(cpus[i], cpus[j], nanos[i][j], typical[compareWith]));
                    }
                }
            }
        }

        private static double quartile(double[] sorted, double q) {
            double position = q * (sorted.length - 1);
            int low = (int) Math.floor(position);
            int high = Math.min(sorted.length - 1, low + 1);
            return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
        }
    }
}
