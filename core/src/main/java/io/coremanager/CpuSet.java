package io.coremanager;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.PrimitiveIterator;

/**
 * An immutable set of CPU numbers, of any size: the currency of the whole API.
 *
 * <p>CPU numbers are the kernel's logical CPU ids ({@code 0} up to {@link #MAX_CPU}). Sets compare
 * by value, print in the Linux list format ({@code 0-3,8,10-11}) and read both sysfs forms:
 * the list format of {@code cpulist} files and {@code taskset -c} ({@link #parse(String)}), and the
 * comma-separated 32-bit hex words of {@code cpumap} files ({@link #parseMask(String)}).
 *
 * <pre>{@code
 * CpuSet cpus = CpuSet.parse("0-3,8");
 * cpus.contains(2);                    // true
 * cpus.minus(CpuSet.of(0)).toString(); // "1-3,8"
 * for (int cpu = cpus.first(); cpu >= 0; cpu = cpus.next(cpu)) { ... }
 * }</pre>
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public final class CpuSet implements Iterable<Integer> {

    /**
     * The largest CPU number a set may hold. Linux configures at most 8192 CPUs
     * ({@code CONFIG_NR_CPUS} with {@code MAXSMP}); this leaves room for larger kernels while still
     * rejecting numbers that can only be typos or garbage.
     */
    public static final int MAX_CPU = (1 << 16) - 1;

    private static final CpuSet EMPTY = new CpuSet(new long[0]);

    /** Bit {@code c % 64} of word {@code c / 64} is CPU {@code c}; the last word is never zero. */
    private final long[] words;
    private final int size;

    private CpuSet(long[] trimmedWords) {
        this.words = trimmedWords;
        int count = 0;
        for (long word : trimmedWords) {
            count += Long.bitCount(word);
        }
        this.size = count;
    }

    // ---------------------------------------------------------------- factories

    /**
     * The empty set.
     *
     * @return the empty set
     */
    public static CpuSet empty() {
        return EMPTY;
    }

    /**
     * The set of the given CPUs; repeats are allowed.
     *
     * @param cpus the CPU numbers, each from 0 to {@link #MAX_CPU}
     * @return the set of {@code cpus}
     * @throws IllegalArgumentException if a CPU is negative or above {@link #MAX_CPU}
     */
    public static CpuSet of(int... cpus) {
        Objects.requireNonNull(cpus, "cpus");
        Builder builder = new Builder();
        for (int cpu : cpus) {
            builder.add(cpu);
        }
        return builder.build();
    }

    /**
     * The CPUs from {@code first} to {@code last}, both included (as {@code first-last} in the list
     * format).
     *
     * @param first the lowest CPU of the range
     * @param last the highest CPU of the range
     * @return the set {@code first-last}
     * @throws IllegalArgumentException if a bound is out of range or {@code first > last}
     */
    public static CpuSet range(int first, int last) {
        checkCpu(first, "first");
        checkCpu(last, "last");
        if (first > last) {
            throw new IllegalArgumentException(
                    "range " + first + "-" + last + " runs backwards (expected: first <= last)");
        }
        return new Builder().addRange(first, last).build();
    }

    /**
     * The set whose members are the set bits of {@code words}, little-endian as in
     * {@link java.util.BitSet#valueOf(long[])} and the kernel's {@code cpu_set_t} on 64-bit machines.
     *
     * @param words the bits, word 0 holding CPUs 0-63
     * @return the set of the bits set in {@code words}
     * @throws IllegalArgumentException if a bit above {@link #MAX_CPU} is set
     */
    public static CpuSet fromWords(long[] words) {
        Objects.requireNonNull(words, "words");
        int length = trimmedLength(words);
        if (length == 0) {
            return EMPTY;
        }
        int highest = (length - 1) * 64 + 63 - Long.numberOfLeadingZeros(words[length - 1]);
        if (highest > MAX_CPU) {
            throw new IllegalArgumentException(
                    "cpu " + highest + " is past the largest supported cpu " + MAX_CPU);
        }
        return new CpuSet(Arrays.copyOf(words, length));
    }

    /**
     * Parses the Linux CPU list format, as in sysfs {@code cpulist} files, {@code taskset -c} and
     * {@code isolcpus=}: comma-separated CPU numbers and inclusive ranges ({@code 0-3,8,10-11}),
     * optionally strided as the kernel allows ({@code 0-15:2/4}: in each group of 4 CPUs from 0 to 15,
     * the first 2). Surrounding whitespace and a trailing newline are ignored; {@code ""} is empty.
     *
     * @param list a CPU list such as {@code 0-3,8}
     * @return the set {@code list} names
     * @throws IllegalArgumentException naming the input, the position and what was expected, for any
     *     malformed input; never a silent misread
     */
    public static CpuSet parse(String list) {
        Objects.requireNonNull(list, "list");
        return new ListParser(list).parse();
    }

    /**
     * Parses the sysfs mask format of {@code cpumap} and {@code thread_siblings} files:
     * comma-separated 32-bit hex words, the most significant first ({@code 00000000,0000ff0f} is
     * CPUs 0-3,8-15). The first word may be shorter than 8 digits, as the kernel prints it for CPU
     * counts that are not a multiple of 32; the others have exactly 8. Surrounding whitespace is
     * ignored; {@code ""} is empty.
     *
     * @param mask a sysfs mask such as {@code 00000000,0000ff0f}
     * @return the set {@code mask} names
     * @throws IllegalArgumentException naming the input, the position and what was expected
     */
    public static CpuSet parseMask(String mask) {
        Objects.requireNonNull(mask, "mask");
        return MaskParser.parse(mask);
    }

    // ---------------------------------------------------------------- queries

    /**
     * Whether {@code cpu} is in this set; false for any number that cannot be a CPU.
     *
     * @param cpu any number
     * @return whether {@code cpu} is in this set; false for any number that cannot be a CPU
     */
    public boolean contains(int cpu) {
        int index = cpu >>> 6;
        return cpu >= 0 && index < words.length && (words[index] & (1L << cpu)) != 0;
    }

    /**
     * Whether every CPU of {@code other} is in this set.
     *
     * @param other the CPUs to look for
     * @return whether every CPU of {@code other} is in this set
     */
    public boolean containsAll(CpuSet other) {
        Objects.requireNonNull(other, "other");
        if (other.words.length > words.length) {
            return false;
        }
        for (int i = 0; i < other.words.length; i++) {
            if ((other.words[i] & ~words[i]) != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether this set and {@code other} share a CPU.
     *
     * @param other the other set
     * @return whether this set and {@code other} share a CPU
     */
    public boolean intersects(CpuSet other) {
        Objects.requireNonNull(other, "other");
        int common = Math.min(words.length, other.words.length);
        for (int i = 0; i < common; i++) {
            if ((words[i] & other.words[i]) != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The number of CPUs in this set.
     *
     * @return the number of CPUs in this set
     */
    public int size() {
        return size;
    }

    /**
     * Whether this set has no CPU.
     *
     * @return whether this set has no CPU
     */
    public boolean isEmpty() {
        return size == 0;
    }

    /**
     * The lowest CPU, or {@code -1} when the set is empty.
     *
     * @return the lowest CPU, or {@code -1} when the set is empty
     */
    public int first() {
        return nextFrom(0);
    }

    /**
     * The highest CPU, or {@code -1} when the set is empty.
     *
     * @return the highest CPU, or {@code -1} when the set is empty
     */
    public int last() {
        if (words.length == 0) {
            return -1;
        }
        int i = words.length - 1;
        return i * 64 + 63 - Long.numberOfLeadingZeros(words[i]);
    }

    /**
     * The lowest CPU of this set strictly greater than {@code cpu}, or {@code -1} when there is none;
     * with {@link #first()} it walks the set in order.
     *
     * @param cpu a CPU number, or {@code -1} to start from the lowest
     * @return the next CPU, or {@code -1}
     */
    public int next(int cpu) {
        if (cpu < -1) {
            return first();
        }
        return cpu == Integer.MAX_VALUE ? -1 : nextFrom(cpu + 1);
    }

    private int nextFrom(int from) {
        int index = from >>> 6;
        if (index >= words.length) {
            return -1;
        }
        long word = words[index] & (-1L << from);
        while (true) {
            if (word != 0) {
                return index * 64 + Long.numberOfTrailingZeros(word);
            }
            if (++index == words.length) {
                return -1;
            }
            word = words[index];
        }
    }

    /**
     * The CPU at position {@code index} in ascending order ({@code 0} is {@link #first()}).
     *
     * @param index the position, from {@code 0} to {@code size() - 1}
     * @return the CPU at {@code index}
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     */
    public int get(int index) {
        Objects.checkIndex(index, size);
        int remaining = index;
        for (int i = 0; ; i++) {
            int count = Long.bitCount(words[i]);
            if (remaining < count) {
                long word = words[i];
                for (int skip = 0; skip < remaining; skip++) {
                    word &= word - 1;
                }
                return i * 64 + Long.numberOfTrailingZeros(word);
            }
            remaining -= count;
        }
    }

    /**
     * The CPUs in ascending order.
     *
     * @return a fresh array of the CPUs, ascending
     */
    public int[] toArray() {
        int[] cpus = new int[size];
        int n = 0;
        for (int cpu = first(); cpu >= 0; cpu = next(cpu)) {
            cpus[n++] = cpu;
        }
        return cpus;
    }

    /**
     * The CPUs in ascending order.
     *
     * @return the CPUs, ascending
     */
    public IntStream stream() {
        Spliterator.OfInt spliterator = Spliterators.spliterator(
                new CpuIterator(), size,
                Spliterator.ORDERED | Spliterator.SORTED | Spliterator.DISTINCT
                        | Spliterator.NONNULL | Spliterator.IMMUTABLE);
        return StreamSupport.intStream(spliterator, false);
    }

    /**
     * Calls {@code action} for each CPU in ascending order, without boxing.
     *
     * @param action called with each CPU
     */
    public void forEachCpu(IntConsumer action) {
        Objects.requireNonNull(action, "action");
        for (int cpu = first(); cpu >= 0; cpu = next(cpu)) {
            action.accept(cpu);
        }
    }

    /** Iterates the CPUs in ascending order. */
    @Override
    public Iterator<Integer> iterator() {
        return new CpuIterator();
    }

    /**
     * The little-endian 64-bit words of this set (see {@link #fromWords(long[])}); a fresh copy.
     *
     * @return a fresh array of the set's words, without trailing zero words
     */
    public long[] toWords() {
        return words.clone();
    }

    // ---------------------------------------------------------------- set algebra

    /**
     * The CPUs in this set or in {@code other}.
     *
     * @param other the other set
     * @return the union
     */
    public CpuSet union(CpuSet other) {
        Objects.requireNonNull(other, "other");
        long[] longer = words.length >= other.words.length ? words : other.words;
        long[] shorter = longer == words ? other.words : words;
        long[] result = longer.clone();
        for (int i = 0; i < shorter.length; i++) {
            result[i] |= shorter[i];
        }
        return new CpuSet(result);
    }

    /**
     * The CPUs in both this set and {@code other}.
     *
     * @param other the other set
     * @return the intersection
     */
    public CpuSet intersect(CpuSet other) {
        Objects.requireNonNull(other, "other");
        long[] result = new long[Math.min(words.length, other.words.length)];
        for (int i = 0; i < result.length; i++) {
            result[i] = words[i] & other.words[i];
        }
        return wrap(result);
    }

    /**
     * The CPUs in this set and not in {@code other}.
     *
     * @param other the CPUs to leave out
     * @return this set less {@code other}
     */
    public CpuSet minus(CpuSet other) {
        Objects.requireNonNull(other, "other");
        long[] result = words.clone();
        int common = Math.min(words.length, other.words.length);
        for (int i = 0; i < common; i++) {
            result[i] &= ~other.words[i];
        }
        return wrap(result);
    }

    /**
     * This set with {@code cpu} added.
     *
     * @param cpu the CPU to add, from 0 to {@link #MAX_CPU}
     * @return this set with {@code cpu}
     * @throws IllegalArgumentException if {@code cpu} is negative or above {@link #MAX_CPU}
     */
    public CpuSet with(int cpu) {
        return contains(cpu) ? this : union(of(cpu));
    }

    /**
     * This set without {@code cpu}.
     *
     * @param cpu the CPU to leave out; any number
     * @return this set without {@code cpu}
     */
    public CpuSet without(int cpu) {
        return contains(cpu) ? minus(of(cpu)) : this;
    }

    // ---------------------------------------------------------------- formats

    /** This set in the Linux list format: {@code 0-3,8,10-11}; the empty set is {@code ""}. */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        int start = first();
        while (start >= 0) {
            int end = start;
            int following = next(end);
            while (following == end + 1) {
                end = following;
                following = next(end);
            }
            if (!out.isEmpty()) {
                out.append(',');
            }
            out.append(start);
            if (end > start) {
                out.append('-').append(end);
            }
            start = following;
        }
        return out.toString();
    }

    /**
     * This set in the sysfs mask format: 32-bit words of 8 hex digits, the most significant first,
     * separated by commas ({@code 00000000,0000ff0f} style; {@code 00000000} when empty).
     *
     * @return the mask
     */
    public String toMask() {
        int highestWord32 = isEmpty() ? 0 : last() / 32;
        StringBuilder out = new StringBuilder((highestWord32 + 1) * 9);
        for (int w = highestWord32; w >= 0; w--) {
            long bits = words.length > w / 2 ? words[w / 2] >>> ((w & 1) * 32) : 0;
            String hex = Integer.toHexString((int) bits);
            out.repeat('0', 8 - hex.length()).append(hex);
            if (w > 0) {
                out.append(',');
            }
        }
        return out.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuSet other && Arrays.equals(words, other.words);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(words);
    }

    // ---------------------------------------------------------------- internals

    static void checkCpu(int cpu, String name) {
        if (cpu < 0 || cpu > MAX_CPU) {
            throw new IllegalArgumentException(
                    name + ": " + cpu + " (expected: a cpu number from 0 to " + MAX_CPU + ")");
        }
    }

    private static int trimmedLength(long[] words) {
        int length = words.length;
        while (length > 0 && words[length - 1] == 0) {
            length--;
        }
        return length;
    }

    private static CpuSet wrap(long[] words) {
        int length = trimmedLength(words);
        return length == 0 ? EMPTY : new CpuSet(length == words.length ? words : Arrays.copyOf(words, length));
    }

    /**
     * A builder that accumulates CPUs one by one: cheaper than repeated {@link #with(int)}.
     *
     * @return an empty builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Accumulates CPUs into a set; not thread-safe. */
    public static final class Builder {
        private long[] words = new long[1];

        Builder() {
        }

        /**
         * Adds {@code cpu}.
         *
         * @param cpu the CPU to add
         * @return this builder
         * @throws IllegalArgumentException if {@code cpu} is negative or above {@link #MAX_CPU}
         */
        public Builder add(int cpu) {
            checkCpu(cpu, "cpu");
            ensure(cpu);
            words[cpu >>> 6] |= 1L << cpu;
            return this;
        }

        /**
         * Adds every CPU of {@code cpus}.
         *
         * @param cpus the CPUs to add
         * @return this builder
         */
        public Builder addAll(CpuSet cpus) {
            if (cpus.words.length > words.length) {
                words = Arrays.copyOf(words, cpus.words.length);
            }
            for (int i = 0; i < cpus.words.length; i++) {
                words[i] |= cpus.words[i];
            }
            return this;
        }

        /** Adds {@code first..last}, both included; the caller has checked both bounds. */
        Builder addRange(int first, int last) {
            ensure(last);
            for (int cpu = first; cpu <= last; cpu++) {
                words[cpu >>> 6] |= 1L << cpu;
            }
            return this;
        }

        private void ensure(int cpu) {
            int needed = (cpu >>> 6) + 1;
            if (needed > words.length) {
                words = Arrays.copyOf(words, Math.max(needed, words.length * 2));
            }
        }

        /**
         * The set of the CPUs added so far.
         *
         * @return the set
         */
        public CpuSet build() {
            return wrap(words.clone());
        }
    }

    private final class CpuIterator implements PrimitiveIterator.OfInt {
        private int nextCpu = CpuSet.this.first();

        @Override
        public boolean hasNext() {
            return nextCpu >= 0;
        }

        @Override
        public int nextInt() {
            if (nextCpu < 0) {
                throw new NoSuchElementException();
            }
            int cpu = nextCpu;
            nextCpu = CpuSet.this.next(cpu);
            return cpu;
        }
    }
}
