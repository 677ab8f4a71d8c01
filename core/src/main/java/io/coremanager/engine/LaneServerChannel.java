package io.coremanager.engine;

import io.coremanager.LaneServerSocket;
import io.coremanager.LaneSocket;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/** A lane-owned listening socket: see {@link LaneServerSocket}. */
final class LaneServerChannel extends LaneChannel implements LaneServerSocket {

    private final ServerSocketChannel server;
    /** Fair, as a socket's locks: two accepting threads take turns. */
    private final ReentrantLock acceptLock = new ReentrantLock(true);
    /** The accept timeout in nanoseconds, 0 for none. Any thread sets it; an accept reads it when it starts. */
    private volatile long acceptTimeoutNanos;

    private LaneServerChannel(Lane lane, ServerSocketChannel server) throws IOException {
        super(lane, server);
        this.server = server;
    }

    /** Binds a listening socket owned by {@code lane}; any thread (binding does not wait). */
    static LaneServerChannel open(Lane lane, SocketAddress address, int backlog) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.bind(address, backlog);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return new LaneServerChannel(lane, server);
    }

    @Override
    String what() {
        String at;
        try {
            at = String.valueOf(server.getLocalAddress());
        } catch (IOException e) {
            at = "(closed)";
        }
        return "lane server socket " + at;
    }

    @Override
    public SocketAddress localAddress() throws IOException {
        return server.getLocalAddress();
    }

    @Override
    public LaneServerSocket acceptTimeout(Duration timeout) {
        acceptTimeoutNanos = timeoutNanos(timeout, "timeout");
        return this;
    }

    @Override
    public Duration acceptTimeout() {
        return Duration.ofNanos(acceptTimeoutNanos);
    }

    @Override
    public LaneSocket accept() throws IOException {
        return new LaneSocketChannel(lane, acceptChannel());
    }

    /** The next connection's raw channel, within the accept timeout. */
    private SocketChannel acceptChannel() throws IOException {
        return acceptChannel(true);
    }

    /**
     * The next connection's raw channel; {@code timed}: within the accept timeout, else (the serve
     * loop, which gives the channel to a lane of its choice and accepts until the socket closes)
     * without a timeout, whatever is set.
     */
    SocketChannel acceptChannel(boolean timed) throws IOException {
        checkCaller("accept");
        boolean yield = false;
        acceptLock.lock();
        try {
            TimedWait wait = null;
            while (true) {
                SocketChannel c = server.accept();
                if (c != null) {
                    yield = hogging(wait != null);
                    return c;
                }
                if (wait == null) {
                    wait = new TimedWait(timed ? acceptTimeoutNanos : 0);
                } else if (wait.passed()) {
                    throw wait.timedOut("accept", " on " + what() + " (the socket stays open)");
                }
                await(SelectionKey.OP_ACCEPT, wait.deadline);
            }
        } catch (AsynchronousCloseException e) {
            throw e;
        } catch (ClosedChannelException e) {
            throw closedNow(e);
        } finally {
            acceptLock.unlock();
            if (yield) {
                Thread.yield(); // after the unlock: see hogging
            }
        }
    }
}
