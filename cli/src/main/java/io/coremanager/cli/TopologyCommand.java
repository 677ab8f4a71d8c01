package io.coremanager.cli;

import io.coremanager.CpuSet;
import io.coremanager.topology.Cache;
import io.coremanager.topology.CoreKind;
import io.coremanager.topology.Cpu;
import io.coremanager.topology.CpuTopology;
import io.coremanager.topology.MeasuredTopology;
import io.coremanager.topology.NumaNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** {@code coremanager topology}: the machine's CPUs as a tree, or as JSON. */
@Command(name = "topology",
        header = "Show the CPU topology: packages, NUMA nodes, caches, cores, CPUs.",
        description = {"Prints a tree (package > NUMA node > last-level cache > cluster > core > CPUs) with SMT siblings, "
            + "core kinds, and the CPUs that are offline, not allowed or isolated, then a summary line; or JSON."},
        mixinStandardHelpOptions = true)
final class TopologyCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--root", paramLabel = "DIR",
            description = "Read a snapshot folder holding sys/ and proc/ instead of this machine.")
    Path root;

    @Option(names = "--json", description = "Print JSON: one object per CPU, the allowed CPUs, quota, warnings.")
    boolean json;

    @Option(names = "--measure", description = "Also measure the core-to-core round trips of the usable CPUs and "
            + "report the measured SMT siblings, cache clusters and outliers beside what sysfs says (this machine only).")
    boolean measure;

    @Option(names = "--measure-ms", paramLabel = "MS", defaultValue = "20",
            description = "With --measure: measurement per ordered pair of CPUs (default: ${DEFAULT-VALUE}).")
    long measureMillis;

    @Override
    public void run() {
        if (measure && root != null) {
            throw new Main.UsageException("--measure measures this machine; it cannot go with --root " + root);
        }
        if (measure && measureMillis < 1) {
            throw new Main.UsageException("--measure-ms " + measureMillis + ": expected 1 or more");
        }
        CpuTopology topology;
        if (root == null) {
            topology = CpuTopology.current();
        } else if (!Files.isDirectory(root)) {
            throw new Main.UsageException("--root " + root + ": " + (Files.exists(root) ? "not a folder" : "no such folder")
                    + " (expected: a folder holding sys/ and proc/)");
        } else {
            topology = CpuTopology.read(root);
        }
        MeasuredTopology measured = measure ? measure(topology) : null;
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> result = toJson(topology);
            if (measured != null) {
                result.put("measured", toJson(measured, topology));
            }
            out.println(Json.write(result));
        } else {
            new TopologyTree(out).print(topology);
            if (measured != null) {
                out.println();
                out.println("Measured (core-to-core round trips, " + measureMillis + " ms per pair):");
                measured.comparedWith(topology).forEach(line -> out.println("  " + line));
            }
        }
        out.flush();
    }

    private MeasuredTopology measure(CpuTopology topology) {
        CpuSet usable = topology.usableCpus();
        if (usable.size() < 2) {
            throw new Main.UsageException("--measure: needs two or more usable cpus (usable cpus: " + usable + ")");
        }
        ProgressBar bar = new ProgressBar(spec.commandLine().getErr());
        try {
            return CpuTopology.measure(usable, Duration.ofMillis(measureMillis), f -> bar.show(f, "core to core"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring", e);
        } finally {
            bar.done();
        }
    }

    static Map<String, Object> toJson(MeasuredTopology measured, CpuTopology sysfs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpus", measured.cpus().toString());
        m.put("thresholds_ns", measured.thresholdsNanos().stream().map(t -> (Object) Math.round(t)).toList());
        m.put("siblings", measured.siblings().stream().map(s -> (Object) s.toString()).toList());
        m.put("clusters", measured.clusters().stream().map(s -> (Object) s.toString()).toList());
        List<Object> outliers = new ArrayList<>();
        for (MeasuredTopology.Outlier o : measured.outliers()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("caller", o.caller());
            x.put("responder", o.responder());
            x.put("ns", Math.round(o.nanos()));
            x.put("tier_ns", Double.isNaN(o.typicalNanos()) ? null : Math.round(o.typicalNanos()));
            outliers.add(x);
        }
        m.put("outliers", outliers);
        m.put("compared", List.copyOf(measured.comparedWith(sysfs)));
        return m;
    }

    static Map<String, Object> toJson(CpuTopology topology) {
        List<Object> cpus = new ArrayList<>();
        for (Cpu cpu : topology.cpus()) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("cpu", cpu.cpu());
            c.put("online", cpu.online());
            c.put("allowed", cpu.allowed());
            c.put("isolated", cpu.isolated());
            c.put("core", id(cpu.core()));
            c.put("package", id(cpu.pkg()));
            c.put("node", id(cpu.node()));
            c.put("llc", id(cpu.llc()));
            c.put("kind", kind(cpu.kind()));
            c.put("die", id(cpu.die()));
            c.put("cluster", id(cpu.cluster()));
            c.put("siblings", cpu.siblings().toString());
            List<Object> caches = new ArrayList<>();
            for (Cache cache : cpu.caches()) {
                Map<String, Object> k = new LinkedHashMap<>();
                k.put("level", cache.level());
                k.put("type", cache.type().name().toLowerCase(Locale.ROOT));
                k.put("size", cache.sizeBytes() < 0 ? null : cache.sizeBytes());
                k.put("cpus", cache.sharedBy().toString());
                caches.add(k);
            }
            c.put("caches", caches);
            cpus.add(c);
        }
        List<Object> nodes = new ArrayList<>();
        for (NumaNode node : topology.nodes()) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("node", node.id());
            n.put("cpus", node.cpus().toString());
            n.put("distances", new TreeMap<>(node.distances()));
            nodes.add(n);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("cpus", cpus);
        result.put("allowed", topology.allowedCpus().toString());
        result.put("quota", topology.cpuQuota().isPresent() ? topology.cpuQuota().getAsDouble() : null);
        result.put("warnings", topology.warnings());
        result.put("nodes", nodes);
        result.put("online", topology.onlineCpus().toString());
        result.put("isolated", topology.isolatedCpus().toString());
        result.put("clusters", topology.clusters().stream().map(c -> (Object) c.toString()).toList());
        result.put("summary", topology.summary());
        return result;
    }

    private static Integer id(int id) {
        return id == Cpu.UNKNOWN ? null : id;
    }

    static String kind(CoreKind kind) {
        return kind == CoreKind.UNKNOWN ? null : kind.name().toLowerCase(Locale.ROOT);
    }
}
