package io.coremanager.affinity;

import io.coremanager.CpuSet;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Objects;
import java.util.Optional;

/**
 * CPU affinity of platform threads on Linux, through the FFM API: no JNA, no JNI, no native build.
 *
 * <pre>{@code
 * Affinity.pin(3);                 // the calling thread now runs on CPU 3 only
 * int cpu = Affinity.currentCpu(); // 3: sched_getcpu, a few nanoseconds
 * CpuSet mask = Affinity.get();    // 3
 * }</pre>
 *
 * <p><b>Threads.</b> The calling-thread methods ({@link #get()}, {@link #set(CpuSet)},
 * {@link #pin(int)}) act on the OS thread that runs the caller. From a virtual thread that is its
 * current carrier, which the JDK may change at the next blocking call, so {@code set} and {@code pin}
 * refuse virtual threads: use {@code CoreManager.go(cpu, task)} for a virtual thread that stays on
 * one CPU. The {@code ...OfThread} methods act on any thread of the process by its Linux thread id
 * ({@link #currentThreadId()}).
 *
 * <p><b>Sizes.</b> Masks are sized from what the kernel accepts (grown on {@code EINVAL}), never a
 * fixed 64 or 1024 bits, so machines with more than 1024 CPUs work.
 *
 * <p><b>Errors.</b> A refusal throws {@link AffinityException} naming the errno, the CPUs asked for
 * and the CPUs this process may use. {@link #set(CpuSet)} applies exactly the set asked for or throws
 * and leaves the thread's affinity as it was: where the kernel would silently drop the CPUs the
 * process may not use (it keeps the rest), this class restores the old mask and says which were
 * refused.
 *
 * <p><b>Platforms.</b> Linux on x86-64 and aarch64 are first-class (any 64-bit Linux with a glibc or
 * musl should work). Elsewhere {@link #isSupported()} is false, {@link #currentCpu()} returns
 * {@link #UNKNOWN_CPU}, and {@code get}/{@code set} throw {@link UnsupportedOperationException}
 * naming the platform. The JVM needs {@code --enable-native-access=ALL-UNNAMED} (or the using
 * module's name) to call native code without a warning; where native access is denied,
 * {@link #unsupportedReason()} says so.
 */
public final class Affinity {

    /** What {@link #currentCpu()} returns where the CPU cannot be known. */
    public static final int UNKNOWN_CPU = -1;

    /** The largest mask tried: room for {@link CpuSet#MAX_CPU}. */
    private static final int MAX_MASK_BYTES = (CpuSet.MAX_CPU + 1) / 8;

    /**
     * The mask size the kernel last accepted for sched_getaffinity, in bytes. Starts at 1024 bits;
     * only grows. A benign race: two threads may both grow it, to the same value.
     */
    private static volatile int maskBytes = 128;

    private Affinity() {
    }

    /**
     * Whether this platform supports reading and setting CPU affinity.
     *
     * @return true if affinity can be read and set here
     */
    public static boolean isSupported() {
        return LinuxCalls.UNSUPPORTED_REASON == null;
    }

    /**
     * Why affinity is not supported here, or empty when it is.
     *
     * @return the reason, or empty where affinity works
     */
    public static Optional<String> unsupportedReason() {
        return Optional.ofNullable(LinuxCalls.UNSUPPORTED_REASON);
    }

    /**
     * The CPU the calling thread is running on now ({@code sched_getcpu}), or {@link #UNKNOWN_CPU}
     * where it cannot be known. A critical downcall (no thread-state transition): a few nanoseconds.
     * Unless the thread is pinned to one CPU, the answer may be stale by the time it is used.
     *
     * @return the CPU number, or {@link #UNKNOWN_CPU}
     */
    public static int currentCpu() {
        MethodHandle getcpu = LinuxCalls.SCHED_GETCPU;
        if (getcpu == null) {
            return UNKNOWN_CPU;
        }
        try {
            int cpu = (int) getcpu.invokeExact();
            return cpu < 0 ? UNKNOWN_CPU : cpu;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * The Linux thread id ({@code gettid}) of the OS thread running the caller: for a virtual
     * thread, its current carrier's.
     *
     * @return the thread id of the caller's OS thread
     * @throws UnsupportedOperationException where affinity is not supported
     */
    public static int currentThreadId() {
        requireSupported("gettid");
        try {
            return (int) LinuxCalls.GETTID.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * The CPUs the calling thread may run on ({@code sched_getaffinity}).
     *
     * @return the calling thread's CPUs
     * @throws UnsupportedOperationException where affinity is not supported
     * @throws AffinityException if the kernel refuses
     */
    public static CpuSet get() {
        return getOfThread(0);
    }

    /**
     * The CPUs thread {@code tid} of this process may run on; {@code 0} is the calling thread.
     *
     * @param tid a Linux thread id ({@link #currentThreadId()}, or from {@code /proc/PID/task})
     * @return the thread's CPUs
     * @throws IllegalArgumentException if {@code tid} is negative
     * @throws UnsupportedOperationException where affinity is not supported
     * @throws AffinityException if the kernel refuses ({@code ESRCH}: no such thread)
     */
    public static CpuSet getOfThread(int tid) {
        checkTid(tid);
        requireSupported("sched_getaffinity");
        int bytes = maskBytes;
        while (true) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment mask = arena.allocate(bytes, Long.BYTES);
                MemorySegment state = LinuxCalls.newCallState(arena);
                int rc = (int) LinuxCalls.SCHED_GETAFFINITY.invokeExact(state, tid, (long) bytes, mask);
                if (rc == 0) {
                    if (bytes > maskBytes) {
                        maskBytes = bytes;
                    }
                    return CpuSet.fromWords(mask.toArray(ValueLayout.JAVA_LONG));
                }
                int errno = LinuxCalls.errno(state);
                if (errno == Errno.EINVAL && bytes < MAX_MASK_BYTES) {
                    bytes *= 2; // the kernel's mask is larger than ours
                    continue;
                }
                throw refusal("sched_getaffinity", errno, tid, CpuSet.empty());
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw unexpected(t);
            }
        }
    }

    /**
     * Restricts the calling platform thread to {@code cpus}, exactly: on any refusal the thread's
     * affinity is left as it was.
     *
     * @param cpus the CPUs the thread may run on, not empty
     * @throws IllegalArgumentException if {@code cpus} is empty
     * @throws IllegalStateException if the caller is a virtual thread
     * @throws UnsupportedOperationException where affinity is not supported
     * @throws AffinityException if the kernel refuses any CPU of the set (a CPU that does not exist,
     *     is offline, or is outside the process's cgroup cpuset); the message lists the allowed CPUs
     */
    public static void set(CpuSet cpus) {
        requirePlatformThread("set");
        setOfThread(0, cpus);
    }

    /**
     * Pins the calling platform thread to {@code cpu}.
     *
     * @param cpu the CPU to pin to
     * @throws IllegalArgumentException if {@code cpu} is negative or above {@link CpuSet#MAX_CPU}
     * @throws IllegalStateException if the caller is a virtual thread
     * @throws UnsupportedOperationException where affinity is not supported
     * @throws AffinityException if the kernel refuses; the message lists the allowed CPUs
     */
    public static void pin(int cpu) {
        requirePlatformThread("pin");
        pinThread(0, cpu);
    }

    /**
     * Pins thread {@code tid} of this process to {@code cpu}; {@code 0} is the calling thread.
     *
     * @param tid a Linux thread id ({@link #currentThreadId()}, or from {@code /proc/PID/task})
     * @param cpu the CPU to pin to
     * @throws IllegalArgumentException if {@code tid} is negative, or {@code cpu} is not a CPU number
     * @throws UnsupportedOperationException where affinity is not supported
     * @throws AffinityException if the kernel refuses
     */
    public static void pinThread(int tid, int cpu) {
        if (cpu < 0 || cpu > CpuSet.MAX_CPU) {
            throw new IllegalArgumentException("cpu: " + cpu + " (expected: a cpu number from 0 to "
                    + CpuSet.MAX_CPU + "; allowed cpus: " + allowedForMessages() + ")");
        }
        setOfThread(tid, CpuSet.of(cpu));
    }

    /**
     * Restricts thread {@code tid} of this process to {@code cpus}, exactly; {@code 0} is the calling
     * thread. On any refusal the thread's affinity is left as it was.
     *
     * @param tid a Linux thread id ({@link #currentThreadId()}, or from {@code /proc/PID/task})
     * @param cpus the CPUs the thread may run on, not empty
     * @throws IllegalArgumentException if {@code tid} is negative or {@code cpus} is empty
     * @throws UnsupportedOperationException where affinity is not supported
     * @throws AffinityException if the kernel refuses any CPU of the set
     */
    public static void setOfThread(int tid, CpuSet cpus) {
        Objects.requireNonNull(cpus, "cpus");
        checkTid(tid);
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("cpus: empty set (expected: at least one cpu; allowed cpus: "
                    + allowedForMessages() + ")");
        }
        requireSupported("sched_setaffinity");
        CpuSet before = getOfThread(tid);
        int errno = setAffinity(tid, cpus);
        if (errno != 0) {
            throw refusal("sched_setaffinity", errno, tid, cpus);
        }
        CpuSet after = getOfThread(tid);
        if (!after.equals(cpus)) {
            // The kernel kept the allowed part of the set and dropped the rest without a word.
            setAffinity(tid, before);
            throw refusal("sched_setaffinity", Errno.EINVAL, tid, cpus.minus(after));
        }
    }

    /** The longest kernel thread name, in bytes: {@code TASK_COMM_LEN} (16) less the terminating NUL. */
    public static final int KERNEL_NAME_BYTES = 15;

    /**
     * Sets the calling platform thread's kernel name ({@code prctl(PR_SET_NAME)}): what {@code top -H},
     * {@code ps -L}, {@code perf} and {@code /proc/<pid>/task/<tid>/comm} show. Linux keeps
     * {@value #KERNEL_NAME_BYTES} bytes of it, so a Java name such as {@code coremanager-cpu-12}
     * shows as {@code coremanager-cpu} for every carrier; a short kernel name ({@code cm-cpu-12}) set
     * here tells them apart while the Java name ({@link Thread#getName()}, thread dumps, JFR) stays as
     * it was. Longer names are cut to {@value #KERNEL_NAME_BYTES} UTF-8 bytes, never inside a
     * character. The JVM does not know of the change: a later {@code Thread.setName} from the thread
     * itself overwrites it.
     *
     * @param name the kernel name, at most {@value #KERNEL_NAME_BYTES} bytes are kept
     * @return the name as the kernel keeps it (after cutting)
     * @throws IllegalArgumentException if {@code name} is empty or contains a NUL character
     * @throws IllegalStateException if the caller is a virtual thread (it would rename its carrier)
     * @throws UnsupportedOperationException where the native calls are not supported
     * @throws AffinityException if the kernel refuses ({@code prctl} sets errno)
     */
    public static String setCurrentThreadKernelName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("name: \"" + name.replace("\0", "\\0")
                    + "\" (expected: a non-empty name without NUL characters)");
        }
        requirePlatformThread("setCurrentThreadKernelName");
        requireSupported("prctl");
        String kept = cutToKernelName(name);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocateFrom(kept);
            MemorySegment state = LinuxCalls.newCallState(arena);
            int rc = (int) LinuxCalls.PRCTL_NAME.invokeExact(state, LinuxCalls.PR_SET_NAME, text);
            if (rc != 0) {
                int errno = LinuxCalls.errno(state);
                throw new AffinityException("prctl(PR_SET_NAME)", errno, 0, CpuSet.empty(), CpuSet.empty(),
                        Errno.meaning(errno) + " (name \"" + kept + "\")");
            }
            return kept;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * {@code name} cut to at most {@value #KERNEL_NAME_BYTES} UTF-8 bytes at a character boundary:
     * the name the kernel would keep.
     *
     * @param name a thread name
     * @return its longest prefix that fits a kernel thread name
     */
    public static String cutToKernelName(String name) {
        Objects.requireNonNull(name, "name");
        int bytes = 0;
        int end = 0;
        while (end < name.length()) {
            int cp = name.codePointAt(end);
            int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + size > KERNEL_NAME_BYTES) {
                break;
            }
            bytes += size;
            end += Character.charCount(cp);
        }
        return name.substring(0, end);
    }

    /** sched_setaffinity; the errno, or 0 on success. */
    private static int setAffinity(int tid, CpuSet cpus) {
        long[] words = cpus.toWords();
        int bytes = Math.max(maskBytes, words.length * Long.BYTES);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(bytes, Long.BYTES);
            MemorySegment.copy(words, 0, mask, ValueLayout.JAVA_LONG, 0, words.length);
            MemorySegment state = LinuxCalls.newCallState(arena);
            int rc = (int) LinuxCalls.SCHED_SETAFFINITY.invokeExact(state, tid, (long) bytes, mask);
            return rc == 0 ? 0 : LinuxCalls.errno(state);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static AffinityException refusal(String call, int errno, int tid, CpuSet requested) {
        PinnableCpus pinnable = PinnableCpus.now();
        String detail = errno == Errno.EINVAL && !requested.isEmpty()
                ? pinnable.explain(requested, Errno.meaning(errno))
                : Errno.meaning(errno);
        return new AffinityException(call, errno, tid, requested, pinnable.allowed, detail);
    }

    private static String allowedForMessages() {
        CpuSet allowed = PinnableCpus.now().allowed;
        return allowed.isEmpty() ? "unknown" : allowed.toString();
    }

    private static void checkTid(int tid) {
        if (tid < 0) {
            throw new IllegalArgumentException("tid: " + tid
                    + " (expected: a Linux thread id of this process, or 0 for the calling thread)");
        }
    }

    private static void requireSupported(String call) {
        if (LinuxCalls.UNSUPPORTED_REASON != null) {
            throw new UnsupportedOperationException(call + ": " + LinuxCalls.UNSUPPORTED_REASON);
        }
    }

    private static void requirePlatformThread(String method) {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("Affinity." + method + " called from virtual thread "
                    + Thread.currentThread() + ": it would pin whichever carrier runs it now; "
                    + "use CoreManager.go(cpu, task) for a virtual thread that stays on one cpu");
        }
    }

    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed", t);
    }
}
