package io.coremanager.internal;

import io.coremanager.CpuSet;

import java.util.ArrayList;
import java.util.List;

/**
 * The one explanation of why CPUs were refused, for the builders' checks (against a topology) and
 * for the affinity calls' errors (against sysfs read at the time of the error): which of the
 * requested CPUs do not exist, are offline, exist but are not allowed for this process, or are
 * isolated. Each caller says what it knows; an empty set means "not known" and names nothing.
 *
 * @param exist the CPUs that exist (the topology's, or sysfs {@code possible})
 * @param existLabel how to name them in a message ({@code cpus}, {@code possible cpus})
 * @param online the online CPUs
 * @param allowed the CPUs this process may use
 * @param allowedDetail what to say about the allowed CPUs (where they come from, how to change
 *     them), or null
 * @param isolated the isolated CPUs to refuse; empty when isolated CPUs are acceptable
 */
public record CpuRefusals(CpuSet exist, String existLabel, CpuSet online, CpuSet allowed, String allowedDetail,
                          CpuSet isolated) {

    /**
     * Why each refused CPU of {@code requested} is refused.
     *
     * @param requested the CPUs asked for
     * @return one phrase per reason, in the order missing, offline, not allowed, isolated; empty if
     *     none of the requested CPUs is refused for a reason this record knows
     */
    public List<String> reasons(CpuSet requested) {
        CpuSet missing = exist.isEmpty() ? CpuSet.empty() : requested.minus(exist);
        CpuSet offline = online.isEmpty() ? CpuSet.empty() : requested.minus(missing).minus(online);
        CpuSet notAllowed = allowed.isEmpty() ? CpuSet.empty() : requested.minus(missing).minus(offline).minus(allowed);
        CpuSet refusedIsolated = requested.intersect(isolated).minus(missing).minus(offline).minus(notAllowed);
        List<String> reasons = new ArrayList<>();
        if (!missing.isEmpty()) {
            reasons.add("cpus " + missing + " do not exist on this machine (" + existLabel + ": " + exist + ")");
        }
        if (!offline.isEmpty()) {
            reasons.add("cpus " + offline + " are offline");
        }
        if (!notAllowed.isEmpty()) {
            reasons.add("cpus " + notAllowed + " exist but are not allowed for this process"
                    + (allowedDetail == null ? "" : " (" + allowedDetail + ")"));
        }
        if (!refusedIsolated.isEmpty()) {
            reasons.add("cpus " + refusedIsolated + " are isolated (isolcpus/nohz_full); call includeIsolated(true) "
                    + "to use them");
        }
        return reasons;
    }
}
