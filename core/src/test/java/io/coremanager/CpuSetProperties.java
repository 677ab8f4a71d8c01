package io.coremanager;

import io.coremanager.testing.PropertyCheck;
import io.coremanager.testing.PropertyCheck.Gen;
import io.coremanager.testing.PropertyCheck.Shrinker;
import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.coremanager.testing.PropertyCheck.forAll;
import static io.coremanager.testing.PropertyCheck.frequency;
import static io.coremanager.testing.PropertyCheck.ints;
import static io.coremanager.testing.PropertyCheck.lists;
import static io.coremanager.testing.PropertyCheck.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * CpuSet's formats and algebra against independent models (BitSet, a regex of the list grammar),
 * on random sets that reach past 1024 CPUs. See {@link PropertyCheck} for seeds and replay.
 */
class CpuSetProperties {

    private static final int TRIES = 1000;

    /** Mostly small machines, often big ones (1000-9000), sometimes anywhere up to MAX_CPU. */
    private static final Gen<Integer> CPU = frequency(new int[] {5, 3, 1},
            ints(0, 200), ints(1000, 9000), ints(0, CpuSet.MAX_CPU));

    private static final Gen<CpuSet> SCATTERED = lists(CPU, 0, 60)
            .map(cpus -> CpuSet.of(cpus.stream().mapToInt(Integer::intValue).toArray()));

    private static final Gen<CpuSet> RANGES = lists(random -> {
        int from = CPU.next(random);
        int length = random.nextInt(0, 301);
        return CpuSet.range(from, Math.min(CpuSet.MAX_CPU, from + length));
    }, 0, 5).map(list -> list.stream().reduce(CpuSet.empty(), CpuSet::union));

    private static final Gen<CpuSet> CPU_SETS = frequency(new int[] {1, 1}, SCATTERED, RANGES);

    private static final List<CpuSet> EDGE_SETS = List.of(CpuSet.empty(), CpuSet.of(0), CpuSet.of(CpuSet.MAX_CPU),
            CpuSet.of(63, 64), CpuSet.of(1023, 1024, 1025), CpuSet.range(0, 200),
            CpuSet.range(CpuSet.MAX_CPU - 70, CpuSet.MAX_CPU), CpuSet.range(0, CpuSet.MAX_CPU));

    /** Halves first (fast on big sets), then one CPU less at a time. */
    private static final Shrinker<CpuSet> SHRINK_SET = set -> {
        if (set.isEmpty()) {
            return Stream.empty();
        }
        int[] cpus = set.toArray();
        Stream<CpuSet> halves = cpus.length < 2 ? Stream.empty()
                : Stream.of(CpuSet.of(java.util.Arrays.copyOfRange(cpus, 0, cpus.length / 2)),
                        CpuSet.of(java.util.Arrays.copyOfRange(cpus, cpus.length / 2, cpus.length)));
        return Stream.concat(halves, IntStream.of(cpus).mapToObj(set::without));
    };

    record Pair(CpuSet a, CpuSet b) {
    }

    private static final Gen<Pair> PAIRS = random -> new Pair(CPU_SETS.next(random), CPU_SETS.next(random));

    private static final List<Pair> EDGE_PAIRS = EDGE_SETS.stream()
            .flatMap(a -> EDGE_SETS.stream().map(b -> new Pair(a, b))).toList();

    private static final Shrinker<Pair> SHRINK_PAIR = pair -> Stream.concat(
            SHRINK_SET.candidates(pair.a()).map(a -> new Pair(a, pair.b())),
            SHRINK_SET.candidates(pair.b()).map(b -> new Pair(pair.a(), b)));

    private static void forAllSets(String name, java.util.function.Consumer<CpuSet> property) {
        forAll(name, TRIES, EDGE_SETS, CPU_SETS, SHRINK_SET, property);
    }

    @Test
    void listFormatRoundTrips() {
        forAllSets("list format round-trips", set -> assertThat(CpuSet.parse(set.toString())).isEqualTo(set));
    }

    @Test
    void maskFormatRoundTrips() {
        forAllSets("mask format round-trips", set -> assertThat(CpuSet.parseMask(set.toMask())).isEqualTo(set));
    }

    @Test
    void wordsRoundTrip() {
        forAllSets("words round-trip", set -> {
            assertThat(CpuSet.fromWords(set.toWords())).isEqualTo(set);
            assertThat(BitSet.valueOf(set.toWords()).cardinality()).isEqualTo(set.size());
        });
    }

    @Test
    void algebraAgreesWithBitSet() {
        forAll("algebra agrees with BitSet", TRIES, EDGE_PAIRS, PAIRS, SHRINK_PAIR, pair -> {
            CpuSet a = pair.a();
            CpuSet b = pair.b();
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
        });
    }

    @Test
    void iterationVisitsEachMemberOnceInOrder() {
        forAllSets("iteration visits each member once, in order", set -> {
            int[] cpus = set.toArray();
            assertThat(cpus).isSorted().doesNotHaveDuplicates().hasSize(set.size());
            assertThat(set.stream().toArray()).containsExactly(cpus);
            for (int i = 0; i < cpus.length; i++) {
                assertThat(set.get(i)).isEqualTo(cpus[i]);
                assertThat(set.contains(cpus[i])).isTrue();
            }
            assertThat(set.first()).isEqualTo(cpus.length == 0 ? -1 : cpus[0]);
            assertThat(set.last()).isEqualTo(cpus.length == 0 ? -1 : cpus[cpus.length - 1]);
        });
    }

    @Test
    void wellFormedListsParseOrFailOnlyForRangeReasons() {
        forAll("two lists joined parse to the union", TRIES, EDGE_PAIRS, PAIRS, SHRINK_PAIR, pair -> {
            CpuSet a = pair.a();
            CpuSet b = pair.b();
            String joined = a.isEmpty() || b.isEmpty() ? a.toString() + b : a + "," + b;
            assertThat(CpuSet.parse(joined)).isEqualTo(a.union(b));
        });
    }

    // ---- malformed input ----

    private static final String LIST_CHARS = "0123456789,-:/ xa\t";

    /** An independent, regex-based recogniser of the list grammar (numbers not range-checked). */
    private static boolean isWellFormedList(String s) {
        if (s.isEmpty()) {
            return true;
        }
        String item = "[0-9]+(-[0-9]+(:[0-9]+/[0-9]+)?)?";
        return s.matches(item + "(," + item + ")*");
    }

    private static boolean isMalformedList(String s) {
        return !s.isEmpty() && !isWellFormedList(s.strip());
    }

    /** A well-formed list, ranges and strides included, to mutate into near misses. */
    private static final Gen<String> WELL_FORMED_LIST = lists(random -> switch (random.nextInt(3)) {
        case 0 -> Integer.toString(random.nextInt(0, 2000));
        case 1 -> random.nextInt(0, 100) + "-" + random.nextInt(100, 2000);
        default -> random.nextInt(0, 100) + "-" + random.nextInt(100, 2000) + ":" + random.nextInt(1, 9) + "/"
                + random.nextInt(1, 20);
    }, 1, 4).map(items -> String.join(",", items));

    /** Junk over the grammar's alphabet, and valid lists with one character inserted, changed or removed. */
    private static final Gen<String> MALFORMED_LISTS = frequency(new int[] {1, 1},
            strings(LIST_CHARS, 1, 20), mutated(WELL_FORMED_LIST, LIST_CHARS)).filter(CpuSetProperties::isMalformedList);

    private static final List<String> MALFORMED_LIST_EDGES = List.of(",", "-", ":", "/", "x", "a", "\t-", "1,", ",1",
            "1,,2", "-1", "1-", "1--2", "1-2-3", "1:2", "1-2:", "1-2:3", "1-2:3/", "1-2:/3", "1-2/3", "1 2", "1, 2",
            "0x1", "1a", "1-2:3/4,", "1-2:3/4:5");

    private static Gen<String> mutated(Gen<String> valid, String alphabet) {
        return random -> {
            StringBuilder s = new StringBuilder(valid.next(random));
            int at = random.nextInt(s.length() + 1);
            char c = alphabet.charAt(random.nextInt(alphabet.length()));
            switch (random.nextInt(3)) {
                case 0 -> s.insert(at, c);
                case 1 -> s.setCharAt(Math.min(at, s.length() - 1), c);
                default -> s.deleteCharAt(Math.min(at, s.length() - 1));
            }
            return s.toString();
        };
    }

    @Test
    void everyMalformedListIsRejectedWithAMessage() {
        forAll("every malformed list is rejected with a message", TRIES, MALFORMED_LIST_EDGES, MALFORMED_LISTS,
                PropertyCheck.dropChar(1, CpuSetProperties::isMalformedList),
                input -> assertThatThrownBy(() -> CpuSet.parse(input))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("cpu list \"")
                        .hasMessageContaining("at position")
                        .hasMessageContaining("expected"));
    }

    private static final String MASK_CHARS = "0123456789abcdefABCDEFg, x";

    private static boolean isMalformedMask(String s) {
        String stripped = s.strip();
        return !stripped.isEmpty() && !stripped.matches("[0-9a-fA-F]{1,8}(,[0-9a-fA-F]{8})*");
    }

    /** A well-formed mask: a first word of 1-8 hex digits, then whole 8-digit words. */
    private static final Gen<String> WELL_FORMED_MASK = random -> {
        StringBuilder s = new StringBuilder(Integer.toHexString(random.nextInt()));
        s.setLength(random.nextInt(1, s.length() + 1));
        for (int words = random.nextInt(0, 4); words > 0; words--) {
            s.append(',').append(String.format("%08x", random.nextInt()));
        }
        return s.toString();
    };

    private static final Gen<String> MALFORMED_MASKS = frequency(new int[] {1, 1},
            strings(MASK_CHARS, 1, 30), mutated(WELL_FORMED_MASK, MASK_CHARS)).filter(CpuSetProperties::isMalformedMask);

    private static final List<String> MALFORMED_MASK_EDGES = List.of(",", "g", "x", "0x1", ",ff", "ff,", "ff,,ff",
            "123456789", "ff,1", "ff,123456789", "ff ff", "1,0000000g");

    @Test
    void everyMalformedMaskIsRejectedWithAMessage() {
        forAll("every malformed mask is rejected with a message", TRIES, MALFORMED_MASK_EDGES, MALFORMED_MASKS,
                PropertyCheck.dropChar(1, CpuSetProperties::isMalformedMask),
                input -> assertThatThrownBy(() -> CpuSet.parseMask(input))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("cpu mask \"")
                        .hasMessageContaining("at position"));
    }
}
