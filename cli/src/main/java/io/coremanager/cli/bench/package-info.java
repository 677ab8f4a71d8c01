/**
 * The benchmark harness shared by {@code coremanager bench} and the JMH suite of the
 * {@code bench} module: the contenders (CoreManager with each idle strategy, a pinned
 * {@code ThreadPoolExecutor}, {@code ForkJoinPool}, the JDK's default virtual threads, and the
 * floor: two pinned threads bouncing one cache line), and the measurements (round trip,
 * throughput, virtual threads, core-to-core latency, idle cost).
 *
 * <p>Timing claims live here and in the JMH suite, never in unit tests.
 */
package io.coremanager.cli.bench;
