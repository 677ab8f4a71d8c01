package io.coremanager.engine;

import java.io.IOException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The sockets of one lane and the selector its carrier polls them with (lane-local I/O). Nothing
 * here exists until the lane's first socket waits: a lane without sockets has no selector, its
 * carrier parks its thread as before, and the carrier's I/O hooks cost it one volatile read.
 *
 * <p><b>Who does what.</b> A lane's virtual thread that cannot read, write, accept or connect
 * registers its interest with the selector (making it, on first use, and installing it as the
 * carrier's {@link CarrierParking.Blocker}) and parks. The carrier polls:
 * <ul>
 *   <li>busy: {@link #pollNow()} ({@code selectNow}) at the first batch boundary 50 µs after the
 *       last poll ({@code Carrier.IO_POLL_INTERVAL_NANOS}), and each time its queue runs empty, so a
 *       busy lane does not starve its own I/O;</li>
 *   <li>spinning: {@code selectNow} every {@value Carrier#IO_SPIN_POLL_MASK}+1 spins;</li>
 *   <li>idle: {@code select(timeout)} in place of {@code LockSupport.park} ({@link #block}); a
 *       producer ends it with {@code selector.wakeup()} through the usual CAS, so it pays that
 *       system call only when the carrier is blocked, never when it is hot.</li>
 * </ul>
 * Ready keys are handled by the carrier with its parking state RUNNING ({@link #dispatchSelected()}
 * after the park, the {@code selectNow} action otherwise): the parked thread is unparked from the
 * carrier itself, its continuation goes into the lane's own queue, and the waker path sees a
 * running carrier and makes no system call. Zero hops.
 *
 * <p><b>Closing.</b> A channel closed from another thread wakes its parked threads (they fail) and
 * the carrier, whose next poll deregisters the key so the JDK closes the descriptor then. When the
 * group shuts down the lane closes its listening sockets; on {@code shutdownNow}, all its sockets;
 * when the carrier leaves, whatever is left, then the selector.
 */
final class LaneIo implements CarrierParking.Blocker {

    private final Lane lane;
    /** Made by the lane's first waiting socket (on the carrier's thread); closed as the carrier leaves. */
    private volatile Selector selector;
    /** The lane's open channels, whichever thread opened them. */
    private final Set<LaneChannel> channels = ConcurrentHashMap.newKeySet();
    /** Set as the carrier leaves: no new channel, no new registration. */
    private volatile boolean closed;
    /** The carrier's {@code selectNow} action. Made once. */
    private final Consumer<SelectionKey> onReady = LaneIo::ready;
    /** Carrier-only counters (tests, diagnostics): polls that found keys, keys handled. */
    private long polls;
    private long readyKeys;
    /** Blocking selects begun (carrier's counter): a busy-looping selector would show here. */
    private volatile long blocks;

    LaneIo(Lane lane) {
        this.lane = lane;
    }

    /** Whether the lane has a selector to poll: one volatile read, the carrier's whole cost without sockets. */
    boolean active() {
        return selector != null;
    }

    // ---------------------------------------------------------------- channels' side

    /** A channel of this lane was opened; it fails if the lane's I/O has closed already. */
    void opened(LaneChannel channel) throws IOException {
        channels.add(channel); // before reading closed: see closeAll
        if (closed) {
            channels.remove(channel);
            channel.close();
            throw new AsynchronousCloseException();
        }
    }

    void closed(LaneChannel channel) {
        channels.remove(channel);
    }

    /**
     * Registers {@code channel} for {@code ops} with the lane's selector, making the selector first
     * if needed. Called by a virtual thread of the lane, so on the carrier's thread, never while it
     * is parked: the blocker it installs is the one the next park announces.
     */
    SelectionKey register(LaneChannel channel, int ops) throws IOException {
        Selector s = selector;
        if (s == null) {
            s = openSelector();
        }
        try {
            return channel.channel().register(s, ops, channel);
        } catch (ClosedSelectorException e) {
            throw new AsynchronousCloseException();
        }
    }

    /**
     * Makes the lane's selector, once, under this object's lock: two of the lane's threads may both
     * get here (opening a selector may unmount the first), and the carrier may be leaving.
     */
    private synchronized Selector openSelector() throws IOException {
        Selector s = selector;
        if (s != null) {
            return s;
        }
        if (closed) {
            throw new AsynchronousCloseException();
        }
        s = Selector.open();
        selector = s;
        lane.parking.blocker(this);
        return s;
    }

    /** The group shut down: stop listening (accept loops end), keep connections. */
    void closeListeners() {
        for (LaneChannel c : channels) {
            if (c instanceof LaneServerChannel) {
                c.closeQuietly();
            }
        }
    }

    /** {@code shutdownNow}, or the carrier leaving: close every channel of the lane. */
    void closeAll() {
        for (LaneChannel c : new ArrayList<>(channels)) {
            c.closeQuietly();
        }
    }

    // ---------------------------------------------------------------- carrier's side

    /** Non-blocking poll ({@code selectNow}); handles the ready keys. Carrier only, RUNNING. */
    int pollNow() {
        Selector s = selector;
        if (s == null) {
            return 0;
        }
        try {
            int n = s.selectNow(onReady);
            if (n > 0) {
                polls++;
                readyKeys += n;
            }
            return n;
        } catch (IOException | ClosedSelectorException e) {
            lane.report(Thread.currentThread(), e);
            return 0;
        }
    }

    /** Handles the keys the blocking select found (see {@link #block}). Carrier only, RUNNING. */
    void dispatchSelected() {
        Selector s = selector;
        if (s == null) {
            return;
        }
        Set<SelectionKey> keys = s.selectedKeys();
        if (keys.isEmpty()) {
            return;
        }
        polls++;
        readyKeys += keys.size();
        for (SelectionKey k : keys) {
            ready(k);
        }
        keys.clear();
    }

    private static void ready(SelectionKey key) {
        ((LaneChannel) key.attachment()).ready(key);
    }

    /**
     * The carrier's idle block: {@code select} for at most {@code nanos} (rounded up to the
     * selector's milliseconds), leaving the ready keys for {@link #dispatchSelected()} once the
     * carrier runs again. True if it found any.
     */
    @Override
    public boolean block(Object parking, long nanos) {
        Selector s = selector;
        blocks++; // the carrier's own counter: one writer
        try {
            s.select(Math.max(1L, (nanos + 999_999L) / 1_000_000L));
            return !s.selectedKeys().isEmpty();
        } catch (IOException | ClosedSelectorException e) {
            lane.report(Thread.currentThread(), e);
            LockSupport.parkNanos(parking, nanos);
            return false;
        }
    }

    @Override
    public void wake(Thread carrier) {
        Selector s = selector;
        if (s != null) {
            s.wakeup();
        }
    }

    /** The carrier leaves for good: close the lane's channels, then the selector. Carrier only. */
    void carrierLeaving() {
        Selector s;
        synchronized (this) { // with openSelector: no selector is made after this
            closed = true;
            s = selector;
        }
        closeAll();
        if (s != null) {
            lane.parking.blocker(CarrierParking.THREAD_PARK);
            try {
                s.close();
            } catch (IOException e) {
                lane.report(Thread.currentThread(), e);
            }
        }
    }

    /** Polls that found ready keys (carrier's counter; approximate from other threads). */
    long polls() {
        return polls;
    }

    /** Ready keys handled (carrier's counter; approximate from other threads). */
    long readyKeys() {
        return readyKeys;
    }

    /** Blocking selects begun since the lane started. */
    long blocks() {
        return blocks;
    }

    /** Open channels of the lane now. */
    int openChannels() {
        return channels.size();
    }
}
