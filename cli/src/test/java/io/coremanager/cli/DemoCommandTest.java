package io.coremanager.cli;

import org.junit.jupiter.api.Test;

import static io.coremanager.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

class DemoCommandTest {

    @Test
    void aShortDemoPassesWithNoOffCpuObservation() {
        MainTest.Result r = run("demo", "--tasks", "200", "--vthreads", "2", "--rounds", "3");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("cpu      tasks  vthreads     checks   off-cpu      steps/s")
                .contains("default scheduler: ")
                .contains("core-affine: 0 off-cpu observations in ");
        assertThat(r.err()).contains("100%");
    }

    @Test
    void aMalformedCpuListIsExitCodeTwoAndOneLine() {
        MainTest.Result r = run("demo", "--cpus", "0-a");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("coremanager: Invalid value for option '--cpus': cpu list \"0-a\": "
                + "expected a cpu number, found 'a' at position 2").doesNotContain("\tat ");
    }

    @Test
    void aCpuThatCannotBeManagedIsExitCodeTwo() {
        MainTest.Result r = run("demo", "--cpus", "4000");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("coremanager: cpus 4000 cannot be managed: cpus 4000 do not exist")
                .doesNotContain("\n");
    }
}
