package io.coremanager.engine;

import io.coremanager.LaneSocket;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/** A lane-owned connection: see {@link LaneSocket} for the contract, {@link LaneChannel} for the waits. */
final class LaneSocketChannel extends LaneChannel implements LaneSocket {

    private final SocketChannel socket;
    /*
     * Fair: two readers (or writers) take turns. A barging lock let a thread that released it take it
     * again before the one it had just unparked ran (they share one carrier): a reader polling with a
     * read timeout (read, time out, read again) shut a second reader out for as long as it polled.
     */
    private final ReentrantLock readLock = new ReentrantLock(true);
    private final ReentrantLock writeLock = new ReentrantLock(true);
    private final InputStream in = new In();
    private final OutputStream out = new Out();
    /** The read timeout in nanoseconds, 0 for none. Any thread sets it; a read reads it when it starts. */
    private volatile long readTimeoutNanos;

    LaneSocketChannel(Lane lane, SocketChannel socket) throws IOException {
        super(lane, socket);
        this.socket = socket;
    }

    /**
     * Opens a connection to {@code remote} owned by {@code lane}, from one of its virtual threads,
     * waiting at most {@code timeoutNanos} (0: no limit); a connect that times out closes the socket.
     */
    static LaneSocketChannel connect(Lane lane, SocketAddress remote, long timeoutNanos) throws IOException {
        LaneSocketChannel s = new LaneSocketChannel(lane, SocketChannel.open());
        try {
            s.checkCaller("connect");
            s.readLock.lock();
            try {
                if (!s.socket.connect(remote)) {
                    TimedWait wait = new TimedWait(timeoutNanos);
                    while (true) {
                        if (wait.passed()) {
                            throw wait.timedOut("connect to " + remote, " (the socket is closed)");
                        }
                        s.await(SelectionKey.OP_CONNECT, wait.deadline);
                        if (s.socket.finishConnect()) {
                            s.dropInterest(SelectionKey.OP_CONNECT);
                            break;
                        }
                    }
                }
            } catch (AsynchronousCloseException e) {
                throw e;
            } catch (ClosedChannelException e) {
                throw s.closedNow(e);
            } finally {
                s.readLock.unlock();
            }
            return s;
        } catch (IOException | RuntimeException | Error e) {
            s.closeQuietly();
            throw e;
        }
    }

    @Override
    String what() {
        return "lane socket " + describe();
    }

    private String describe() {
        try {
            return socket.getLocalAddress() + "->" + socket.getRemoteAddress();
        } catch (IOException e) {
            return "(closed)";
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        checkCaller("read");
        boolean yield = false;
        readLock.lock();
        try {
            TimedWait wait = null;
            while (true) {
                int n = socket.read(dst);
                if (n != 0 || !dst.hasRemaining()) {
                    yield = hogging(wait != null);
                    return n;
                }
                if (wait == null) {
                    wait = new TimedWait(readTimeoutNanos);
                } else if (wait.passed()) {
                    throw wait.timedOut("read", " on " + what() + " (the socket stays open)");
                }
                await(SelectionKey.OP_READ, wait.deadline);
            }
        } catch (AsynchronousCloseException e) {
            throw e;
        } catch (ClosedChannelException e) {
            throw closedNow(e);
        } finally {
            readLock.unlock();
            if (yield) {
                Thread.yield(); // after the unlock: a reader waiting for the lock gets its turn
            }
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        checkCaller("write");
        boolean yield = false;
        writeLock.lock();
        try {
            int total = 0;
            boolean parked = false;
            while (src.hasRemaining()) {
                int n = socket.write(src);
                total += n;
                if (n == 0) {
                    await(SelectionKey.OP_WRITE);
                    parked = true;
                }
            }
            yield = hogging(parked);
            return total;
        } catch (AsynchronousCloseException e) {
            throw e;
        } catch (ClosedChannelException e) {
            throw closedNow(e);
        } finally {
            writeLock.unlock();
            if (yield) {
                Thread.yield(); // after the unlock: a writer waiting for the lock gets its turn
            }
        }
    }

    @Override
    public LaneSocket readTimeout(Duration timeout) {
        readTimeoutNanos = timeoutNanos(timeout, "timeout");
        return this;
    }

    @Override
    public Duration readTimeout() {
        return Duration.ofNanos(readTimeoutNanos);
    }

    @Override
    public InputStream inputStream() {
        return in;
    }

    @Override
    public OutputStream outputStream() {
        return out;
    }

    @Override
    public SocketAddress localAddress() throws IOException {
        return socket.getLocalAddress();
    }

    @Override
    public SocketAddress remoteAddress() throws IOException {
        return socket.getRemoteAddress();
    }

    @Override
    public <T> LaneSocket setOption(SocketOption<T> option, T value) throws IOException {
        socket.setOption(option, value);
        return this;
    }

    @Override
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** The blocking input view. */
    private final class In extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            return LaneSocketChannel.this.read(ByteBuffer.wrap(b, off, len));
        }

        @Override
        public void close() throws IOException {
            LaneSocketChannel.this.close();
        }
    }

    /** The blocking output view. */
    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            LaneSocketChannel.this.write(ByteBuffer.wrap(b, off, len));
        }

        @Override
        public void close() throws IOException {
            LaneSocketChannel.this.close();
        }
    }
}
