package io.coremanager;

import io.coremanager.engine.Lanes;

import java.util.Optional;

/**
 * Whether this JVM can make core-affine virtual threads: JDK virtual threads whose scheduler is a
 * lane, so they stay on one CPU for their whole life. They need the JDK's package-private
 * virtual-thread builder that takes a scheduler, opened by
 * {@code --add-opens java.base/java.lang=io.coremanager} on the module path (or
 * {@code =ALL-UNNAMED} on the class path). Without it, {@link CoreManager#go} and
 * {@link CoreManager#threadFactory} run their tasks on platform threads pinned to the CPU, unless
 * the builder requires real virtual threads.
 *
 * <p>Like {@link io.coremanager.affinity.Affinity#isSupported()}: a fixed property of this JVM,
 * decided once when the class initialises.
 */
public final class CoreAffineThreads {

    private CoreAffineThreads() {
    }

    /**
     * Whether core-affine virtual threads can be made in this JVM.
     *
     * @return true if the JDK's virtual-thread builder with a custom scheduler is reachable
     */
    public static boolean isSupported() {
        return Lanes.coreAffineThreadsSupported();
    }

    /**
     * Why core-affine virtual threads cannot be made here, with the flag to add.
     *
     * @return the reason, or empty when {@link #isSupported()}
     */
    public static Optional<String> unsupportedReason() {
        return Optional.ofNullable(Lanes.coreAffineThreadsUnsupportedReason());
    }
}
