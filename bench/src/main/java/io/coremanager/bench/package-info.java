/**
 * The JMH suite: CoreManager side by side with a pinned {@code ThreadPoolExecutor}, a pinned
 * {@code ForkJoinPool}, default virtual threads, OpenHFT Java-Thread-Affinity and the floor (two
 * pinned threads bouncing one cache line), each contender a {@code @Param} of the same benchmark so
 * that one run measures them all. {@link io.coremanager.bench.Ratios} turns JMH's JSON into the
 * ratio tables of {@code BENCHMARKS.md}.
 */
package io.coremanager.bench;
