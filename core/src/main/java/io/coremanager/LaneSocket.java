package io.coremanager;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;

/**
 * A TCP connection owned by one lane: its carrier polls it itself (lane-local I/O), and the
 * core-affine virtual threads of that lane use it with blocking calls. A {@link #read} or
 * {@link #write} that cannot proceed parks the calling virtual thread; the lane's own poll (its
 * selector, polled by the carrier between batches and whenever it would otherwise park) unparks
 * it, on the carrier itself, so the thread resumes on the same CPU with no other thread involved.
 * Made by {@link CoreManager#connect}, {@link LaneServerSocket#accept()} and
 * {@link CoreManager#serve}.
 *
 * <p><b>Who may use it.</b> The blocking calls ({@code read}, {@code write}, the stream views'
 * reads and writes, {@code connect}) must come from a virtual thread of the owning lane
 * ({@link CoreManager#go}, {@link CoreManager#threadFactory}, or a virtual thread started inside
 * one); from anywhere else they throw {@link IllegalStateException} naming the owning CPU. A task
 * on the carrier cannot park, so it cannot use one either; neither can a <em>pinned</em> virtual
 * thread (one inside a class initializer or a native frame, which cannot unmount: its park would
 * park the carrier that must wake it, and the lane would stop). {@link #close()}, the addresses
 * and the options may be used from any thread.
 *
 * <p><b>Closing.</b> {@link #close()} from any thread wakes the virtual threads parked in this
 * socket and fails them with {@link AsynchronousCloseException}. Interrupting a parked thread
 * closes the socket and fails it with {@link ClosedByInterruptException}, as the JDK's
 * interruptible channels do (so {@link CoreManager#shutdownNow()} ends them). When the lane
 * terminates, it closes every socket it still owns.
 *
 * <p>One thread may read while another writes; two readers (or two writers) take turns.
 *
 * <p><b>Sharing the lane.</b> A thread whose reads and writes never have to wait (a client that
 * pipelines, a bulk upload) would never leave the carrier, and the lane's other threads, tasks,
 * timers and its own poll would wait behind it; so after 64 reads and writes of one socket in a
 * row that did not park, the thread yields its lane ({@link Thread#yield()}) and goes on after
 * what was queued before it.
 */
public interface LaneSocket extends ByteChannel {

    /**
     * The CPU of the lane that owns this socket.
     *
     * @return a managed CPU
     */
    int cpu();

    /**
     * Reads into {@code dst}, parking until at least one byte is there (or the peer closed), or
     * until the {@linkplain #readTimeout(Duration) read timeout}, if one is set, has passed.
     *
     * @param dst the buffer
     * @return the bytes read, 0 only if {@code dst} has no room, or -1 at the end of the stream
     * @throws SocketTimeoutException if a read timeout is set and no byte came within it; the
     *     socket stays open and may be read again, as with {@code java.net.Socket}'s {@code SO_TIMEOUT}
     * @throws IOException if the socket is closed ({@link AsynchronousCloseException} when it was
     *     closed while the caller was parked, {@link ClosedByInterruptException} on interrupt), or on
     *     an I/O error
     * @throws IllegalStateException if the caller is not a virtual thread of the owning lane
     */
    @Override
    int read(ByteBuffer dst) throws IOException;

    /**
     * Sets the read timeout: how long a {@link #read} (and a read of the {@linkplain #inputStream()
     * stream view}) waits for data before it throws {@link SocketTimeoutException}; zero, the
     * default, waits for ever. Any thread; a read already waiting keeps the timeout it started with.
     * A timed-out read leaves the socket open. The timeout bounds the wait for data, not a second
     * reader's wait for its turn (unlike {@code java.net.Socket}'s): that lasts as long as the read
     * before it, which a timeout bounds too. The wake-up of a read that times out comes from the
     * JDK's unparker thread (one hand-off to the lane); data still wakes it from the lane's own poll.
     *
     * @param timeout the timeout, zero for none
     * @return this socket
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    LaneSocket readTimeout(Duration timeout);

    /**
     * The read timeout.
     *
     * @return the timeout, zero for none; one longer than about 36 years ({@code Long.MAX_VALUE / 4}
     *     nanoseconds) was set as that
     */
    Duration readTimeout();

    /**
     * Writes all of {@code src}, parking whenever the socket's send buffer is full.
     *
     * @param src the bytes to write
     * @return the number of bytes written: all that remained in {@code src}
     * @throws IOException if the socket is closed ({@link AsynchronousCloseException} when it was
     *     closed while the caller was parked, {@link ClosedByInterruptException} on interrupt), or on
     *     an I/O error
     * @throws IllegalStateException if the caller is not a virtual thread of the owning lane
     */
    @Override
    int write(ByteBuffer src) throws IOException;

    /**
     * A blocking {@link InputStream} view for existing code (parsers, codecs); unbuffered, so wrap
     * it in a {@link java.io.BufferedInputStream} for small reads. Its reads follow {@link #read};
     * closing it closes the socket.
     *
     * @return the view (the same one each time)
     */
    InputStream inputStream();

    /**
     * A blocking {@link OutputStream} view; unbuffered, so wrap it in a
     * {@link java.io.BufferedOutputStream} for small writes. Its writes follow {@link #write};
     * closing it closes the socket.
     *
     * @return the view (the same one each time)
     */
    OutputStream outputStream();

    /**
     * The local address.
     *
     * @return the address, or null if not bound
     * @throws IOException if the socket is closed or on an I/O error
     */
    SocketAddress localAddress() throws IOException;

    /**
     * The peer's address.
     *
     * @return the address, or null if not connected
     * @throws IOException if the socket is closed or on an I/O error
     */
    SocketAddress remoteAddress() throws IOException;

    /**
     * Sets a socket option ({@code TCP_NODELAY}, buffer sizes...); any thread.
     *
     * @param <T> the option's type
     * @param option the option
     * @param value its value
     * @return this socket
     * @throws IOException if the socket is closed or on an I/O error
     */
    <T> LaneSocket setOption(SocketOption<T> option, T value) throws IOException;

    /**
     * Shuts down the output side (the peer reads the end of the stream); the socket stays open.
     *
     * @throws IOException if the socket is closed or on an I/O error
     */
    void shutdownOutput() throws IOException;

    /**
     * Closes the socket; any thread, idempotent. Threads parked in it wake and fail with
     * {@link AsynchronousCloseException}.
     *
     * @throws IOException on an I/O error while closing
     */
    @Override
    void close() throws IOException;
}
