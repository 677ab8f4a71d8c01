package io.coremanager.cli.bench;

/**
 * Something that runs a task on a target CPU: CoreManager with an idle strategy, a pinned
 * {@code ThreadPoolExecutor}, a {@code ForkJoinPool}, default virtual threads, the floor, or a peer
 * library (the JMH suite adds OpenHFT).
 */
public interface Contender extends AutoCloseable {

    /** The name in tables: {@code coremanager-spinThenPark}, {@code threadpool-pinned}, ... */
    String name();

    /** Runs a no-op on the target CPU and waits for it: one round trip. */
    void roundTrip() throws Exception;

    /** Hands {@code task} to the target CPU without waiting. */
    void handOff(Runnable task) throws Exception;

    @Override
    void close() throws Exception;
}
