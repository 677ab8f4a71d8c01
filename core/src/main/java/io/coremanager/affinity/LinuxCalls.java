package io.coremanager.affinity;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Locale;
import java.util.Optional;
import java.lang.invoke.MethodType;

/**
 * The libc calls behind {@link Affinity}, bound once through the FFM linker.
 *
 * <p>Every handle is a {@code static final} field so that the JIT treats it as a constant and
 * inlines the downcall. Binding never throws out of the static initializer: a failure (another
 * platform, native access denied) leaves the handles {@code null} and {@link #UNSUPPORTED_REASON}
 * saying why, so that a caller sees {@code isSupported() == false} rather than a
 * {@code NoClassDefFoundError} later.
 */
final class LinuxCalls {

    /** Why affinity is unavailable here, or {@code null} when it is available. */
    static final String UNSUPPORTED_REASON;

    /** {@code int sched_getcpu(void)}: a critical downcall, no thread-state transition. */
    static final MethodHandle SCHED_GETCPU;
    /** {@code int sched_getaffinity(pid_t, size_t, cpu_set_t*)}, errno captured. */
    static final MethodHandle SCHED_GETAFFINITY;
    /** {@code int sched_setaffinity(pid_t, size_t, const cpu_set_t*)}, errno captured. */
    static final MethodHandle SCHED_SETAFFINITY;
    /** {@code pid_t gettid(void)}, or {@code syscall(SYS_gettid)} on a libc without it. */
    static final MethodHandle GETTID;
    /** {@code int prctl(int option, ...)} bound as {@code prctl(int, char*)} for {@code PR_SET_NAME}, errno captured. */
    static final MethodHandle PRCTL_NAME;
    /** {@code PR_SET_NAME} from {@code <linux/prctl.h>}. */
    static final int PR_SET_NAME = 15;
    /** The layout of the captured call state (errno). */
    static final StructLayout CAPTURE_LAYOUT;
    private static final VarHandle ERRNO;

    static {
        String reason = null;
        MethodHandle getcpu = null;
        MethodHandle getaffinity = null;
        MethodHandle setaffinity = null;
        MethodHandle gettid = null;
        MethodHandle prctlName = null;
        StructLayout captureLayout = null;
        VarHandle errno = null;
        String os = System.getProperty("os.name", "?");
        String arch = System.getProperty("os.arch", "?");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
            reason = "cpu affinity is supported on Linux only; this platform is " + os + " " + arch;
        } else if (ValueLayout.ADDRESS.byteSize() != 8) {
            reason = "cpu affinity needs a 64-bit JVM; this one is " + arch;
        } else {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Linker.Option errnoOption = Linker.Option.captureCallState("errno");
                captureLayout = Linker.Option.captureStateLayout();
                errno = captureLayout.varHandle(MemoryLayout.PathElement.groupElement("errno"));
                FunctionDescriptor affinityCall = FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
                getcpu = linker.downcallHandle(find(libc, "sched_getcpu"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT), Linker.Option.critical(false));
                getaffinity = linker.downcallHandle(find(libc, "sched_getaffinity"), affinityCall, errnoOption);
                setaffinity = linker.downcallHandle(find(libc, "sched_setaffinity"), affinityCall, errnoOption);
                gettid = bindGettid(linker, libc, arch);
                prctlName = linker.downcallHandle(find(libc, "prctl"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS),
                        Linker.Option.firstVariadicArg(1), errnoOption);
            } catch (Throwable t) {
                // IllegalCallerException when native access is denied; UnsatisfiedLinkError-like
                // failures on an odd libc. Reported through isSupported(), never thrown from here.
                reason = "the native calls could not be bound (" + t + "); run the JVM with "
                        + "--enable-native-access=ALL-UNNAMED (or the name of the module using CoreManager)";
                getcpu = getaffinity = setaffinity = gettid = prctlName = null;
            }
        }
        UNSUPPORTED_REASON = reason;
        SCHED_GETCPU = getcpu;
        SCHED_GETAFFINITY = getaffinity;
        SCHED_SETAFFINITY = setaffinity;
        GETTID = gettid;
        PRCTL_NAME = prctlName;
        CAPTURE_LAYOUT = captureLayout;
        ERRNO = errno;
    }

    private LinuxCalls() {
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name));
    }

    /** glibc 2.30+ and musl 1.2.2+ export gettid; older ones need the raw system call. */
    private static MethodHandle bindGettid(Linker linker, SymbolLookup libc, String arch) {
        Optional<MemorySegment> gettid = libc.find("gettid");
        if (gettid.isPresent()) {
            return linker.downcallHandle(gettid.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT),
                    Linker.Option.critical(false));
        }
        long number = switch (arch) {
            case "amd64", "x86_64" -> 186;
            case "aarch64", "riscv64", "loongarch64" -> 178;
            case "ppc64", "ppc64le" -> 207;
            case "s390x" -> 236;
            default -> throw new IllegalStateException("no gettid and no known SYS_gettid for " + arch);
        };
        MethodHandle syscall = linker.downcallHandle(find(libc, "syscall"),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), Linker.Option.firstVariadicArg(1));
        MethodHandle bound = MethodHandles.insertArguments(syscall, 0, number);
        return MethodHandles.explicitCastArguments(bound, MethodType.methodType(int.class));
    }

    /** The errno captured in {@code state} by the last call made with it. */
    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** A fresh capture-state segment in {@code arena}. */
    static MemorySegment newCallState(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }
}
