package io.coremanager.engine;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;

/**
 * A non-blocking channel owned by a lane, made to look blocking to the lane's virtual threads: an
 * operation that cannot proceed registers its interest with the lane's selector and parks; the
 * carrier's poll unparks it ({@link #ready}). See {@link LaneIo}.
 *
 * <p><b>Wait and close.</b> A waiter publishes itself (volatile write), then reads {@code closed};
 * {@link #close()} writes {@code closed}, then reads the waiters and unparks them: one of the two
 * sees the other, and {@code park} keeps an unpark that comes first, so no closing leaves a thread
 * parked. One waiter per direction: readers (read, accept, connect) and writers take turns
 * through their locks.
 */
abstract class LaneChannel {

    private static final VarHandle CLOSED;

    static {
        try {
            CLOSED = MethodHandles.lookup().findVarHandle(LaneChannel.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Lane lane;
    private final SelectableChannel channel;
    /** The registration with the lane's selector; made by the first wait; lane threads only. */
    private SelectionKey key;
    /** The thread parked for read, accept or connect readiness, or null. */
    private volatile Thread reader;
    /** The thread parked for write readiness, or null. */
    private volatile Thread writer;
    private volatile boolean closed;
    /**
     * Operations (reads, writes, accepts) in a row that did not park, by this channel's threads: lane
     * threads only, which run on the one carrier, so a plain field suffices. See {@link #hogging}.
     */
    private int unparkedOps;

    /**
     * How many operations of one channel in a row may proceed without parking before the thread
     * yields its lane: a reader whose data is always there (a bulk upload, a pipelining client), or an
     * accept loop under a flood of connections, would otherwise never leave the carrier, and the
     * lane's other threads, tasks, timers and its own poll would wait behind it. A yield costs about
     * one hand-off to the lane's queue; at most one per this many system calls.
     */
    static final int OPS_BEFORE_YIELD = 64;

    LaneChannel(Lane lane, SelectableChannel channel) throws IOException {
        this.lane = lane;
        this.channel = channel;
        try {
            channel.configureBlocking(false);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        lane.io.opened(this);
    }

    SelectableChannel channel() {
        return channel;
    }

    /** The CPU of the owning lane. */
    public int cpu() {
        return lane.cpu();
    }

    /** Whether the channel is open. */
    public boolean isOpen() {
        return !closed && channel.isOpen();
    }

    /** What the socket is, for the messages. */
    abstract String what();

    /**
     * Fails unless the caller is a virtual thread of the owning lane: the only threads the lane's
     * poll can resume, and the only ones that may park without holding up the lane.
     */
    final void checkCaller(String operation) {
        Thread t = Thread.currentThread();
        Executor scheduler = VirtualThreadHook.schedulerOf(t);
        if (scheduler == lane) {
            return;
        }
        String who;
        if (scheduler instanceof Lane other) {
            who = "a virtual thread of cpu " + other.cpu() + "'s lane"
                    + (other.group() == lane.group() ? "" : " of another CoreManager");
        } else if (lane.isCarrier(t)) {
            who = "a task on cpu " + lane.cpu() + "'s carrier, which cannot park";
        } else if (t.isVirtual()) {
            who = "virtual thread " + t + ", which belongs to no lane";
        } else {
            who = "platform thread \"" + t.getName() + "\", outside any lane";
        }
        String hook = VirtualThreadHook.isAvailable() ? "" : " (core-affine virtual threads are unavailable in this JVM: "
                + VirtualThreadHook.unavailableReason() + ")";
        throw new IllegalStateException(what() + " belongs to cpu " + lane.cpu() + "'s lane; " + operation
                + " was called from " + who + ". Call it from a core-affine virtual thread of cpu " + lane.cpu()
                + " (CoreManager.go(" + lane.cpu() + ", ...)), or use a java.net.Socket elsewhere" + hook);
    }

    /**
     * Parks the calling thread (a virtual thread of the lane, checked by the caller) until the
     * channel may be ready for {@code op}, or is closed, or the thread is interrupted. May return
     * spuriously: the caller retries its operation.
     */
    final void await(int op) throws IOException {
        await(op, 0);
    }

    /**
     * As {@link #await(int)}, and returns at the latest at {@code deadline} ({@code System.nanoTime()};
     * 0 for none): the caller retries its operation and, if it still cannot proceed and the deadline
     * has passed, times out. A timed wait parks with {@link LockSupport#parkNanos}, so a timeout's
     * wake-up comes from the JDK's unparker (which resubmits the thread to this lane); readiness
     * still wakes it from the lane's own poll, and the JDK's timer is cancelled then.
     */
    final void await(int op, long deadline) throws IOException {
        Thread me = Thread.currentThread();
        boolean write = op == SelectionKey.OP_WRITE;
        if (write) {
            writer = me;
        } else {
            reader = me;
        }
        try {
            failIfClosedOrInterrupted(me); // after publishing the waiter: see the class notes
            try {
                SelectionKey k = key;
                if (k == null) {
                    key = lane.io.register(this, op);
                } else {
                    k.interestOpsOr(op);
                }
            } catch (CancelledKeyException e) {
                throw closedNow(new ClosedChannelException());
            } catch (ClosedChannelException e) {
                throw closedNow(e);
            }
            if (deadline == 0) {
                LockSupport.park(this);
            } else {
                long left = deadline - System.nanoTime();
                if (left > 0) {
                    LockSupport.parkNanos(this, left);
                }
            }
            failIfClosedOrInterrupted(me);
        } finally {
            if (write) {
                writer = null;
            } else {
                reader = null;
            }
        }
    }

    /**
     * Drops interest in {@code op} now (a lane thread, after a wait it will not repeat): needed for
     * {@code OP_CONNECT}, whose readiness the JDK stops reporting once connected while the
     * descriptor stays writable, so lazy dropping in {@link #ready} would never see it.
     */
    final void dropInterest(int op) {
        SelectionKey k = key;
        if (k != null && k.isValid()) {
            try {
                k.interestOpsAnd(~op);
            } catch (CancelledKeyException e) {
                // closed meanwhile: nothing to drop
            }
        }
    }

    private void failIfClosedOrInterrupted(Thread me) throws IOException {
        if (me.isInterrupted()) {
            closeQuietly(); // as the JDK's interruptible channels do; the interrupt status stays set
            throw new ClosedByInterruptException();
        }
        if (closed) {
            throw new AsynchronousCloseException();
        }
    }

    /** The channel was closed under the caller: the JDK's exception, or ours if it is ours. */
    final IOException closedNow(IOException e) {
        if (Thread.currentThread().isInterrupted() && !(e instanceof ClosedByInterruptException)) {
            closeQuietly();
            return new ClosedByInterruptException();
        }
        return closed && !(e instanceof AsynchronousCloseException) ? new AsynchronousCloseException() : e;
    }

    /**
     * Carrier side: the key is ready (or cancelled). Runs on the carrier while it is RUNNING, so
     * never at the same time as {@link #await} (the lane's threads run on the same carrier).
     *
     * <p>Interest is dropped lazily: a direction that has a waiter keeps its interest, so a thread
     * that reads, answers and reads again re-parks with its interest still registered and the
     * selector makes no {@code epoll_ctl} for it (two fewer system calls per request than dropping
     * interest at each wake-up); a direction with no waiter loses its interest here, so a socket
     * nobody waits on cannot keep a level-triggered selector busy.
     */
    final void ready(SelectionKey k) {
        int ready;
        try {
            ready = k.readyOps();
            int idle = 0;
            if ((ready & ~SelectionKey.OP_WRITE) != 0 && reader == null) {
                idle |= ready & ~SelectionKey.OP_WRITE;
            }
            if ((ready & SelectionKey.OP_WRITE) != 0 && writer == null) {
                idle |= SelectionKey.OP_WRITE;
            }
            if (idle != 0) {
                k.interestOpsAnd(~idle);
            }
        } catch (CancelledKeyException e) {
            ready = SelectionKey.OP_READ | SelectionKey.OP_WRITE;
        }
        if ((ready & ~SelectionKey.OP_WRITE) != 0) {
            LockSupport.unpark(reader);
        }
        if ((ready & SelectionKey.OP_WRITE) != 0) {
            LockSupport.unpark(writer);
        }
    }

    /**
     * Closes the channel; any thread, idempotent. Wakes the parked threads (they fail); from outside
     * the lane, wakes the carrier too, whose next poll deregisters the key and so lets the JDK close
     * the descriptor at once rather than at the next poll.
     */
    public void close() throws IOException {
        if (!CLOSED.compareAndSet(this, false, true)) {
            return;
        }
        lane.io.closed(this);
        try {
            channel.close();
        } finally {
            LockSupport.unpark(reader);
            LockSupport.unpark(writer);
            if (VirtualThreadHook.schedulerOf(Thread.currentThread()) != lane && !lane.isCarrier(Thread.currentThread())) {
                lane.wake();
            }
        }
    }

    /**
     * Counts an operation that ended, and says, every {@link #OPS_BEFORE_YIELD} in a row that did not
     * park, that the caller must yield its lane ({@link Thread#yield()}: the thread goes to the back of
     * its lane's queue); an operation that parked starts the count again. The caller yields after
     * releasing its lock, so a second reader (or writer, or acceptor) of the channel runs with the lock
     * free rather than finding it held and parking again (with a barging lock it then never got its
     * turn: the yielder took the lock back at once).
     *
     * @param parked whether the operation parked
     * @return whether to yield once the lock is released
     */
    final boolean hogging(boolean parked) {
        if (parked) {
            unparkedOps = 0;
            return false;
        }
        if (++unparkedOps >= OPS_BEFORE_YIELD) {
            unparkedOps = 0;
            return true;
        }
        return false;
    }

    /**
     * The timeout of one blocking call, fixed by its first wait: that wait reads the channel's timeout
     * (0 for none), and the call keeps it whatever is set meanwhile. Made only once the call has to
     * wait, so a call that never waits allocates nothing; the caller's "has it waited" is "has it one".
     */
    static final class TimedWait {
        private final long timeoutNanos;
        /** {@code System.nanoTime()} to give up at; 0 for no timeout, never 0 for a real one. */
        final long deadline;

        TimedWait(long timeoutNanos) {
            this.timeoutNanos = timeoutNanos;
            long d = timeoutNanos == 0 ? 0 : System.nanoTime() + timeoutNanos;
            this.deadline = timeoutNanos != 0 && d == 0 ? 1 : d;
        }

        /** Whether the deadline has passed; never without a timeout. */
        boolean passed() {
            return deadline != 0 && System.nanoTime() - deadline >= 0;
        }

        /** The timeout exception of {@code operation} ("read", "accept", "connect to ..."), {@code where} appended. */
        SocketTimeoutException timedOut(String operation, String where) {
            return new SocketTimeoutException(operation + " timed out after " + Duration.ofNanos(timeoutNanos) + where);
        }
    }

    /** A timeout as nanoseconds for a field: checked, 0 for none, clamped to {@link LaneTimers#MAX_DELAY_NANOS}. */
    static long timeoutNanos(Duration timeout, String what) {
        java.util.Objects.requireNonNull(timeout, what);
        if (timeout.isNegative()) {
            throw new IllegalArgumentException(what + ": " + timeout + " (expected: zero for none, or a positive duration)");
        }
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException e) {
            nanos = LaneTimers.MAX_DELAY_NANOS;
        }
        return Math.min(nanos, LaneTimers.MAX_DELAY_NANOS);
    }

    final void closeQuietly() {
        try {
            close();
        } catch (IOException | RuntimeException e) {
            // closing for the lane or for an interrupt: nothing to tell
        }
    }

    @Override
    public String toString() {
        return what() + " of cpu " + lane.cpu() + (closed ? " (closed)" : "");
    }
}
