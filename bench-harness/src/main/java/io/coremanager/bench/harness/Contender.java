package io.coremanager.bench.harness;

/**
 * Something that runs a task on a target CPU: CoreManager with an idle strategy, a pinned
 * {@code ThreadPoolExecutor}, a {@code ForkJoinPool}, default virtual threads, the floor, or a peer
 * library (the JMH suite adds OpenHFT).
 */
public interface Contender extends AutoCloseable {

    /**
     * The name in tables.
     *
     * @return the name: {@code coremanager-spinThenPark}, {@code threadpool-pinned}, ...
     */
    String name();

    /**
     * Runs a no-op on the target CPU and waits for it: one round trip.
     *
     * @throws Exception if the contender fails to run the no-op or the wait is interrupted
     */
    void roundTrip() throws Exception;

    /**
     * Hands {@code task} to the target CPU without waiting.
     *
     * @param task the task to run on the target CPU
     * @throws Exception if the contender refuses the task
     */
    void handOff(Runnable task) throws Exception;

    /**
     * Stops the contender's threads and waits for them.
     *
     * @throws Exception if the wait is interrupted or the contender fails to stop
     */
    @Override
    void close() throws Exception;
}
