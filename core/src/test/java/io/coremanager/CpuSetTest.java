package io.coremanager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CpuSetTest {

    @Test
    void parsesTheListFormat() {
        CpuSet set = CpuSet.parse("0-3,8,10-11");
        assertThat(set.toArray()).containsExactly(0, 1, 2, 3, 8, 10, 11);
        assertThat(set.size()).isEqualTo(7);
        assertThat(set).hasToString("0-3,8,10-11");
    }

    @Test
    void toleratesSurroundingWhitespaceAndTrailingNewline() {
        assertThat(CpuSet.parse("  0-1,5\n")).isEqualTo(CpuSet.of(0, 1, 5));
        assertThat(CpuSet.parse("")).isEqualTo(CpuSet.empty());
        assertThat(CpuSet.parse(" \n")).isEqualTo(CpuSet.empty());
    }

    @Test
    void parsesTheKernelsStridedRanges() {
        assertThat(CpuSet.parse("0-15:2/4")).hasToString("0-1,4-5,8-9,12-13");
        assertThat(CpuSet.parse("0-6:1/3")).hasToString("0,3,6");
    }

    @Test
    void parsesTheMaskFormat() {
        assertThat(CpuSet.parseMask("00000000,0000ff0f")).hasToString("0-3,8-15");
        assertThat(CpuSet.parseMask("ffff,ffffffff\n")).isEqualTo(CpuSet.range(0, 47));
        assertThat(CpuSet.parseMask("80000000,00000000,00000001")).hasToString("0,95");
        assertThat(CpuSet.parseMask("0")).isEmpty();
        assertThat(CpuSet.parseMask("")).isEmpty();
    }

    @Test
    void printsTheMaskFormat() {
        assertThat(CpuSet.parse("0-3,8-15").toMask()).isEqualTo("0000ff0f");
        assertThat(CpuSet.of(32).toMask()).isEqualTo("00000001,00000000");
        assertThat(CpuSet.empty().toMask()).isEqualTo("00000000");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "0-a      | expected a cpu number, found 'a' at position 2",
        "5-3      | range 5-3 runs backwards (expected: first <= last) at position 0",
        "-1       | expected a cpu number, found '-' at position 0",
        "1,,2     | expected a cpu number, found ',' at position 2",
        "1,       | expected a cpu number, found the end of the input at position 2",
        "99999999999999999999 | is past the largest supported cpu 65535 at position 0",
        "65536    | cpu 65536 is past the largest supported cpu 65535 at position 0",
        "1 2      | expected ',' or the end of the list, found ' ' at position 1",
        "0-7:3/2  | stride 3/2 uses more cpus than its group holds",
        "0-7:0/2  | count 0 is out of range",
        "3-       | expected a cpu number, found the end of the input at position 2",
    })
    void rejectsMalformedListsNamingInputPositionAndExpectation(String input, String problem) {
        assertThatThrownBy(() -> CpuSet.parse(input))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cpu list \"" + input + "\"")
                .hasMessageContaining(problem)
                .hasMessageContaining("expected: a cpu list such as 0-3,8,10-11");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "0000fg0f          | expected a hex digit, found 'g' at position 5",
        "ff,ff             | word \"ff\" has 2 digits (expected: 8) at position 3",
        "123456789         | word \"123456789\" has 9 digits (expected: 1 to 8) at position 0",
        "ff,,00000000      | word \"\" has 0 digits (expected: 8) at position 3",
    })
    void rejectsMalformedMasks(String input, String problem) {
        assertThatThrownBy(() -> CpuSet.parseMask(input))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cpu mask \"" + input + "\"")
                .hasMessageContaining(problem);
    }

    @Test
    void rejectsMaskBitsPastTheLargestCpu() {
        String huge = "1" + ",00000000".repeat(2048); // bit 65536
        assertThatThrownBy(() -> CpuSet.parseMask(huge))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("above the largest supported cpu 65535");
    }

    @Test
    void iteratesInOrderByFirstAndNext() {
        CpuSet set = CpuSet.of(1500, 3, 64, 63, 0);
        List<Integer> walked = new ArrayList<>();
        for (int cpu = set.first(); cpu >= 0; cpu = set.next(cpu)) {
            walked.add(cpu);
        }
        assertThat(walked).containsExactly(0, 3, 63, 64, 1500);
        assertThat(set).containsExactly(0, 3, 63, 64, 1500);
        assertThat(set.stream().toArray()).containsExactly(0, 3, 63, 64, 1500);
        assertThat(set.last()).isEqualTo(1500);
        assertThat(set.get(3)).isEqualTo(64);
        assertThat(set.next(1500)).isEqualTo(-1);
        assertThat(CpuSet.empty().first()).isEqualTo(-1);
        assertThat(CpuSet.empty().last()).isEqualTo(-1);
    }

    @Test
    void setAlgebra() {
        CpuSet a = CpuSet.parse("0-7");
        CpuSet b = CpuSet.parse("4-11");
        assertThat(a.union(b)).hasToString("0-11");
        assertThat(a.intersect(b)).hasToString("4-7");
        assertThat(a.minus(b)).hasToString("0-3");
        assertThat(b.minus(a)).hasToString("8-11");
        assertThat(a.minus(a)).isEqualTo(CpuSet.empty());
        assertThat(a.containsAll(CpuSet.parse("2-3"))).isTrue();
        assertThat(a.containsAll(b)).isFalse();
        assertThat(a.intersects(b)).isTrue();
        assertThat(a.intersects(CpuSet.of(2000))).isFalse();
        assertThat(a.with(9)).hasToString("0-7,9");
        assertThat(a.without(0)).hasToString("1-7");
    }

    @Test
    void valueEqualityIgnoresHowTheSetWasBuilt() {
        CpuSet viaRange = CpuSet.range(0, 199).minus(CpuSet.range(100, 199));
        assertThat(viaRange).isEqualTo(CpuSet.range(0, 99)).hasSameHashCodeAs(CpuSet.range(0, 99));
        assertThat(CpuSet.of(1, 1, 1)).isEqualTo(CpuSet.of(1));
    }

    @Test
    void factoriesCheckTheirArguments() {
        assertThatThrownBy(() -> CpuSet.of(-1)).hasMessage("cpu: -1 (expected: a cpu number from 0 to 65535)");
        assertThatThrownBy(() -> CpuSet.range(5, 3)).hasMessageContaining("range 5-3 runs backwards");
        assertThat(CpuSet.fromWords(new long[1025])).isEqualTo(CpuSet.empty());
        assertThatThrownBy(() -> CpuSet.empty().get(0)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
