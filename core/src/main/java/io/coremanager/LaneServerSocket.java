package io.coremanager;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channel;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;

/**
 * A listening TCP socket owned by one lane: {@link #accept()} parks the calling core-affine
 * virtual thread until a connection arrives, and the lane's own poll resumes it on the same CPU.
 * Made by {@link CoreManager#listen} (accept yourself) or {@link CoreManager#serve} (an accept loop
 * that hands each connection to a lane).
 *
 * <p>{@link #accept()} must come from a virtual thread of the owning lane, else it throws
 * {@link IllegalStateException} naming the owning CPU; {@link #close()} and
 * {@link #localAddress()} work from any thread. A manager that shuts down ({@code shutdown},
 * {@code close}) closes its listening sockets at once, so accept loops end and the manager can
 * terminate; connections already accepted stay open until their handlers finish.
 *
 * <p>An accept loop whose connections are all waiting never has to park; after 64 accepts in a row
 * that did not park, the accepting thread yields its lane ({@link Thread#yield()}), so a flood of
 * connections cannot keep the lane from its other work.
 */
public interface LaneServerSocket extends Channel {

    /**
     * The CPU of the lane that owns this socket.
     *
     * @return a managed CPU
     */
    int cpu();

    /**
     * The address it listens on (with the port chosen, if port 0 was asked for).
     *
     * @return the bound address
     * @throws IOException if the socket is closed or on an I/O error
     */
    SocketAddress localAddress() throws IOException;

    /**
     * Sets the accept timeout: how long {@link #accept()} waits for a connection before it throws
     * {@link SocketTimeoutException}; zero, the default, waits for ever. Any thread; an accept already
     * waiting keeps the timeout it started with. The socket stays open after a timeout. The wake-up of
     * an accept that times out comes from the JDK's unparker thread (one hand-off to the lane); a
     * connection still wakes it from the lane's own poll.
     *
     * @param timeout the timeout, zero for none
     * @return this socket
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    LaneServerSocket acceptTimeout(Duration timeout);

    /**
     * The accept timeout.
     *
     * @return the timeout, zero for none; one longer than about 36 years ({@code Long.MAX_VALUE / 4}
     *     nanoseconds) was set as that
     */
    Duration acceptTimeout();

    /**
     * Waits for the next connection, parking the calling virtual thread, at most for the
     * {@linkplain #acceptTimeout(Duration) accept timeout} if one is set.
     *
     * @return the connection, owned by this socket's lane
     * @throws SocketTimeoutException if an accept timeout is set and no connection came within it
     * @throws IOException if the socket is closed ({@link AsynchronousCloseException} when it was
     *     closed while the caller was parked, {@link ClosedByInterruptException} on interrupt), or on
     *     an I/O error
     * @throws IllegalStateException if the caller is not a virtual thread of the owning lane
     */
    LaneSocket accept() throws IOException;

    /**
     * Stops listening; any thread, idempotent. A thread parked in {@link #accept()} wakes and fails
     * with {@link AsynchronousCloseException}.
     *
     * @throws IOException on an I/O error while closing
     */
    @Override
    void close() throws IOException;
}
