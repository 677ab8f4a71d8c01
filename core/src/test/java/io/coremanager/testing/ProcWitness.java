package io.coremanager.testing;

import io.coremanager.CpuSet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An independent witness of where the calling OS thread runs and may run: the kernel's own view in
 * {@code /proc/thread-self}, read without any of the library's native code.
 */
public final class ProcWitness {

    private static final Path STAT = Path.of("/proc/thread-self/stat");
    private static final Path STATUS = Path.of("/proc/thread-self/status");

    private ProcWitness() {
    }

    /** The {@code processor} field (39) of {@code /proc/thread-self/stat}: the CPU last run on. */
    public static int processor() {
        String stat = read(STAT);
        // comm (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Integer.parseInt(fields[39 - 3]);
    }

    /** {@code Cpus_allowed_list} of {@code /proc/thread-self/status}: the thread's affinity mask. */
    public static CpuSet cpusAllowed() {
        for (String line : read(STATUS).split("\n")) {
            if (line.startsWith("Cpus_allowed_list:")) {
                return CpuSet.parse(line.substring("Cpus_allowed_list:".length()));
            }
        }
        throw new IllegalStateException("no Cpus_allowed_list in " + STATUS);
    }

    /** Whether this machine has the files (Linux with procfs). */
    public static boolean available() {
        return Files.isReadable(STAT) && Files.isReadable(STATUS);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
