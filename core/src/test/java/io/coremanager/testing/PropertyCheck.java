package io.coremanager.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A small property-based test runner: seeded generators, a fixed number of tries, edge cases
 * first, greedy shrinking, and a failure message that names the seed and the (shrunk) input.
 *
 * <p>Why our own and not a library: jqwik's author asks automated agents not to use it, and the
 * properties here need little (generate, check, shrink a list or a string). A try's input is a pure
 * function of its seed, so {@code -Dcoremanager.seed=S} replays a failing try as the first one of
 * every property (then the run goes on with fresh seeds derived from S).
 *
 * <pre>{@code
 * PropertyCheck.forAll("list format round-trips", 1000, CPU_SETS, set ->
 *         assertThat(CpuSet.parse(set.toString())).isEqualTo(set));
 * }</pre>
 *
 * <p>Threading: one property runs on the calling thread; a generator must not keep state between
 * calls other than through the {@link SplittableRandom} it is given.
 */
public final class PropertyCheck {

    /** The system property that fixes the seed of a run (a decimal or {@code 0x} hex long). */
    public static final String SEED_PROPERTY = "coremanager.seed";

    /** How many candidate inputs a failure's shrinking may check before it reports what it has. */
    private static final int SHRINK_BUDGET = 2_000;

    private PropertyCheck() {
    }

    /**
     * Makes values from a random source. Must be a pure function of the random source's state.
     *
     * @param <T> the type of value made
     */
    @FunctionalInterface
    public interface Gen<T> {
        /**
         * Makes one value.
         *
         * @param random the source of randomness, seeded per try
         * @return a value
         */
        T next(SplittableRandom random);

        /**
         * A generator of this one's values passed through {@code f}.
         *
         * @param f the mapping
         * @param <R> the type of the mapped values
         * @return the mapped generator
         */
        default <R> Gen<R> map(Function<? super T, ? extends R> f) {
            return random -> f.apply(next(random));
        }

        /**
         * A generator of this one's values that satisfy {@code keep}, retrying up to 10 000 times.
         *
         * @param keep the filter
         * @return the filtered generator
         */
        default Gen<T> filter(Predicate<? super T> keep) {
            return random -> {
                for (int i = 0; i < 10_000; i++) {
                    T value = next(random);
                    if (keep.test(value)) {
                        return value;
                    }
                }
                throw new IllegalStateException("filter: no value satisfied it in 10000 attempts");
            };
        }
    }

    /**
     * Smaller candidates for a failing input, most promising first; none when it cannot shrink.
     *
     * @param <T> the type of input
     */
    @FunctionalInterface
    public interface Shrinker<T> {
        /**
         * Candidates smaller than {@code value}.
         *
         * @param value a failing input
         * @return candidate inputs, each smaller than {@code value}
         */
        Stream<T> candidates(T value);

        /**
         * A shrinker that never shrinks.
         *
         * @param <T> the type of input
         * @return the shrinker
         */
        static <T> Shrinker<T> none() {
            return value -> Stream.empty();
        }
    }

    /**
     * Checks {@code property} against {@code edgeCases}, then against {@code tries} generated
     * inputs. On the first failure, shrinks it and fails with the seed, the original input and the
     * smallest failing input found.
     *
     * @param name what the property says, for the failure message
     * @param tries how many generated inputs to check (edge cases not counted)
     * @param edgeCases inputs always checked first
     * @param gen the generator of inputs
     * @param shrinker smaller candidates for a failing input
     * @param property the check; it fails by throwing
     * @param <T> the type of input
     */
    public static <T> void forAll(String name, int tries, List<T> edgeCases, Gen<T> gen, Shrinker<T> shrinker,
                                  Consumer<? super T> property) {
        for (T input : edgeCases) {
            Throwable failure = failure(property, input);
            if (failure != null) {
                report(name, "edge case", input, shrink(input, failure, shrinker, property));
            }
        }
        SplittableRandom seeds = new SplittableRandom(baseSeed());
        Long fixed = fixedSeed();
        for (int i = 0; i < tries; i++) {
            long seed = i == 0 && fixed != null ? fixed : seeds.nextLong();
            T input = gen.next(new SplittableRandom(seed));
            Throwable failure = failure(property, input);
            if (failure != null) {
                report(name, "try " + (i + 1) + " of " + tries + ", seed " + seed
                        + " (replay: -D" + SEED_PROPERTY + "=" + seed + ")", input,
                        shrink(input, failure, shrinker, property));
            }
        }
    }

    /**
     * {@link #forAll(String, int, List, Gen, Shrinker, Consumer)} with no edge cases and no shrinking.
     *
     * @param name what the property says
     * @param tries how many generated inputs to check
     * @param gen the generator of inputs
     * @param property the check; it fails by throwing
     * @param <T> the type of input
     */
    public static <T> void forAll(String name, int tries, Gen<T> gen, Consumer<? super T> property) {
        forAll(name, tries, List.of(), gen, Shrinker.none(), property);
    }

    private record Shrunk<T>(T input, Throwable failure, int steps) {
    }

    private static <T> Shrunk<T> shrink(T input, Throwable failure, Shrinker<T> shrinker, Consumer<? super T> property) {
        T smallest = input;
        Throwable smallestFailure = failure;
        int steps = 0;
        int budget = SHRINK_BUDGET;
        boolean progress = true;
        while (progress && budget > 0) {
            progress = false;
            for (T candidate : (Iterable<T>) shrinker.candidates(smallest)::iterator) {
                if (budget-- <= 0) {
                    break;
                }
                Throwable f = failure(property, candidate);
                if (f != null) {
                    smallest = candidate;
                    smallestFailure = f;
                    steps++;
                    progress = true;
                    break;
                }
            }
        }
        return new Shrunk<>(smallest, smallestFailure, steps);
    }

    private static <T> void report(String name, String where, T input, Shrunk<T> shrunk) {
        String message = "property \"" + name + "\" failed at " + where + "\n  input: " + show(input)
                + (shrunk.steps() == 0 ? "" : "\n  shrunk (" + shrunk.steps() + " steps): " + show(shrunk.input()))
                + "\n  failure: " + shrunk.failure();
        System.err.println(message);
        throw new AssertionError(message, shrunk.failure());
    }

    private static String show(Object input) {
        if (input instanceof String s) {
            return '"' + s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\0", "\\0") + '"';
        }
        return String.valueOf(input);
    }

    private static <T> Throwable failure(Consumer<? super T> property, T input) {
        try {
            property.accept(input);
            return null;
        } catch (AssertionError | RuntimeException e) {
            return e;
        }
    }

    private static long baseSeed() {
        Long fixed = fixedSeed();
        return fixed != null ? fixed : System.nanoTime() ^ 0x9E3779B97F4A7C15L;
    }

    private static Long fixedSeed() {
        String text = System.getProperty(SEED_PROPERTY);
        if (text == null || text.isBlank()) {
            return null;
        }
        return Long.decode(text.strip());
    }

    // ---- generators and shrinkers the properties share ----

    /**
     * Integers in {@code [min, max]}, uniformly.
     *
     * @param min the smallest value
     * @param max the largest value
     * @return the generator
     */
    public static Gen<Integer> ints(int min, int max) {
        return random -> random.nextInt(min, max + 1);
    }

    /**
     * One of the generators, chosen with the given weights.
     *
     * @param weights a weight per generator, each positive
     * @param gens the generators
     * @param <T> the type of value
     * @return the generator
     */
    @SafeVarargs
    public static <T> Gen<T> frequency(int[] weights, Gen<? extends T>... gens) {
        if (weights.length != gens.length) {
            throw new IllegalArgumentException("weights: " + weights.length + " (expected: one per generator, "
                    + gens.length + ")");
        }
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int sum = total;
        return random -> {
            int pick = random.nextInt(sum);
            for (int i = 0; i < gens.length; i++) {
                pick -= weights[i];
                if (pick < 0) {
                    return gens[i].next(random);
                }
            }
            throw new AssertionError("unreachable");
        };
    }

    /**
     * Lists of {@code minSize} to {@code maxSize} elements of {@code element}.
     *
     * @param element the element generator
     * @param minSize the smallest size
     * @param maxSize the largest size
     * @param <T> the element type
     * @return the generator
     */
    public static <T> Gen<List<T>> lists(Gen<T> element, int minSize, int maxSize) {
        return random -> {
            int size = random.nextInt(minSize, maxSize + 1);
            List<T> list = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                list.add(element.next(random));
            }
            return List.copyOf(list);
        };
    }

    /**
     * Strings of {@code minLength} to {@code maxLength} characters drawn from {@code alphabet}.
     *
     * @param alphabet the characters to draw from
     * @param minLength the shortest length
     * @param maxLength the longest length
     * @return the generator
     */
    public static Gen<String> strings(String alphabet, int minLength, int maxLength) {
        Objects.requireNonNull(alphabet, "alphabet");
        return random -> {
            int length = random.nextInt(minLength, maxLength + 1);
            StringBuilder s = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            return s.toString();
        };
    }

    /**
     * Shrinks a list by dropping one element at a time, keeping at least {@code minSize}.
     *
     * @param minSize the smallest size a candidate may have
     * @param <T> the element type
     * @return the shrinker
     */
    public static <T> Shrinker<List<T>> dropOne(int minSize) {
        return list -> list.size() <= minSize ? Stream.empty()
                : java.util.stream.IntStream.range(0, list.size()).mapToObj(i -> {
                    List<T> smaller = new ArrayList<>(list);
                    smaller.remove(i);
                    return List.copyOf(smaller);
                });
    }

    /**
     * Shrinks a string by dropping one character at a time, keeping at least {@code minLength}
     * and only candidates that {@code keep} accepts (so a malformed input stays malformed).
     *
     * @param minLength the shortest length a candidate may have
     * @param keep which candidates are still inputs of the property
     * @return the shrinker
     */
    public static Shrinker<String> dropChar(int minLength, Predicate<String> keep) {
        return s -> s.length() <= minLength ? Stream.empty()
                : java.util.stream.IntStream.range(0, s.length())
                        .mapToObj(i -> s.substring(0, i) + s.substring(i + 1))
                        .filter(keep);
    }
}
