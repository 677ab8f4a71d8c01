package io.coremanager.testing;

import io.coremanager.CoreManager;

/**
 * Run in a JVM without {@code --add-opens java.base/java.lang}: prints where {@code go} ran its
 * tasks, and what a builder that requires core-affine virtual threads says.
 */
public final class FallbackProbe {

    private FallbackProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (CoreManager cores = CoreManager.create()) {
            int cpu = cores.cpus().last();
            for (int i = 0; i < 3; i++) {
                cores.go(cpu, () -> {
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                    Where w = Where.now("fallback");
                    System.out.println("ran virtual=" + Thread.currentThread().isVirtual() + " on=" + w.on(cpu));
                }).join();
            }
        }
        try {
            CoreManager.builder().requireCoreAffineVirtualThreads(true).build().close();
            System.out.println("strict: built");
        } catch (IllegalStateException e) {
            System.out.println("strict: " + e.getMessage());
        }
    }
}
