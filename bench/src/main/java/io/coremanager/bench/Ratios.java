package io.coremanager.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns JMH's JSON result ({@code -rf json -rff FILE}) into Markdown tables with ratios to
 * CoreManager and to the floor, measured side by side in that one run.
 * {@code java -cp benchmarks.jar io.coremanager.bench.Ratios FILE}.
 *
 * <p>A deliberately small reader of JMH's own, regular output: no JSON dependency in the suite.
 */
public final class Ratios {

    private static final Pattern BENCHMARK = Pattern.compile("\"benchmark\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern MODE = Pattern.compile("\"mode\"\\s*:\\s*\"(\\w+)\"");
    private static final Pattern THREADS = Pattern.compile("\"threads\"\\s*:\\s*(\\d+)");
    private static final Pattern PARAMS = Pattern.compile("\"params\"\\s*:\\s*\\{([^}]*)\\}");
    private static final Pattern SCORE = Pattern.compile("\"primaryMetric\"\\s*:\\s*\\{\\s*\"score\"\\s*:\\s*([-0-9.eE]+)");
    private static final Pattern UNIT = Pattern.compile("\"scoreUnit\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern PERCENTILE = Pattern.compile("\"(50\\.0|99\\.0)\"\\s*:\\s*([-0-9.eE]+)");
    private static final Pattern POLLED = Pattern.compile("\"polled\"\\s*:\\s*\\{\\s*\"score\"\\s*:\\s*([-0-9.eE]+)");
    private static final Pattern PARAM = Pattern.compile("\"(\\w+)\"\\s*:\\s*\"([^\"]*)\"");

    private Ratios() {
    }

    record Row(String benchmark, String mode, int threads, Map<String, String> params, double score,
               String unit, double p50, double p99) {
        String contender() {
            return params.getOrDefault("contender", params.getOrDefault("scheduler",
                    params.getOrDefault("placement", params.getOrDefault("queue", "?"))));
        }

        String group() {
            Map<String, String> rest = new LinkedHashMap<>(params);
            for (String k : List.of("contender", "scheduler", "placement", "queue")) {
                rest.remove(k);
            }
            return benchmark.replaceFirst("^io\\.coremanager\\.bench\\.", "") + (rest.isEmpty() ? "" : " " + rest)
                    + (threads > 1 ? " (" + threads + " threads)" : "");
        }
    }

    public static void main(String[] args) throws IOException {
        String json = Files.readString(Path.of(args[0]));
        Map<String, List<Row>> groups = new LinkedHashMap<>();
        // Each result object starts at its "jmhVersion" key; its primary metric precedes "secondaryMetrics".
        String[] results = json.split("\"jmhVersion\"");
        for (int i = 1; i < results.length; i++) {
            String result = results[i];
            String primary = result.substring(0, Math.max(0, result.indexOf("\"secondaryMetrics\"")));
            Map<String, String> params = new LinkedHashMap<>();
            Matcher paramBlock = PARAMS.matcher(result);
            if (paramBlock.find()) {
                Matcher p = PARAM.matcher(paramBlock.group(1));
                while (p.find()) {
                    params.put(p.group(1), p.group(2));
                }
            }
            double p50 = Double.NaN;
            double p99 = Double.NaN;
            Matcher q = PERCENTILE.matcher(primary);
            while (q.find()) {
                if (q.group(1).equals("50.0") && Double.isNaN(p50)) {
                    p50 = Double.parseDouble(q.group(2));
                } else if (q.group(1).equals("99.0") && Double.isNaN(p99)) {
                    p99 = Double.parseDouble(q.group(2));
                }
            }
            // A benchmark that counts its own work (an @AuxCounters "polled") is scored by that count.
            Matcher polled = POLLED.matcher(result);
            double score = polled.find() ? Double.parseDouble(polled.group(1)) : Double.parseDouble(first(SCORE, primary));
            Row row = new Row(first(BENCHMARK, result), first(MODE, result), Integer.parseInt(first(THREADS, result)),
                    params, score, first(UNIT, primary), p50, p99);
            groups.computeIfAbsent(row.group(), k -> new ArrayList<>()).add(row);
        }
        for (Map.Entry<String, List<Row>> g : groups.entrySet()) {
            print(g.getKey(), g.getValue());
        }
    }

    private static void print(String title, List<Row> rows) {
        boolean sampled = rows.getFirst().mode().equals("sample");
        boolean throughput = rows.getFirst().mode().equals("thrpt");
        Row reference = find(rows, "coremanager-spinThenPark", "coremanager", "lane-queue");
        Row floor = find(rows, "floor");
        System.out.println();
        System.out.println("### " + title);
        System.out.println();
        if (sampled) {
            System.out.println("| contender | median | p99 | mean | ÷ CoreManager (median) | ÷ floor (median) |");
            System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        } else {
            System.out.println("| contender | score | ÷ CoreManager | ÷ floor |");
            System.out.println("| --- | ---: | ---: | ---: |");
        }
        for (Row r : rows) {
            if (sampled) {
                System.out.printf(Locale.ROOT, "| %s | %.0f %s | %.0f %s | %.1f %s | %s | %s |%n", r.contender(), r.p50(), r.unit(),
                        r.p99(), r.unit(), r.score(), r.unit(), ratio(r.p50(), reference == null ? Double.NaN : reference.p50()),
                        ratio(r.p50(), floor == null ? Double.NaN : floor.p50()));
            } else {
                System.out.printf(Locale.ROOT, "| %s | %s %s | %s | %s |%n", r.contender(), format(r.score()), r.unit(),
                        ratio(r.score(), reference == null ? Double.NaN : reference.score()),
                        ratio(r.score(), floor == null ? Double.NaN : floor.score()));
            }
        }
        if (throughput) {
            System.out.println();
            System.out.println("(throughput: a ratio above 1 is faster than the reference)");
        }
    }

    private static String first(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        if (!m.find()) {
            throw new IllegalArgumentException("not a JMH JSON result: no match for " + pattern);
        }
        return m.group(1);
    }

    private static Row find(List<Row> rows, String... names) {
        for (String name : names) {
            for (Row r : rows) {
                if (r.contender().equals(name)) {
                    return r;
                }
            }
        }
        return null;
    }

    private static String ratio(double value, double reference) {
        return Double.isNaN(value) || Double.isNaN(reference) || reference == 0 ? "-"
                : String.format(Locale.ROOT, "%.2fx", value / reference);
    }

    private static String format(double v) {
        return v >= 1e6 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%,.1f", v);
    }
}
