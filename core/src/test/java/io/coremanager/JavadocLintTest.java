package io.coremanager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Doclint {@code all} on every exported package of the library, file by file: each public and
 * protected member documents its parameters, return value and exceptions, and no comment has an
 * HTML, reference or syntax error. Runs {@code javac -Xdoclint:all/protected} on the module's
 * sources (javac's doclint is javadoc's, without writing HTML), restricted to the packages
 * module-info exports.
 *
 * <p>The Javadoc build (maven-javadoc-plugin, doclint {@code all}) enforces the same with
 * {@code failOnWarnings}, except in core while {@link #PENDING} is not empty: those files are being
 * rewritten on other branches. When they are finished, empty {@link #PENDING} and delete the
 * {@code failOnWarnings} override in core/pom.xml.
 */
class JavadocLintTest {

    /** Files whose doclint warnings are tolerated for now (paths under src/main/java). */
    static final Set<String> PENDING = Set.of();

    private static final Path SOURCES = Path.of("src/main/java");

    @Test
    void everyExportedFileOutsideThePendingListIsDoclintClean(@TempDir Path out) throws Exception {
        List<String> exported = exportedPackages();
        assertThat(exported).contains("io.coremanager");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                "-Xdoclint:all/protected", "-Xdoclint/package:" + String.join(",", exported),
                "-Xmaxwarns", "100000", "-Xmaxerrs", "100000", "-proc:none", "-implicit:none",
                "-d", out.toString(), "--module-source-path", "io.coremanager=" + SOURCES,
                "--module", "io.coremanager"));
        Process javac = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(javac.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(javac.waitFor(180, TimeUnit.SECONDS)).as("javac finished").isTrue();

        List<String> offences = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^(?:.*/)?src/main/java/(\\S+?\\.java):(\\d+): (?:warning|error): (.*)$")
                .matcher(output);
        while (m.find()) {
            String file = m.group(1);
            if (PENDING.stream().noneMatch(file::startsWith)) {
                offences.add(file + ":" + m.group(2) + ": " + m.group(3));
            }
        }
        assertThat(offences).as("doclint all: warnings in exported packages, outside PENDING").isEmpty();
        assertThat(javac.exitValue()).as(output).isZero();
    }

    private static List<String> exportedPackages() throws IOException {
        String moduleInfo = Files.readString(SOURCES.resolve("module-info.java"));
        List<String> packages = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\s*exports\\s+([\\w.]+)\\s*;").matcher(moduleInfo);
        while (m.find()) {
            packages.add(m.group(1));
        }
        return packages;
    }
}
