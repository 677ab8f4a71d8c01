package io.coremanager.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void versionNamesTheJvmAndAffinitySupport() {
        Result r = run("--version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("coremanager ").contains("java 25").contains("affinity: ");
    }

    @Test
    void anUnknownCommandIsExitCodeTwoAndOneClearLine() {
        Result r = run("frobnicate");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("coremanager: Unmatched argument at index 0: 'frobnicate'")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void helpListsTheCommands() {
        Result r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: coremanager");
    }
}
