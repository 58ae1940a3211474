package io.aeroarc.registry.spi.feed;

import io.aeroarc.registry.spi.BackendUnavailableException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A subscription reading a {@link ChangeRing} from a cursor, for feeds that keep their changes
 * in process and call their listeners from one thread of their own (the delivering thread).
 * The feed creates it under the ring's lock with {@link #startAfter}, keeps it in its list of
 * subscriptions, and calls {@link #deliver} from its delivering thread whenever the ring grew.
 *
 * <p>A subscription ends once, whoever ends it (its consumer's {@link #close()}, the feed's
 * gap or failure, a listener that throws): then {@code onEnd} runs, for the feed to drop it from
 * its list, and the listener is not called again by this class.
 */
public final class RingSubscription implements FeedSubscription {

    /** Changes per listener call, so a resumed subscriber's backlog does not arrive as one huge list. */
    public static final int CHANGES_PER_CALL = 1000;

    private static final System.Logger LOG = System.getLogger(RingSubscription.class.getName());

    private final FeedListener listener;
    private final Consumer<RingSubscription> onEnd;
    private final AtomicBoolean ended = new AtomicBoolean();
    /** Sequence number of the last change handed to the listener; only the delivering thread moves it after the start. */
    private long cursor;
    /** Set when the subscription is to end with a gap instead of changes. */
    private volatile String gap;

    /**
     * @param onEnd run once when the subscription ends, on the thread that ends it: the feed drops
     *     it from its list there (it must not call the listener)
     */
    public RingSubscription(FeedListener listener, Consumer<RingSubscription> onEnd) {
        this.listener = Objects.requireNonNull(listener, "listener");
        this.onEnd = Objects.requireNonNull(onEnd, "onEnd");
    }

    /**
     * Places the cursor: at the ring's last change when {@code after} is empty, else at the
     * position {@code after}; a position the ring cannot resume from makes the next
     * {@link #deliver} report a gap. Call it under the ring's lock, before the delivering thread
     * can see the subscription.
     *
     * @param window the feed's {@link ChangeFeed#resumeWindow()}, for the gap's text
     * @return false when the subscription will end with a gap
     */
    public boolean startAfter(ChangeRing ring, Optional<String> after, String window) {
        if (after.isEmpty()) {
            cursor = ring.lastSeq();
            return true;
        }
        long seq = ring.resumableSeq(after.get());
        if (seq < 0) {
            gap = "position " + after.get() + " is not within what this feed keeps (" + window + ")";
            return false;
        }
        cursor = seq;
        return true;
    }

    /** Sequence number of the last change handed to the listener. */
    public long cursor() {
        return cursor;
    }

    /** Whether the subscription has ended. */
    public boolean isEnded() {
        return ended.get();
    }

    /**
     * On the delivering thread: hands the listener every change of {@code ring} after the cursor,
     * {@link #CHANGES_PER_CALL} at a time, reading the ring under {@code lock}; or reports the gap
     * when the start position was not resumable or the ring dropped changes not yet handed over.
     */
    public void deliver(ChangeRing ring, Object lock) {
        while (!ended.get()) {
            List<FleetChange> next = List.of();
            synchronized (lock) {
                if (gap == null && !ring.keepsAfter(cursor)) {
                    gap = "the subscriber fell behind what this feed keeps (the last " + ring.capacity() + " changes)";
                }
                if (gap == null) {
                    next = ring.after(cursor, CHANGES_PER_CALL);
                }
            }
            if (gap != null) {
                if (end()) {
                    callListener(() -> listener.onGap(gap));
                }
                return;
            }
            if (next.isEmpty()) {
                return;
            }
            cursor += next.size();
            List<FleetChange> batch = List.copyOf(next);
            callListener(() -> listener.onChanges(batch));
        }
    }

    /**
     * On the delivering thread: hands the listener {@code changes}, which must be the changes
     * right after the cursor (for a feed that has them at hand, e.g. more at once than its ring
     * keeps), {@link #CHANGES_PER_CALL} at a time.
     */
    public void handOver(List<FleetChange> changes) {
        for (int from = 0; from < changes.size() && !ended.get(); from += CHANGES_PER_CALL) {
            List<FleetChange> batch = changes.subList(from, Math.min(changes.size(), from + CHANGES_PER_CALL));
            cursor += batch.size();
            callListener(() -> listener.onChanges(batch));
        }
    }

    /** On the delivering thread: ends the subscription with {@link FeedListener#onFailure}, unless it had ended. */
    public void fail(BackendUnavailableException cause) {
        if (end()) {
            callListener(() -> listener.onFailure(cause));
        }
    }

    /**
     * Ends the subscription without calling the listener (its consumer closing it, or the feed
     * closing); runs {@code onEnd} the first time.
     *
     * @return false when it had ended already
     */
    public boolean end() {
        if (!ended.compareAndSet(false, true)) {
            return false;
        }
        onEnd.accept(this);
        return true;
    }

    @Override
    public void close() {
        end();
    }

    /** A listener that throws ends its own subscription and nothing else. */
    private void callListener(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "change feed: a listener threw; its subscription ends", e);
            end();
        }
    }
}
