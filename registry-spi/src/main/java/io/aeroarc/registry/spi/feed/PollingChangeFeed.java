package io.aeroarc.registry.spi.feed;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.support.DaemonThreads;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The change feed of a backend without a native one: it lists every relay and placement every
 * {@link #DEFAULT_INTERVAL} and reports the differences. Costlier than a native feed (a full
 * listing per interval, whatever changed), and a removal's reason is inferred (an entry gone after
 * its last seen expiry is EXPIRED). Positions are kept in memory: resumable on the same instance
 * within the last changes it keeps.
 *
 * <h2>What polling sees, and what it cannot</h2>
 * <ul>
 *   <li>It starts listing at the first {@link #subscribe} and then keeps listing until
 *       {@link #close()}, so a consumer that comes back within the window misses nothing.</li>
 *   <li>Its first listing is compared with an empty view: a subscriber that came before it gets
 *       every entry live at that moment as upserted (never less than what changed since it
 *       subscribed, possibly more).</li>
 *   <li>Changes within one interval collapse: an entry is reported with its state at the listing
 *       (a placement moved twice is one {@link FleetChange.PlacementUpserted}, a relay deregistered
 *       and registered again is one removal and one upsert). Renewals never show, since only
 *       address, port, labels, incarnation and epoch are compared.</li>
 *   <li>Reasons are inferred: an entry gone from the listing is {@link RemovalReason#EXPIRED} when
 *       its last seen expiry had passed (within {@link #EXPIRY_SKEW_MS}), else
 *       {@link RemovalReason#DEREGISTERED}. Placements of an ended relay are left implied.</li>
 *   <li>A listing that fails ends every subscription with {@link FeedListener#onFailure}; the
 *       feed keeps listing, and a consumer that subscribes again after its last position gets
 *       what changed meanwhile once the storage answers.</li>
 * </ul>
 *
 * <p>One daemon thread per feed lists and calls the listeners.
 */
public final class PollingChangeFeed implements ChangeFeed {

    /** Short enough that expiries are reported within {@link ChangeFeed#EXPIRY_LAG_BOUND_MS}. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(250);

    /** How many changes the default feed keeps for resuming. */
    public static final int DEFAULT_KEPT_CHANGES = 100_000;

    /**
     * An entry gone within this long before its last seen expiry counts as expired: the storage's
     * clock may run ahead of this process's, and an entry that expired must not read as
     * deregistered. A deregistration that close to the expiry reads as an expiry.
     */
    public static final long EXPIRY_SKEW_MS = 500;

    /** Entries per list call. */
    static final int PAGE_SIZE = 1000;

    /** Changes per listener call, so a resumed subscriber's backlog does not arrive as one huge list. */
    static final int CHANGES_PER_CALL = 1000;

    private static final System.Logger LOG = System.getLogger(PollingChangeFeed.class.getName());
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final RegistryBackend backend;
    private final Clock clock;
    private final Duration interval;
    private final int keptChanges;
    /** Positions name the feed instance: another instance's position is unknown here, so it gaps. */
    private final String feedId = UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    private final Object lock = new Object();
    /** The kept changes, oldest first; the last has sequence number {@link #lastSeq}. Guarded by lock. */
    private final ArrayDeque<FleetChange> kept = new ArrayDeque<>();
    private long lastSeq;
    private final List<Subscription> subscriptions = new ArrayList<>();
    private ScheduledExecutorService executor;
    private volatile Thread feedThread;
    private boolean closed;

    // Only the feed's thread touches these: the view of the last successful listing.
    private Map<String, RelayRecord> relays = new HashMap<>();
    private Map<String, PlacementRecord> placements = new HashMap<>();
    private boolean failing;

    private PollingChangeFeed(RegistryBackend backend, Clock clock, Duration interval, int keptChanges) {
        this.backend = backend;
        this.clock = clock;
        this.interval = interval;
        this.keptChanges = keptChanges;
    }

    public static PollingChangeFeed of(RegistryBackend backend, BackendContext context, Duration interval) {
        return of(backend, context, interval, DEFAULT_KEPT_CHANGES);
    }

    /**
     * A feed keeping {@code keptChanges} changes for resuming; tests pass a small number to push a
     * position out of the window quickly.
     */
    public static PollingChangeFeed of(RegistryBackend backend, BackendContext context, Duration interval, int keptChanges) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(context, "context");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("polling interval must be positive");
        }
        if (keptChanges < 1) {
            throw new IllegalArgumentException("keptChanges must be at least 1");
        }
        return new PollingChangeFeed(backend, context.clock(), interval, keptChanges);
    }

    @Override
    public FeedSubscription subscribe(Optional<String> after, FeedListener listener) {
        Objects.requireNonNull(after, "after");
        Objects.requireNonNull(listener, "listener");
        Subscription subscription = new Subscription(listener);
        synchronized (lock) {
            if (closed) {
                subscription.closed = true;
                listener.onFailure(new BackendUnavailableException("the change feed is closed"));
                return subscription;
            }
            if (after.isEmpty()) {
                subscription.cursor = lastSeq;
            } else {
                long seq = resumableSeq(after.get());
                if (seq < 0) {
                    subscription.gap = "position " + after.get() + " is not within what this feed keeps (" + resumeWindow() + ")";
                } else {
                    subscription.cursor = seq;
                }
            }
            if (subscription.gap == null) {
                subscriptions.add(subscription);
            }
            startIfNeeded();
            try {
                executor.execute(() -> catchUp(subscription));
            } catch (RejectedExecutionException e) {
                // closing at this moment: the subscription ends with the feed
            }
        }
        return subscription;
    }

    @Override
    public String resumeWindow() {
        return "the last " + keptChanges + " changes, on this feed instance only (kept in memory; a restart starts a new window)";
    }

    @Override
    public void close() {
        ScheduledExecutorService stopping;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            for (Subscription subscription : subscriptions) {
                subscription.closed = true;
            }
            subscriptions.clear();
            stopping = executor;
        }
        if (stopping == null) {
            return;
        }
        stopping.shutdownNow();
        if (Thread.currentThread() == feedThread) {
            return; // closed by a listener, on this feed's own thread: it ends after the call
        }
        try {
            stopping.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The sequence number a position names, when every change after it is kept; else -1. Under lock. */
    private long resumableSeq(String position) {
        int colon = position.lastIndexOf(':');
        if (colon <= 0 || !position.substring(0, colon).equals(feedId)) {
            return -1;
        }
        long seq;
        try {
            seq = Long.parseLong(position.substring(colon + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
        long oldestKept = lastSeq - kept.size() + 1;
        return seq >= oldestKept - 1 && seq <= lastSeq ? seq : -1;
    }

    /** Under lock. */
    private void startIfNeeded() {
        if (executor != null) {
            return;
        }
        ThreadFactory named = DaemonThreads.named("polling-change-feed-" + feedId);
        executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = named.newThread(runnable);
            feedThread = thread;
            return thread;
        });
        executor.scheduleWithFixedDelay(this::poll, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---------------------------------------------------------------- the feed's thread

    private void catchUp(Subscription subscription) {
        if (subscription.gap != null) {
            if (endByFeed(subscription)) {
                callListener(subscription, () -> subscription.listener.onGap(subscription.gap));
            }
            return;
        }
        deliver(subscription);
    }

    /** Hands the subscription every kept change after its cursor. */
    private void deliver(Subscription subscription) {
        while (!subscription.closed) {
            List<FleetChange> next = new ArrayList<>();
            synchronized (lock) {
                long oldestKept = lastSeq - kept.size() + 1;
                if (subscription.cursor < oldestKept - 1) {
                    // Cannot happen while listeners are called on this thread after every listing; kept as a guard.
                    subscription.gap = "the subscriber fell behind what this feed keeps (" + resumeWindow() + ")";
                } else {
                    int skip = (int) (subscription.cursor - oldestKept + 1);
                    var iterator = kept.iterator();
                    for (int i = 0; i < skip; i++) {
                        iterator.next();
                    }
                    while (iterator.hasNext() && next.size() < CHANGES_PER_CALL) {
                        next.add(iterator.next());
                    }
                }
            }
            if (subscription.gap != null) {
                catchUp(subscription);
                return;
            }
            if (next.isEmpty()) {
                return;
            }
            subscription.cursor += next.size();
            List<FleetChange> batch = List.copyOf(next);
            callListener(subscription, () -> subscription.listener.onChanges(batch));
        }
    }

    private void poll() {
        Map<String, RelayRecord> listedRelays;
        Map<String, PlacementRecord> listedPlacements;
        try {
            // Placements first: a relay that ends between the two listings then hides its placements
            // (they are kept only with their relay), instead of reading as removed one by one.
            listedPlacements = listPlacements();
            listedRelays = listRelays();
        } catch (BackendUnavailableException e) {
            failEverySubscription(e);
            return;
        } catch (RuntimeException e) {
            // A bug of the backend: report it as a failure so consumers retry instead of hanging.
            LOG.log(System.Logger.Level.ERROR, "polling change feed: listing failed with an unexpected exception", e);
            failEverySubscription(new BackendUnavailableException("listing failed: " + e, e));
            return;
        }
        if (failing) {
            LOG.log(System.Logger.Level.INFO, "polling change feed: listing works again");
            failing = false;
        }
        List<FleetChange> changes = diff(listedRelays, listedPlacements, clock.millis());
        if (changes.isEmpty()) {
            return;
        }
        List<Subscription> current;
        long before;
        synchronized (lock) {
            before = lastSeq;
            for (FleetChange change : changes) {
                if (kept.size() == keptChanges) {
                    kept.removeFirst();
                }
                kept.addLast(change);
            }
            lastSeq += changes.size();
            current = List.copyOf(subscriptions);
        }
        for (Subscription subscription : current) {
            if (subscription.cursor == before) {
                // Up to date: hand over this listing's changes as they are, however many there
                // were (more than the window keeps must not cut off a subscriber that kept up).
                for (int from = 0; from < changes.size() && !subscription.closed; from += CHANGES_PER_CALL) {
                    List<FleetChange> batch = changes.subList(from, Math.min(changes.size(), from + CHANGES_PER_CALL));
                    subscription.cursor = before + from + batch.size();
                    callListener(subscription, () -> subscription.listener.onChanges(batch));
                }
            } else {
                deliver(subscription);
            }
        }
    }

    private Map<String, PlacementRecord> listPlacements() {
        Map<String, PlacementRecord> listed = new HashMap<>();
        String after = "";
        while (true) {
            Page<PlacementRecord> page = backend.listAgents(Optional.empty(), new PageRequest(after, PAGE_SIZE));
            for (PlacementRecord placement : page.items()) {
                listed.put(placement.agentId(), placement);
            }
            if (!page.hasMore() || page.items().isEmpty()) {
                return listed;
            }
            after = page.items().get(page.items().size() - 1).agentId();
        }
    }

    private Map<String, RelayRecord> listRelays() {
        Map<String, RelayRecord> listed = new HashMap<>();
        String after = "";
        while (true) {
            Page<RelayRecord> page = backend.listRelays(Map.of(), new PageRequest(after, PAGE_SIZE));
            for (RelayRecord relay : page.items()) {
                listed.put(relay.relayId(), relay);
            }
            if (!page.hasMore() || page.items().isEmpty()) {
                return listed;
            }
            after = page.items().get(page.items().size() - 1).relayId();
        }
    }

    /**
     * The changes from the previous view to this listing, and the listing becomes the view. Order:
     * relay removals, relay upserts, placement removals, placement upserts, so an ended incarnation
     * is reported before the next one and a relay before the placements on it.
     */
    private List<FleetChange> diff(Map<String, RelayRecord> listedRelays, Map<String, PlacementRecord> listedPlacements, long now) {
        List<FleetChange> changes = new ArrayList<>();
        long seq;
        synchronized (lock) {
            seq = lastSeq;
        }
        Set<String> endedRelays = new HashSet<>();
        for (RelayRecord before : relays.values()) {
            RelayRecord listed = listedRelays.get(before.relayId());
            if (listed == null || listed.registeredAtMs() != before.registeredAtMs()) {
                endedRelays.add(before.relayId());
                boolean expired = before.expiresAtMs() <= now + EXPIRY_SKEW_MS;
                changes.add(new FleetChange.RelayRemoved(position(++seq), before.relayId(), before.registeredAtMs(),
                        expired ? RemovalReason.EXPIRED : RemovalReason.DEREGISTERED, expired ? before.expiresAtMs() : now));
            }
        }
        for (RelayRecord listed : listedRelays.values()) {
            RelayRecord before = relays.get(listed.relayId());
            if (before == null || endedRelays.contains(listed.relayId()) || !sameForReaders(before, listed)) {
                changes.add(new FleetChange.RelayUpserted(position(++seq), listed));
            }
        }
        Map<String, PlacementRecord> visible = new HashMap<>();
        for (PlacementRecord placement : listedPlacements.values()) {
            RelayRecord relay = listedRelays.get(placement.relayId());
            // A placement listed before its relay ended and came back belongs to the ended
            // incarnation: no placement of an incarnation is older than the incarnation.
            if (relay != null && placement.lastHeartbeatMs() >= relay.registeredAtMs()) {
                visible.put(placement.agentId(), placement);
            }
        }
        for (PlacementRecord before : placements.values()) {
            if (visible.containsKey(before.agentId()) || endedRelays.contains(before.relayId())) {
                continue; // still there (maybe moved), or implied by its relay's removal
            }
            boolean expired = before.expiresAtMs() <= now + EXPIRY_SKEW_MS;
            changes.add(new FleetChange.PlacementRemoved(position(++seq), before.agentId(), before.relayId(), before.epoch(),
                    expired ? RemovalReason.EXPIRED : RemovalReason.DEREGISTERED, expired ? before.expiresAtMs() : now));
        }
        for (PlacementRecord listed : visible.values()) {
            PlacementRecord before = placements.get(listed.agentId());
            if (before == null || before.epoch() != listed.epoch() || endedRelays.contains(before.relayId())) {
                changes.add(new FleetChange.PlacementUpserted(position(++seq), listed));
            }
        }
        relays = listedRelays;
        placements = visible;
        return List.copyOf(changes);
    }

    private static boolean sameForReaders(RelayRecord before, RelayRecord listed) {
        return before.address().equals(listed.address()) && before.grpcPort() == listed.grpcPort()
                && before.labels().equals(listed.labels());
    }

    private String position(long seq) {
        return feedId + ":" + seq;
    }

    private void failEverySubscription(BackendUnavailableException cause) {
        if (!failing) {
            LOG.log(System.Logger.Level.WARNING, "polling change feed: listing failed, retrying every " + interval.toMillis()
                    + " ms: " + cause);
            failing = true;
        }
        List<Subscription> failed;
        synchronized (lock) {
            failed = List.copyOf(subscriptions);
        }
        for (Subscription subscription : failed) {
            if (endByFeed(subscription)) {
                callListener(subscription, () -> subscription.listener.onFailure(cause));
            }
        }
    }

    /** Ends the subscription from the feed's side; false when it had ended already (closed by its consumer). */
    private boolean endByFeed(Subscription subscription) {
        synchronized (lock) {
            if (subscription.closed) {
                return false;
            }
            subscription.closed = true;
            subscriptions.remove(subscription);
            return true;
        }
    }

    /** Calls the listener; one that throws ends its own subscription and nothing else. */
    private void callListener(Subscription subscription, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "polling change feed: a listener threw; its subscription ends", e);
            endByFeed(subscription);
        }
    }

    private final class Subscription implements FeedSubscription {
        final FeedListener listener;
        /** Sequence number of the last change handed to the listener; only the feed's thread moves it. */
        long cursor;
        /** Set when the subscription ends with a gap instead of changes. */
        volatile String gap;
        /** Guarded by lock for writes; read by the feed's thread to stop calling soon after a close. */
        volatile boolean closed;

        Subscription(FeedListener listener) {
            this.listener = listener;
        }

        @Override
        public void close() {
            endByFeed(this);
        }
    }
}
