/**
 * {@code coremanager bench c2c}: the core-to-core latency matrix, as text and as a PNG. The
 * contenders and the other measurements of {@code coremanager bench} are in
 * {@code io.coremanager.bench.harness} (the {@code bench-harness} module), shared with the JMH suite.
 *
 * <p>Timing claims live here and in the JMH suite, never in unit tests.
 */
package io.coremanager.cli.bench;
