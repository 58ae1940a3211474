package io.aeroarc.registry.backend.memory;

import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.support.DaemonThreads;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The memory backend's native feed: reads the backend's {@link ChangeLog}, where every write
 * appends its change under the backend's lock. One daemon thread per feed wakes when a change is
 * appended, and at least every {@link #TICK} to report the expiries that came due (the backend's
 * clock decides, so a test's manual clock works too), then hands each subscription what it has
 * not seen yet.
 *
 * <p>Resume window: the last {@link ChangeLog#capacity} changes of this process (100,000 by
 * default); positions of another process, or older ones, get {@link FeedListener#onGap}. A
 * subscriber that falls that far behind gets a gap too.
 */
final class MemoryChangeFeed implements ChangeFeed {

    /** How often expiries are looked for when nothing is written: well inside the 1 s bound. */
    static final Duration TICK = Duration.ofMillis(100);

    /** Changes per listener call. */
    static final int CHANGES_PER_CALL = 1000;

    private static final System.Logger LOG = System.getLogger(MemoryChangeFeed.class.getName());
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final MemoryBackend backend;
    private final ChangeLog log;
    private final Object lock;
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean closed;

    MemoryChangeFeed(MemoryBackend backend, ChangeLog log, Object lock) {
        this.backend = backend;
        this.log = log;
        this.lock = lock;
        this.thread = DaemonThreads.named("memory-change-feed-" + log.logId).newThread(this::run);
        log.addReader(thread);
        thread.start();
    }

    @Override
    public FeedSubscription subscribe(Optional<String> after, FeedListener listener) {
        Objects.requireNonNull(after, "after");
        Objects.requireNonNull(listener, "listener");
        Subscription subscription = new Subscription(listener);
        if (closed) {
            subscription.closed = true;
            listener.onFailure(new BackendUnavailableException("the change feed is closed"));
            return subscription;
        }
        synchronized (lock) {
            if (after.isEmpty()) {
                subscription.cursor = log.lastSeq();
            } else {
                long seq = log.resumableSeq(after.get());
                if (seq < 0) {
                    subscription.gap = "position " + after.get() + " is not within what this feed keeps (" + resumeWindow() + ")";
                } else {
                    subscription.cursor = seq;
                }
            }
        }
        subscriptions.add(subscription);
        LockSupport.unpark(thread);
        return subscription;
    }

    @Override
    public String resumeWindow() {
        return "the last " + log.capacity + " changes of this process (kept in memory; a restart starts a new window)";
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Subscription subscription : subscriptions) {
            subscription.closed = true;
        }
        subscriptions.clear();
        log.removeReader(thread);
        thread.interrupt();
        if (Thread.currentThread() == thread) {
            backend.feedClosed(this); // closed by a listener, on this feed's own thread: it ends after the call
            return;
        }
        try {
            thread.join(CLOSE_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        backend.feedClosed(this);
    }

    private void run() {
        while (!closed) {
            try {
                backend.reportDueExpiries();
                for (Subscription subscription : subscriptions) {
                    deliver(subscription);
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "memory change feed: unexpected failure; going on", e);
            }
            if (Thread.interrupted()) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(TICK.toMillis()));
        }
    }

    private void deliver(Subscription subscription) {
        while (!subscription.closed) {
            List<FleetChange> next;
            synchronized (lock) {
                if (subscription.gap == null && subscription.cursor < log.oldestKeptSeq() - 1) {
                    subscription.gap = "the subscriber fell behind what this feed keeps (" + resumeWindow() + ")";
                }
                next = subscription.gap == null ? log.after(subscription.cursor, CHANGES_PER_CALL) : List.of();
            }
            if (subscription.gap != null) {
                subscriptions.remove(subscription);
                if (!subscription.closed) {
                    subscription.closed = true;
                    call(subscription, () -> subscription.listener.onGap(subscription.gap));
                }
                return;
            }
            if (next.isEmpty()) {
                return;
            }
            subscription.cursor += next.size();
            List<FleetChange> batch = List.copyOf(next);
            call(subscription, () -> subscription.listener.onChanges(batch));
        }
    }

    /** A listener that throws ends its own subscription and nothing else. */
    private void call(Subscription subscription, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "memory change feed: a listener threw; its subscription ends", e);
            subscription.close();
        }
    }

    private final class Subscription implements FeedSubscription {
        final FeedListener listener;
        /** Sequence number of the last change handed over; only the feed's thread moves it after subscribe. */
        long cursor;
        volatile String gap;
        volatile boolean closed;

        Subscription(FeedListener listener) {
            this.listener = listener;
        }

        @Override
        public void close() {
            closed = true;
            subscriptions.remove(this);
        }
    }
}
