package io.coremanager.examples;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@code ```java} block of the README (and of {@code examples/README.md}) compiles against
 * the library, Netty, the LMAX Disruptor and Micrometer, so the examples cannot drift from the
 * API. Each block is one dynamic test named after its file, number and line; a failure quotes the
 * compiler's message with the README line it is about.
 *
 * <h2>How a block is compiled: the convention for README authors</h2>
 * <ul>
 *   <li>A block that starts with {@code package}, {@code import} or a type declaration
 *       ({@code class}, {@code record}, {@code interface}, {@code enum}, {@code public ...}) is a
 *       whole compilation unit and is compiled as it stands.</li>
 *   <li>Any other block is a snippet: statements, placed in the body of a method that may throw
 *       {@code Exception}, inside a class that imports {@link #IMPORTS} (java.util, java.util.concurrent,
 *       java.time, java.net, java.nio.file, every exported package of CoreManager, its Micrometer
 *       module, Netty's channel packages and the Disruptor) and declares the stubs of
 *       {@link #PRELUDE}, which give the names examples use without defining them a type:
 *       {@code work()} (returns int), {@code log()}, {@code serve(socket)}, {@code localCount()}
 *       (returns long), {@code userId}, {@code socket}, {@code cores}, {@code registry},
 *       {@code Event} (a Disruptor event). A snippet may declare its own {@code cores}; it shadows
 *       the stub.</li>
 *   <li>A new undefined name in a snippet: add a stub to {@link #PRELUDE} (keep it a plausible
 *       type), or define it in the snippet.</li>
 *   <li>A block that must not compile (pseudo-code, a deliberately wrong example): put the line
 *       {@code <!-- not compiled -->} right before its opening fence, and say in the text why.</li>
 * </ul>
 * Only errors fail; warnings (an unused variable in a snippet) do not. Nothing is run.
 */
class ReadmeExamplesTest {

    /** The Markdown files whose java blocks must compile, relative to the repository root. */
    private static final List<String> FILES = List.of("README.md", "examples/README.md");

    /** What a snippet sees without importing it. */
    static final List<String> IMPORTS = List.of(
            "java.util.*", "java.util.concurrent.*", "java.util.function.*", "java.time.*", "java.net.*",
            "java.nio.*", "java.nio.file.*",
            "io.coremanager.*", "io.coremanager.affinity.*", "io.coremanager.topology.*",
            "io.coremanager.reservation.*", "io.coremanager.isolation.*", "io.coremanager.micrometer.*",
            "io.micrometer.core.instrument.*",
            "io.netty.channel.*", "io.netty.channel.nio.*",
            "com.lmax.disruptor.*", "com.lmax.disruptor.dsl.*");

    /** The stubs a snippet may use as if the surrounding application had them. */
    static final String PRELUDE = """
                static int work() { return 0; }
                static void log() { }
                static void serve(Socket socket) { }
                static long localCount() { return 0; }
                String userId = "user-1";
                Socket socket = new Socket();
                CoreManager cores;
                MeterRegistry registry;
                static final class Event { long value; }
                String key = "key-1";
                Path path = Path.of("data.txt");
                LaneLocal<Map<Path, String>> cache;
                Object session;
                static void use(ByteBuffer buffer) { }
                void flush() { }
                static void expire(Object session) { }
                static void step() { }
                String[] args = {};
            """;

    private static final String NOT_COMPILED = "<!-- not compiled -->";

    /** One fenced java block: where it is and its text. */
    record Block(String file, int number, int fenceLine, String code) {

        String name() {
            return file + " block " + number + " (line " + fenceLine + ")";
        }

        boolean isCompilationUnit() {
            String first = code.lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("//") && !l.startsWith("/*") && !l.startsWith("*"))
                    .findFirst().orElse("");
            return first.matches("(package|import|public|final|abstract|sealed|class|record|interface|enum)\\b.*");
        }
    }

    @TestFactory
    Stream<DynamicTest> everyJavaBlockCompiles() throws IOException {
        Path root = repositoryRoot();
        List<Block> blocks = new ArrayList<>();
        for (String file : FILES) {
            Path path = root.resolve(file);
            if (Files.exists(path)) {
                blocks.addAll(javaBlocks(file, Files.readAllLines(path, StandardCharsets.UTF_8)));
            }
        }
        assertThat(blocks).as("java blocks in README.md").anyMatch(b -> b.file().equals("README.md"));
        return blocks.stream().map(b -> DynamicTest.dynamicTest(b.name(), () -> compile(b)));
    }

    /** The java blocks of a Markdown file, in order; fences may be indented (inside a list). */
    static List<Block> javaBlocks(String file, List<String> lines) {
        List<Block> blocks = new ArrayList<>();
        int number = 0;
        for (int i = 0; i < lines.size(); i++) {
            String fence = lines.get(i).strip();
            if (!fence.startsWith("```")) {
                continue;
            }
            String info = fence.substring(3).strip().toLowerCase(Locale.ROOT);
            int end = i + 1;
            while (end < lines.size() && !lines.get(end).strip().startsWith("```")) {
                end++;
            }
            if (info.equals("java") || info.startsWith("java ")) {
                number++;
                boolean skipped = i > 0 && lines.get(i - 1).strip().equals(NOT_COMPILED);
                if (!skipped) {
                    blocks.add(new Block(file, number, i + 1, String.join("\n", lines.subList(i + 1, end))));
                }
            }
            i = end;
        }
        return blocks;
    }

    private static void compile(Block block) throws IOException {
        String className = "ReadmeBlock" + block.number();
        StringBuilder source = new StringBuilder();
        int firstCodeLine;
        if (block.isCompilationUnit()) {
            firstCodeLine = 1;
            source.append(block.code()).append('\n');
        } else {
            for (String i : IMPORTS) {
                source.append("import ").append(i).append(";\n");
            }
            source.append("@SuppressWarnings(\"all\")\nclass ").append(className).append(" {\n").append(PRELUDE)
                    .append("    void block() throws Exception {\n");
            firstCodeLine = (int) source.chars().filter(c -> c == '\n').count() + 1;
            source.append(block.code()).append("\n    }\n}\n");
        }
        JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///" + fileName(block, className)),
                JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Path out = Files.createTempDirectory("readme-block");
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            files.setLocation(StandardLocation.CLASS_OUTPUT, List.of(out.toFile()));
            List<String> options = List.of("-proc:none", "-classpath", System.getProperty("java.class.path"));
            boolean ok = javac.getTask(null, files, diagnostics, options, null, List.of(file)).call();
            List<String> errors = diagnostics.getDiagnostics().stream()
                    .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                    .map(d -> describe(block, firstCodeLine, d)).toList();
            assertThat(errors).as("%s does not compile; see ReadmeExamplesTest's Javadoc for how blocks are"
                    + " compiled", block.name()).isEmpty();
            assertThat(ok).as(block.name()).isTrue();
        } finally {
            try (Stream<Path> walk = Files.walk(out)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String fileName(Block block, String className) {
        if (!block.isCompilationUnit()) {
            return className + ".java";
        }
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("(?m)^\\s*public\\s+(?:final\\s+|abstract\\s+|sealed\\s+)*(?:class|record|interface|enum)\\s+(\\w+)")
                .matcher(block.code());
        return (m.find() ? m.group(1) : className) + ".java";
    }

    private static String describe(Block block, int firstCodeLine, Diagnostic<? extends JavaFileObject> d) {
        long codeLine = d.getLineNumber() - firstCodeLine;
        String where = codeLine >= 0 && codeLine < block.code().lines().count()
                ? block.file() + " line " + (block.fenceLine() + 1 + codeLine) + ": "
                        + block.code().lines().skip(codeLine).findFirst().orElse("").strip()
                : block.file() + " block " + block.number() + " (generated line " + d.getLineNumber() + ")";
        return where + "\n    " + d.getMessage(Locale.ROOT);
    }

    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.exists(dir.resolve("README.md")) && Files.exists(dir.resolve("mvnw")))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("the repository root (with README.md and mvnw) above " + Path.of("").toAbsolutePath())
                .isNotNull();
        return dir;
    }
}
