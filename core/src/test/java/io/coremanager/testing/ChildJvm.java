package io.coremanager.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a program in a JVM of its own (the running JDK's {@code java}), for behaviour that depends on
 * JVM flags or on the module path; and compiles a module from source for it (with the running
 * JDK's {@code javac}, as a process: these tests compile into the io.coremanager module, which does
 * not read java.compiler).
 */
public final class ChildJvm {

    /** How long a child may run before the test fails; generous for a loaded 2-CPU CI machine. */
    public static final long TIMEOUT_SECONDS = 120;

    private ChildJvm() {
    }

    /** The exit status and the interleaved stdout and stderr of a child JVM. */
    public record Result(int exitCode, String output) {
    }

    /**
     * Runs {@code java} with {@code arguments} and waits for it.
     *
     * @param arguments JVM flags, then what to run and its arguments
     * @return the exit status and output
     * @throws IOException if the JVM cannot be started
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError if it runs past {@link #TIMEOUT_SECONDS} (it is killed)
     */
    public static Result run(List<String> arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(arguments);
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                child.getInputStream().transferTo(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        if (!child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            reader.join();
            throw new AssertionError("still running after " + TIMEOUT_SECONDS + " s: " + command + "\n"
                    + out.toString(StandardCharsets.UTF_8));
        }
        reader.join();
        return new Result(child.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    /**
     * Where a class was loaded from: its classes folder or jar.
     *
     * @param type a class loaded from the file system
     * @return the folder or jar
     */
    public static Path locationOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Compiles every {@code .java} file under {@code sourceRoot} (a module: module-info.java at its
     * root) into {@code outputDir}, against {@code modulePath}; warnings are errors.
     *
     * @param sourceRoot the module's source folder
     * @param outputDir where the classes go
     * @param modulePath the modules it requires
     * @throws IOException if the sources cannot be listed
     * @throws AssertionError with the compiler's messages if it does not compile
     */
    public static void compileModule(Path sourceRoot, Path outputDir, List<Path> modulePath) throws IOException {
        List<String> files;
        try (Stream<Path> walk = Files.walk(sourceRoot)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toString).toList();
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                "-Xlint:all", "-Werror", "-d", outputDir.toString(), "--module-path", join(modulePath)));
        command.addAll(files);
        Process javac = new ProcessBuilder(command).redirectErrorStream(true).start();
        String messages = new String(javac.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!javac.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS) || javac.exitValue() != 0) {
                javac.destroyForcibly();
                throw new AssertionError("javac failed: " + command + "\n" + messages);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while compiling " + sourceRoot, e);
        }
    }

    /**
     * A module path or class path of these entries.
     *
     * @param entries folders and jars
     * @return the entries joined with the platform's path separator
     */
    public static String join(List<Path> entries) {
        return String.join(java.io.File.pathSeparator, entries.stream().map(Path::toString).toList());
    }
}
