package io.aeroarc.registry.core.watch;

import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.support.DaemonThreads;
import io.aeroarc.registry.spi.BackendUnavailableException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * One server's single subscription to the backend's {@link ChangeFeed}, shared by all its watch
 * streams. It keeps a {@link FleetView} of the live fleet and the last events in an
 * {@link EventRing}; streams read both and keep only a cursor.
 *
 * <p>Building the view: subscribe from now first, then list everything (paged), then apply the
 * changes received meanwhile, which the view drops where the listing already shows them. When the
 * feed reports a gap, the hub does the same again and emits the difference between its old view
 * and the new one as events, so watchers see no gap. On a storage failure it subscribes again
 * after the last position it applied, with back-off (250 ms doubling to 5 s, jittered), never
 * giving up and never spinning.
 *
 * <p>Threads: the feed's listener only hands work to the hub's own thread, which applies changes,
 * lists, and retries; readers take the hub's lock for a snapshot or a batch of events.
 */
public final class WatchHub implements AutoCloseable {

    /** Events kept for resuming and for slow watchers. */
    public static final int DEFAULT_HISTORY = 65_536;
    static final int LIST_PAGE_SIZE = 1000;
    static final Duration MIN_RETRY = Duration.ofMillis(250);
    static final Duration MAX_RETRY = Duration.ofSeconds(5);

    private static final System.Logger LOG = System.getLogger(WatchHub.class.getName());

    /**
     * Up to {@code max} relays after {@code afterId} (id order) passing {@code filter}: one page of a
     * snapshot taken page by page. Pages read at different times are made consistent by replaying
     * the events from before the first page (see {@code WatchStream}).
     */
    public synchronized List<RelayRecord> relaysAfter(String afterId, int max, Predicate<RelayRecord> filter) {
        return view.relaysAfter(afterId, max, filter);
    }

    /**
     * Up to {@code max} placements after {@code afterId} (agent id order), on {@code relayId} when
     * given, among {@code agentIds} when not empty: one page of a snapshot taken page by page.
     */
    public synchronized List<PlacementRecord> placementsAfter(String afterId, int max, Optional<String> relayId, NavigableSet<String> agentIds) {
        if (agentIds.isEmpty()) {
            return view.placementsAfter(afterId, max, relayId);
        }
        List<PlacementRecord> found = new ArrayList<>();
        for (String agentId : agentIds.tailSet(afterId, false)) {
            if (found.size() == max) {
                break;
            }
            view.placement(agentId).filter(p -> relayId.isEmpty() || relayId.get().equals(p.relayId())).ifPresent(found::add);
        }
        return found;
    }

    private final ChangeFeed feed;
    private final RegistryBackend backend;
    private final Clock clock;
    private final long incarnation = new SecureRandom().nextLong();
    private final ScheduledThreadPoolExecutor hubThread = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("registry-watch-hub"));
    private final Set<Runnable> listeners = ConcurrentHashMap.newKeySet();
    private final AtomicLong gaps = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    // Guarded by this: what readers see.
    private FleetView view = new FleetView();
    private final EventRing ring;
    private boolean ready;

    // The hub thread's own.
    private long generation;
    private FeedSubscription subscription;
    private Optional<String> lastPosition = Optional.empty();
    private int troubles;
    private volatile boolean closed;

    /**
     * @param backend read with paged lists when the view is (re)built
     * @param history events kept (see {@link EventRing})
     */
    public WatchHub(ChangeFeed feed, RegistryBackend backend, Clock clock, int history) {
        this.feed = feed;
        this.backend = backend;
        this.clock = clock;
        this.ring = new EventRing(history);
        // A retry waiting for its back-off must not hold up closing.
        hubThread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** Builds the view on the hub's thread; readers wait for {@link #ready()} (listeners are told). */
    public WatchHub start() {
        run(this::rebuild);
        return this;
    }

    /** Whether the view has been built; until then there is nothing to snapshot. */
    public synchronized boolean ready() {
        return ready;
    }

    public synchronized long lastSequence() {
        return ring.last();
    }

    /** Called (on the hub's thread; it must return quickly) after new events, and when the hub becomes ready. */
    public void addListener(Runnable listener) {
        listeners.add(listener);
    }

    public void removeListener(Runnable listener) {
        listeners.remove(listener);
    }

    /**
     * Copies up to {@code max} events after {@code cursor}; the first has number {@code cursor + 1}.
     *
     * @return false when they are no longer held: the reader needs a snapshot
     */
    public synchronized boolean read(long cursor, int max, List<FleetEvent> into) {
        if (!ring.holdsAfter(cursor)) {
            return false;
        }
        ring.read(cursor, max, into);
        return true;
    }

    /** The token that resumes after event {@code sequence}. */
    public String token(long sequence) {
        return new ResumeToken(incarnation, sequence).encode();
    }

    /** Where {@code token} resumes, when it is this hub's and its events after it are still held. */
    public synchronized OptionalLong resumePoint(String token) {
        Optional<ResumeToken> decoded = ResumeToken.decode(token);
        if (!ready || decoded.isEmpty() || decoded.get().hubIncarnation() != incarnation || !ring.holdsAfter(decoded.get().sequence())) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(decoded.get().sequence());
    }

    /** Gaps the feed reported since start, each answered by a re-read. */
    public long gaps() {
        return gaps.get();
    }

    /** Storage failures the feed reported since start, each answered by a re-subscription. */
    public long failures() {
        return failures.get();
    }

    /** Ends the subscription and the feed. Never throws. */
    @Override
    public void close() {
        closed = true;
        run(this::closeSubscription);
        hubThread.shutdown();
        try {
            if (!hubThread.awaitTermination(2, TimeUnit.SECONDS)) {
                hubThread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            hubThread.shutdownNow();
        }
        try {
            feed.close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the change feed failed", e);
        }
    }

    // ---- the hub thread ----

    /** Subscribes from now, lists everything, and replaces the view, emitting the difference once ready. */
    private void rebuild() {
        if (closed) {
            return;
        }
        long current = renew();
        try {
            subscription = feed.subscribe(Optional.empty(), listenerFor(current));
            FleetView fresh = readFleet();
            int emitted;
            synchronized (this) {
                List<FleetEvent> events = ready ? view.diffTo(fresh, clock.millis()) : List.of();
                events.forEach(ring::append);
                emitted = events.size();
                view = fresh;
                ready = true;
            }
            LOG.log(System.Logger.Level.INFO, "watch view built: {0} relays, {1} placements; {2} events from the difference",
                    fresh.relayCount(), fresh.placementCount(), emitted);
            notifyListeners();
        } catch (RuntimeException e) {
            troubles++;
            logTrouble("reading the fleet for watchers failed", e);
            // Ends the new subscription too: until the re-read, nothing may move the view or the position.
            later(this::rebuild, renew());
        }
    }

    private void onChanges(long subscribed, List<FleetChange> changes) {
        if (subscribed != generation || closed) {
            return;
        }
        troubles = 0;
        int emitted = 0;
        try {
            synchronized (this) {
                for (FleetChange change : changes) {
                    for (FleetEvent event : view.apply(change)) {
                        ring.append(event);
                        emitted++;
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "applying feed changes failed; reading the fleet again", e);
            rebuild();
            return;
        }
        lastPosition = Optional.of(changes.get(changes.size() - 1).position());
        if (emitted > 0) {
            notifyListeners();
        }
    }

    private void onGap(long subscribed, String why) {
        if (subscribed != generation || closed) {
            return;
        }
        gaps.incrementAndGet();
        LOG.log(System.Logger.Level.INFO, "the change feed lost changes ({0}); reading the fleet again and sending watchers the difference", why);
        troubles++;
        if (troubles == 1) {
            rebuild();
        } else {
            later(this::rebuild, renew());
        }
    }

    private void onFailure(long subscribed, BackendUnavailableException cause) {
        if (subscribed != generation || closed) {
            return;
        }
        failures.incrementAndGet();
        troubles++;
        logTrouble("the change feed failed", cause);
        later(this::resubscribe, renew());
    }

    private void resubscribe() {
        if (closed) {
            return;
        }
        if (lastPosition.isEmpty()) {
            rebuild(); // nothing applied since the last read: nowhere to continue from
            return;
        }
        long current = renew();
        try {
            subscription = feed.subscribe(lastPosition, listenerFor(current));
        } catch (RuntimeException e) {
            troubles++;
            logTrouble("subscribing to the change feed again failed", e);
            later(this::resubscribe, current);
        }
    }

    /** Ends the current subscription; callbacks of earlier ones are ignored from now on. */
    private long renew() {
        closeSubscription();
        return ++generation;
    }

    private void closeSubscription() {
        if (subscription != null) {
            try {
                subscription.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing a feed subscription failed", e);
            }
            subscription = null;
        }
    }

    /** Runs {@code task} after the back-off, unless something else renewed the subscription meanwhile. */
    private void later(Runnable task, long expectedGeneration) {
        long base = Math.min(MAX_RETRY.toMillis(), MIN_RETRY.toMillis() << Math.min(troubles - 1, 10));
        long delay = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
        try {
            hubThread.schedule(() -> {
                if (generation == expectedGeneration) {
                    task.run();
                }
            }, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    private void logTrouble(String what, RuntimeException cause) {
        // Once per episode at WARN; the retries of a long outage at DEBUG.
        if (troubles <= 1) {
            LOG.log(System.Logger.Level.WARNING, what + ": " + cause + "; retrying with back-off");
        } else {
            LOG.log(System.Logger.Level.DEBUG, what + " (attempt " + troubles + ")", cause);
        }
    }

    /**
     * Lists the whole fleet, pausing after each page as long as the page took: the read bypasses
     * call admission, and on a busy shared store (Redis serves one command at a time) an
     * unpaced read of 100,000 placements held up the heartbeats long enough to have them shed.
     */
    private FleetView readFleet() {
        FleetView fresh = new FleetView();
        String after = "";
        Page<RelayRecord> relays;
        do {
            long started = System.nanoTime();
            relays = backend.listRelays(Map.of(), new PageRequest(after, LIST_PAGE_SIZE));
            relays.items().forEach(fresh::put);
            after = relays.items().isEmpty() ? after : relays.items().get(relays.items().size() - 1).relayId();
            LockSupport.parkNanos(System.nanoTime() - started);
        } while (relays.hasMore() && !relays.items().isEmpty() && !closed);
        after = "";
        Page<PlacementRecord> placements;
        do {
            long started = System.nanoTime();
            placements = backend.listAgents(Optional.empty(), new PageRequest(after, LIST_PAGE_SIZE));
            placements.items().forEach(fresh::put);
            after = placements.items().isEmpty() ? after : placements.items().get(placements.items().size() - 1).agentId();
            LockSupport.parkNanos(System.nanoTime() - started);
        } while (placements.hasMore() && !placements.items().isEmpty() && !closed);
        return fresh;
    }

    private void notifyListeners() {
        for (Runnable listener : listeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "a watch listener failed", e);
            }
        }
    }

    private FeedListener listenerFor(long subscribed) {
        return new FeedListener() {
            @Override
            public void onChanges(List<FleetChange> changes) {
                run(() -> WatchHub.this.onChanges(subscribed, changes));
            }

            @Override
            public void onGap(String why) {
                run(() -> WatchHub.this.onGap(subscribed, why));
            }

            @Override
            public void onFailure(BackendUnavailableException cause) {
                run(() -> WatchHub.this.onFailure(subscribed, cause));
            }
        };
    }

    private void run(Runnable task) {
        try {
            hubThread.execute(task);
        } catch (RejectedExecutionException e) {
            // closed: the feed may still call for a moment
        }
    }

    /** For tests: the view's counts, read under the lock. */
    synchronized int[] counts() {
        return new int[] {view.relayCount(), view.placementCount()};
    }
}
