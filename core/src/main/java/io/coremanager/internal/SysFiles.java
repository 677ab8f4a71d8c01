package io.coremanager.internal;

import io.coremanager.CpuSet;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the small text files of sysfs, procfs and cgroupfs. Kernel files report a size of 4096 or
 * 0 whatever they hold, so they are read to their end, up to a cap that keeps a corrupt or hostile
 * tree (a link to a device, a huge file) from costing more than a bounded read.
 */
public final class SysFiles {

    /** The most a pseudo-file read returns; the largest real ones (cpuinfo of 8192 CPUs) fit. */
    public static final int MAX_BYTES = 16 << 20;

    private SysFiles() {
    }

    /**
     * The file's text, decoded as ISO-8859-1 so that no byte sequence fails to decode, up to its
     * first NUL byte: the kernel never writes one, but snapshot tools that copy sysfs (hwloc's
     * {@code hwloc-gather-topology} among them) leave a C string terminator behind.
     *
     * @throws IOException if the file cannot be read or is larger than {@link #MAX_BYTES}
     */
    public static String read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": " + (Files.exists(file) ? "not a regular file" : "missing"));
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw new IOException(file + ": larger than " + MAX_BYTES + " bytes");
            }
            int end = 0;
            while (end < bytes.length && bytes[end] != 0) {
                end++;
            }
            return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
        }
    }

    /**
     * The file's text with surrounding whitespace removed, or {@code null} when it is missing or
     * unreadable: for optional files whose absence is an answer in itself.
     */
    public static String readOptional(Path file) {
        try {
            return read(file).strip();
        } catch (IOException e) {
            return null;
        }
    }

    /** The CPU list in the file, or {@code null} when it is missing, unreadable or malformed. */
    public static CpuSet readCpuListOptional(Path file) {
        String text = readOptional(file);
        if (text == null) {
            return null;
        }
        try {
            return CpuSet.parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
