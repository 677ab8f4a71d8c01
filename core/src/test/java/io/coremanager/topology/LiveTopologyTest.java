package io.coremanager.topology;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link CpuTopology#current()} against this machine's own tools. */
class LiveTopologyTest {

    @Test
    void agreesWithNproc() throws Exception {
        String nproc = run("nproc");
        assumeTrue(nproc != null, "no nproc here");
        assertThat(CpuTopology.current().allowedCpus().size()).isEqualTo(Integer.parseInt(nproc.strip()));
    }

    @Test
    void agreesWithSchedGetaffinity() {
        assumeTrue(Affinity.isSupported());
        CpuSet process = Affinity.getOfThread((int) ProcessHandle.current().pid());
        assertThat(CpuTopology.current().allowedCpus()).isEqualTo(process);
    }

    @Test
    void agreesWithLscpu() throws Exception {
        String lscpu = run("lscpu", "-p=CPU,CORE,SOCKET,NODE,ONLINE");
        assumeTrue(lscpu != null, "no lscpu here");
        CpuTopology t = CpuTopology.current();
        Map<Integer, Integer> ourCoreToTheirs = new HashMap<>();
        Set<Integer> cpusSeen = new HashSet<>();
        for (String line : lscpu.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String[] f = line.split(",", -1);
            int cpu = Integer.parseInt(f[0]);
            cpusSeen.add(cpu);
            boolean online = f.length < 5 || f[4].isEmpty() || f[4].equals("Y");
            assertThat(t.cpu(cpu).online()).as("cpu %d online", cpu).isEqualTo(online);
            if (!online) {
                continue;
            }
            // lscpu's core numbers are machine-wide like ours: the two partitions must match.
            Integer previous = ourCoreToTheirs.putIfAbsent(t.cpu(cpu).core(), Integer.parseInt(f[1]));
            if (previous != null) {
                assertThat(previous).as("cpu %d core", cpu).isEqualTo(Integer.parseInt(f[1]));
            }
            if (!f[3].isEmpty()) {
                assertThat(t.cpu(cpu).node()).as("cpu %d node", cpu).isEqualTo(Integer.parseInt(f[3]));
            }
        }
        assertThat(cpusSeen).hasSize(t.cpus().size());
        assertThat(new HashSet<>(ourCoreToTheirs.values())).hasSameSizeAs(ourCoreToTheirs.keySet());
    }

    @Test
    void readsCleanlyHere() {
        CpuTopology t = CpuTopology.current();
        assertThat(t.warnings()).isEmpty();
        assertThat(t.onlineCpus()).containsAll(t.allowedCpus());
        assertThat(t.cores()).isNotEmpty();
    }

    /** The command's output, or null where it is not installed. */
    private static String run(String... command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        }
    }
}
