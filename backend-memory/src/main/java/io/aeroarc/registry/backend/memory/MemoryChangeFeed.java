package io.aeroarc.registry.backend.memory;

import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.RingSubscription;
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
 * <p>Resume window: the last changes of this process its {@link ChangeLog} keeps (100,000 by
 * default); positions of another process, or older ones, get {@link FeedListener#onGap}. A
 * subscriber that falls that far behind gets a gap too.
 */
final class MemoryChangeFeed implements ChangeFeed {

    /** How often expiries are looked for when nothing is written: well inside the 1 s bound. */
    static final Duration TICK = Duration.ofMillis(100);

    private static final System.Logger LOG = System.getLogger(MemoryChangeFeed.class.getName());
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final MemoryBackend backend;
    private final ChangeLog log;
    private final Object lock;
    private final List<RingSubscription> subscriptions = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean closed;

    MemoryChangeFeed(MemoryBackend backend, ChangeLog log, Object lock) {
        this.backend = backend;
        this.log = log;
        this.lock = lock;
        this.thread = DaemonThreads.named("memory-change-feed-" + log.ring.id()).newThread(this::run);
        log.addReader(thread);
        thread.start();
    }

    @Override
    public FeedSubscription subscribe(Optional<String> after, FeedListener listener) {
        Objects.requireNonNull(after, "after");
        Objects.requireNonNull(listener, "listener");
        RingSubscription subscription = new RingSubscription(listener, subscriptions::remove);
        if (closed) {
            subscription.end();
            listener.onFailure(new BackendUnavailableException("the change feed is closed"));
            return subscription;
        }
        synchronized (lock) {
            subscription.startAfter(log.ring, after, resumeWindow());
        }
        subscriptions.add(subscription); // with a gap too: the feed's thread reports it
        LockSupport.unpark(thread);
        return subscription;
    }

    @Override
    public String resumeWindow() {
        return "the last " + log.ring.capacity() + " changes of this process (kept in memory; a restart starts a new window)";
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (RingSubscription subscription : subscriptions) {
            subscription.end();
        }
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
                for (RingSubscription subscription : subscriptions) {
                    subscription.deliver(log.ring, lock);
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
}
