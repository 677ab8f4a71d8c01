package io.coremanager.isolation;

/**
 * What a thread of the JVM is, as far as its name tells. Names recorded from JDK 25 (HotSpot) with
 * G1, ZGC, Parallel, Serial, Shenandoah and Epsilon are in the tests' fixtures.
 */
public enum ThreadKind {
    /** A lane's carrier: one of the manager's own pinned threads. */
    LANE_CARRIER,
    /** A garbage-collector thread: {@code GC Thread#0}, {@code G1 Conc#0}, {@code ZWorkerYoung#0}, {@code Shenandoah GC Threads}, ... */
    GC,
    /** A JIT compiler thread: {@code C1 CompilerThread0}, {@code C2 CompilerThread0}, JVMCI. */
    JIT_COMPILER,
    /**
     * The JVM's own service threads and the JDK's reference processing: {@code VM Thread},
     * {@code VM Periodic Task Thread}, {@code Service Thread}, {@code Monitor Deflation Thread},
     * {@code Notification Thread}, {@code Signal Dispatcher}, {@code Attach Listener},
     * {@code Reference Handler}, {@code Finalizer}, {@code Common-Cleaner}.
     */
    VM,
    /** A JDK Flight Recorder thread: {@code JFR Recorder Thread}, {@code JFR Periodic Tasks}, ... */
    JFR,
    /** A JDK socket poller of virtual threads: {@code MasterPoller}, {@code Read-Poller}, {@code Write-Poller}. */
    JDK_IO_POLLER,
    /**
     * The JDK's timers and virtual-thread housekeepers: the default scheduler's
     * {@code ForkJoinPool-N-delayScheduler}, {@code VirtualThread-unblocker} (JDK 24+) and
     * {@code VirtualThread-unparker} (JDK 21-23).
     */
    JDK_TIMER,
    /** Any other thread known to be a Java platform thread: the application's, a library's, a pool worker. */
    OTHER_PLATFORM,
    /** A thread not known to be a Java thread: native code's, the launcher's primordial thread. */
    UNKNOWN_NATIVE
}
