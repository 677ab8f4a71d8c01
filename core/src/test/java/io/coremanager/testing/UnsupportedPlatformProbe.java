package io.coremanager.testing;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;

/** Run with {@code -Dos.name=Darwin}: what affinity and CoreManager do where pinning is unsupported. */
public final class UnsupportedPlatformProbe {

    private UnsupportedPlatformProbe() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("supported: " + Affinity.isSupported());
        System.out.println("reason: " + Affinity.unsupportedReason().orElse("-"));
        System.out.println("currentCpu: " + Affinity.currentCpu());
        try {
            Affinity.set(CpuSet.of(0));
        } catch (UnsupportedOperationException e) {
            System.out.println("set: " + e.getMessage());
        }
        try (CoreManager cores = CoreManager.create()) {
            System.out.println("manager: " + cores.cpus().size() + " lanes, answer "
                    + cores.submit(cores.cpus().first(), () -> 42).get()
                    + ", pinned " + cores.stats().stream().anyMatch(s -> cores.pinnedNow(s.cpu())));
        }
        try (CoreManager cores = CoreManager.builder().isolate(true).build()) {
            System.out.println("isolation: " + cores.isolator().orElseThrow().inactiveReason().orElse("active"));
        }
        try {
            CoreManager.builder().isolate(true).strictIsolation(true).build();
        } catch (IllegalStateException e) {
            System.out.println("strict isolation: " + e.getMessage());
        }
        try {
            CoreManager.builder().requirePinning(true).build();
        } catch (IllegalStateException e) {
            System.out.println("strict: " + e.getMessage());
        }
    }
}
