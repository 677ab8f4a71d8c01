package io.coremanager;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.BitSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CpuSetProperties {

    @Provide
    Arbitrary<CpuSet> cpuSets() {
        Arbitrary<Integer> small = Arbitraries.integers().between(0, 200);
        Arbitrary<Integer> anywhere = Arbitraries.integers().between(0, CpuSet.MAX_CPU);
        Arbitrary<Integer> aroundBigMachines = Arbitraries.integers().between(1000, 9000);
        Arbitrary<Integer> cpu = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, small), net.jqwik.api.Tuple.of(3, aroundBigMachines),
                net.jqwik.api.Tuple.of(1, anywhere));
        Arbitrary<CpuSet> scattered = cpu.set().ofMaxSize(60).map(CpuSetProperties::toSet);
        Arbitrary<CpuSet> ranges = Combinators.combine(cpu, Arbitraries.integers().between(0, 300))
                .as((from, length) -> CpuSet.range(from, Math.min(CpuSet.MAX_CPU, from + length)))
                .list().ofMaxSize(5)
                .map(list -> list.stream().reduce(CpuSet.empty(), CpuSet::union));
        return Arbitraries.oneOf(scattered, ranges);
    }

    private static CpuSet toSet(Set<Integer> cpus) {
        return CpuSet.of(cpus.stream().mapToInt(Integer::intValue).toArray());
    }

    @Property
    void listFormatRoundTrips(@ForAll("cpuSets") CpuSet set) {
        assertThat(CpuSet.parse(set.toString())).isEqualTo(set);
    }

    @Property
    void maskFormatRoundTrips(@ForAll("cpuSets") CpuSet set) {
        assertThat(CpuSet.parseMask(set.toMask())).isEqualTo(set);
    }

    @Property
    void wordsRoundTrip(@ForAll("cpuSets") CpuSet set) {
        assertThat(CpuSet.fromWords(set.toWords())).isEqualTo(set);
        assertThat(BitSet.valueOf(set.toWords()).cardinality()).isEqualTo(set.size());
    }

    @Property
    void algebraAgreesWithBitSet(@ForAll("cpuSets") CpuSet a, @ForAll("cpuSets") CpuSet b) {
        BitSet union = BitSet.valueOf(a.toWords());
        union.or(BitSet.valueOf(b.toWords()));
        BitSet intersection = BitSet.valueOf(a.toWords());
        intersection.and(BitSet.valueOf(b.toWords()));
        BitSet difference = BitSet.valueOf(a.toWords());
        difference.andNot(BitSet.valueOf(b.toWords()));
        assertThat(a.union(b).toWords()).containsExactly(union.toLongArray());
        assertThat(a.intersect(b).toWords()).containsExactly(intersection.toLongArray());
        assertThat(a.minus(b).toWords()).containsExactly(difference.toLongArray());
        assertThat(a.intersects(b)).isEqualTo(!intersection.isEmpty());
        assertThat(a.containsAll(b)).isEqualTo(b.minus(a).isEmpty());
    }

    @Property
    void iterationVisitsEachMemberOnceInOrder(@ForAll("cpuSets") CpuSet set) {
        int[] cpus = set.toArray();
        assertThat(cpus).isSorted().doesNotHaveDuplicates().hasSize(set.size());
        assertThat(set.stream().toArray()).containsExactly(cpus);
        for (int i = 0; i < cpus.length; i++) {
            assertThat(set.get(i)).isEqualTo(cpus[i]);
            assertThat(set.contains(cpus[i])).isTrue();
        }
        assertThat(set.first()).isEqualTo(cpus.length == 0 ? -1 : cpus[0]);
        assertThat(set.last()).isEqualTo(cpus.length == 0 ? -1 : cpus[cpus.length - 1]);
    }

    @Provide
    Arbitrary<String> malformedLists() {
        Arbitrary<String> junk = Arbitraries.strings().withChars("0123456789,-:/ xa\t").ofMinLength(1).ofMaxLength(20);
        return junk.filter(s -> !isWellFormedList(s.strip()));
    }

    /** An independent, regex-based recogniser of the list grammar (numbers not range-checked). */
    private static boolean isWellFormedList(String s) {
        if (s.isEmpty()) {
            return true;
        }
        String item = "[0-9]+(-[0-9]+(:[0-9]+/[0-9]+)?)?";
        return s.matches(item + "(," + item + ")*");
    }

    @Property
    void everyMalformedListIsRejectedWithAMessage(@ForAll("malformedLists") String input) {
        assertThatThrownBy(() -> CpuSet.parse(input))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cpu list \"")
                .hasMessageContaining("at position")
                .hasMessageContaining("expected");
    }

    @Property
    void wellFormedListsParseOrFailOnlyForRangeReasons(@ForAll("cpuSets") CpuSet a, @ForAll("cpuSets") CpuSet b) {
        String joined = a.isEmpty() || b.isEmpty() ? a.toString() + b : a + "," + b;
        assertThat(CpuSet.parse(joined)).isEqualTo(a.union(b));
    }

    @Provide
    Arbitrary<String> malformedMasks() {
        return Arbitraries.strings().withChars("0123456789abcdefABCDEFg, x").ofMinLength(1).ofMaxLength(30)
                .filter(s -> !s.strip().matches("[0-9a-fA-F]{1,8}(,[0-9a-fA-F]{8})*"))
                .filter(s -> !s.strip().isEmpty());
    }

    @Property
    void everyMalformedMaskIsRejectedWithAMessage(@ForAll("malformedMasks") String input) {
        assertThatThrownBy(() -> CpuSet.parseMask(input))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cpu mask \"")
                .hasMessageContaining("at position");
    }
}
