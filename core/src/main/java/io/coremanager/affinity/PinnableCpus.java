package io.coremanager.affinity;

import io.coremanager.CpuSet;
import io.coremanager.internal.CgroupLimits;
import io.coremanager.internal.CpuRefusals;
import io.coremanager.internal.SysFiles;

import java.nio.file.Path;
import java.util.List;

/**
 * Explains an affinity refusal: which CPUs of a request do not exist, are offline, or lie outside
 * the process's cgroup cpuset. Read from sysfs at the time of the error only: this is the slow
 * path, and the answer must reflect CPU hot-plug and cgroup changes since start-up.
 */
final class PinnableCpus {

    private static final Path CPU_DIR = Path.of("/sys/devices/system/cpu");

    final CpuSet possible;
    final CpuSet online;
    final CpuSet allowed;
    final String cpusetSource;

    private PinnableCpus(CpuSet possible, CpuSet online, CpuSet allowed, String cpusetSource) {
        this.possible = possible;
        this.online = online;
        this.allowed = allowed;
        this.cpusetSource = cpusetSource;
    }

    /** A machine described by hand: for tests. */
    static PinnableCpus of(CpuSet possible, CpuSet online, CpuSet allowed, String cpusetSource) {
        return new PinnableCpus(possible, online, allowed, cpusetSource);
    }

    /** What the live machine says now; empty sets where it cannot be read. */
    static PinnableCpus now() {
        CpuSet possible = orEmpty(SysFiles.readCpuListOptional(CPU_DIR.resolve("possible")));
        CpuSet online = orEmpty(SysFiles.readCpuListOptional(CPU_DIR.resolve("online")));
        CgroupLimits cgroup = CgroupLimits.read(Path.of("/"));
        CpuSet allowed = cgroup.cpuset() == null ? online
                : online.isEmpty() ? cgroup.cpuset() : cgroup.cpuset().intersect(online);
        return new PinnableCpus(possible, online, allowed, cgroup.source());
    }

    private static CpuSet orEmpty(CpuSet set) {
        return set == null ? CpuSet.empty() : set;
    }

    /** Why each refused CPU of {@code requested} was refused, or {@code fallback} if none can be named. */
    String explain(CpuSet requested, String fallback) {
        List<String> reasons = new CpuRefusals(possible, "possible cpus", online, allowed,
                cpusetSource == null ? null : "cgroup " + cpusetSource, CpuSet.empty()).reasons(requested);
        return reasons.isEmpty() ? fallback : String.join("; ", reasons);
    }
}
