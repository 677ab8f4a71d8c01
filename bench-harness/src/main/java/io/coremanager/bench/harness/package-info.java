/**
 * The benchmark harness shared by {@code coremanager bench} (the {@code cli} module) and the JMH
 * suite (the {@code bench} module): the contenders (CoreManager with each idle strategy, a pinned
 * {@code ThreadPoolExecutor}, {@code ForkJoinPool}, the JDK's default virtual threads, and the
 * floor: two pinned threads bouncing one cache line), and the measurements (round trip,
 * throughput, lanes as producers, virtual threads, idle cost). No JMH here: the JMH suite wraps
 * these pieces in its own benchmarks.
 *
 * <p>Timing claims live here and in the JMH suite, never in unit tests.
 */
package io.coremanager.bench.harness;
