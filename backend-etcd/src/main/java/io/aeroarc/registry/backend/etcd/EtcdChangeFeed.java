package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.support.DurationText;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The etcd backend's change feed: etcd's watch of the namespace, from a revision, turned into
 * {@link FleetChange}s by {@link EtcdFeedState}.
 *
 * <ul>
 *   <li><b>Subscribing</b> reads the {@code relays/} and {@code agents/} keys at one revision
 *       (the current one, or the one a position names) and watches the namespace from the next
 *       revision. etcd delivers every event after it, in order, as long as it keeps its history.</li>
 *   <li><b>Renewals</b> are events too (etcd has no filter by value), but the state drops them
 *       after a map lookup: same incarnation or epoch, new expiry. Nothing is written for them.</li>
 *   <li><b>Expiry</b> is reported from the expiry in the values, not from etcd's leases (whole
 *       seconds, revoked 1–3 s late): a tick every {@value #TICK_MS} ms reports what expired
 *       {@value #GRACE_MS} ms ago or more. Before reporting, the subscription makes sure it has
 *       seen every write committed up to then: it writes a barrier key of its own and waits for
 *       the watch to deliver it (only while something is due, never for renewals). The lease's
 *       later delete of the same key is then no change, since the entry is already out of the
 *       view. A renewal that commits after the report (decided before the expiry, committed more
 *       than {@value #GRACE_MS} ms after it) makes the entry visible again: it is reported again,
 *       as it is to readers (see the README's "known window").</li>
 *   <li><b>Deregistrations</b> are told from lease deletes by the marker the deregistration
 *       writes in its own transaction, which the watch delivers in the same revision.</li>
 *   <li><b>Resuming</b> from a position reads the keys at its revision, so it works on any
 *       registry server sharing the etcd, until etcd compacts that revision: then, or for a
 *       position of another namespace or cluster, the listener gets a gap at once.</li>
 *   <li><b>Failures</b>: a watch error, a barrier not delivered or a watch silent beyond the
 *       backend's timeout (plus a progress ping) end the subscription with onFailure.</li>
 * </ul>
 *
 * <p>Each subscription has its own watch and state (a map entry per relay and placement); one
 * thread per feed runs them all and calls the listeners.
 */
final class EtcdChangeFeed implements ChangeFeed {

    static final long TICK_MS = 100;
    /** Renewals committing this soon after an expiry still count as renewals, not as an expiry and a comeback. */
    static final long GRACE_MS = 300;
    private static final long PING_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int LOAD_PAGE = 1000;
    /** Watch responses waiting for the feed's thread; beyond it the listener fell behind. */
    private static final int MAX_PENDING_RESPONSES = 10_000;
    private static final long BARRIER_LEASE_MS = 10_000;

    private final EtcdCalls calls;
    private final KeyLayout keys;
    private final LeaseBuckets leases;
    private final EtcdConnection connection;
    private final Clock clock;
    private final Duration timeout;
    private final ScheduledExecutorService thread;
    private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();

    EtcdChangeFeed(EtcdCalls calls, KeyLayout keys, LeaseBuckets leases, EtcdConnection connection, Clock clock, Duration timeout) {
        this.calls = calls;
        this.keys = keys;
        this.leases = leases;
        this.connection = connection;
        this.clock = clock;
        this.timeout = timeout;
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "etcd-change-feed");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A fresh subscription starts at the highest revision this backend has seen in an answer (no
     * round trip): every write completed before the call is at or below it, every write started
     * after is above, so none is missed. Only a backend that has not talked to etcd yet makes one
     * bounded round trip here to learn the revision.
     */
    @Override
    public FeedSubscription subscribe(Optional<String> after, FeedListener listener) {
        long startRevision = 0;
        BackendUnavailableException unavailable = null;
        if (after.isEmpty()) {
            startRevision = calls.seenRevision();
            if (startRevision == 0) {
                try {
                    startRevision = calls.currentRevision(keys.probe(), Deadline.after(timeout));
                } catch (BackendUnavailableException e) {
                    unavailable = e;
                }
            }
        }
        Subscription subscription = new Subscription(after, listener, startRevision, clock.millis());
        subscriptions.add(subscription);
        BackendUnavailableException failure = unavailable;
        run(failure == null ? subscription::start : () -> subscription.endWithFailure(failure));
        return subscription;
    }

    @Override
    public String resumeWindow() {
        return "back to the oldest revision etcd keeps (until it compacts it: --auto-compaction-mode/-retention), "
                + "from any registry server sharing the etcd namespace";
    }

    @Override
    public void close() {
        subscriptions.forEach(Subscription::close);
        thread.shutdownNow();
    }

    private void run(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) {
            // The feed is closed; so are its subscriptions.
        }
    }

    /** One subscription: its watch, its state, its listener. Everything but the jetcd callbacks runs on the feed's thread. */
    private final class Subscription implements FeedSubscription {

        private final String id = UUID.randomUUID().toString().replace("-", "");
        private final ByteSequence barrierKey = keys.feedBarrier(id);
        private final Optional<String> after;
        private final FeedListener listener;
        /** For a fresh subscription: the revision it starts after, and the watermark it starts with. */
        private final long startRevision;
        private final long subscribedAtMs;
        private final AtomicInteger pendingResponses = new AtomicInteger();
        private volatile boolean closed;
        private volatile long lastHeardNanos = System.nanoTime();
        /** When the watch last delivered events (not only a progress answer). */
        private volatile long lastEventsNanos = System.nanoTime();
        private volatile Watch.Watcher watcher;

        // Confined to the feed's thread.
        private boolean ended;
        private EtcdFeedState state;
        private ScheduledFuture<?> ticker;
        /** While resuming inside a revision: that revision, and how many of its changes the consumer has. */
        private long skipRevision = -1;
        private int skipChanges;
        private long barrierSeq;
        private boolean barrierInFlight;
        private long barrierSentMs;
        private long barrierSentNanos;
        private long lastPingNanos = System.nanoTime();
        /** Every write committed before this clock time has been applied (the last barrier delivered). */
        private long caughtUpMs = Long.MIN_VALUE;

        Subscription(Optional<String> after, FeedListener listener, long startRevision, long subscribedAtMs) {
            this.after = after;
            this.listener = listener;
            this.startRevision = startRevision;
            this.subscribedAtMs = subscribedAtMs;
        }

        void start() {
            if (closed) {
                return;
            }
            try {
                Optional<FeedPosition> position = Optional.empty();
                if (after.isPresent()) {
                    position = FeedPosition.parse(after.get());
                    if (position.isEmpty()) {
                        endWithGap("not a position of this etcd feed: " + after.get());
                        return;
                    }
                }
                List<FleetChange> first = List.of();
                if (position.isEmpty()) {
                    state = loadFresh();
                } else if (position.get().revision() < 2) {
                    endWithGap("not a position of this etcd feed: " + after.get());
                    return;
                } else if (position.get().kind() == FeedPosition.Kind.REVISION) {
                    // Replay that revision, minus the changes the consumer has.
                    state = load(position.get().revision() - 1, position.get().watermarkMs());
                    skipRevision = position.get().revision();
                    skipChanges = position.get().index() + 1;
                } else {
                    state = load(position.get().revision(), position.get().watermarkMs() - 1);
                    List<FleetChange> atExpiry = state.expireUpTo(position.get().watermarkMs());
                    if (atExpiry.size() < position.get().index() + 1) {
                        endWithGap("position " + after.get() + " does not match etcd's history");
                        return;
                    }
                    first = atExpiry.subList(position.get().index() + 1, atExpiry.size());
                }
                startWatch(state.revision() + 1);
                ticker = thread.scheduleWithFixedDelay(() -> guarded(this::tick), TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
                deliver(first);
            } catch (RevisionUnavailableException e) {
                endWithGap("etcd no longer keeps (or never had) the revision of " + after.orElse("now") + ": " + e.getMessage());
            } catch (BackendUnavailableException e) {
                endWithFailure(e);
            } catch (RuntimeException e) {
                endWithFailure(new BackendUnavailableException("etcd change feed could not start: " + e, e));
            }
        }

        private EtcdFeedState loadFresh() {
            try {
                return load(startRevision, subscribedAtMs);
            } catch (RevisionUnavailableException e) {
                // This backend last talked to etcd before etcd compacted that revision: start from now.
                return load(0, subscribedAtMs);
            }
        }

        /** The relays and placements as of {@code revision} (0: now). */
        private EtcdFeedState load(long revision, long watermarkMs) {
            long at = revision;
            List<KeyValue> read = new ArrayList<>();
            for (KeyLayout.KeyRange range : List.of(keys.allRelays(), keys.allAgents())) {
                ByteSequence start = range.start();
                while (true) {
                    GetResponse page = calls.rangeAt(new KeyLayout.KeyRange(start, range.end()), LOAD_PAGE, at,
                            Deadline.after(timeout), "read the fleet for a change feed");
                    if (at == 0) {
                        at = page.getHeader().getRevision();
                    }
                    read.addAll(page.getKvs());
                    if (!page.isMore() || page.getKvs().isEmpty()) {
                        break;
                    }
                    start = page.getKvs().get(page.getKvs().size() - 1).getKey().concat(ByteSequence.from(new byte[] {0}));
                }
            }
            EtcdFeedState loaded = new EtcdFeedState(keys, at, watermarkMs);
            read.forEach(loaded::load);
            return loaded;
        }

        private void startWatch(long fromRevision) {
            KeyLayout.KeyRange everything = keys.everything();
            WatchOption option = WatchOption.builder().withRange(everything.end()).withRevision(fromRevision).build();
            lastHeardNanos = System.nanoTime();
            watcher = connection.watches().watch(everything.start(), option, Watch.listener(this::received, this::failed, this::completed));
        }

        // ------------------------------------------------ jetcd's threads

        private void received(WatchResponse response) {
            lastHeardNanos = System.nanoTime();
            if (response.getEvents().isEmpty()) {
                return; // a progress answer: only a sign of life
            }
            lastEventsNanos = lastHeardNanos;
            if (pendingResponses.incrementAndGet() > MAX_PENDING_RESPONSES) {
                run(() -> endWithGap("the listener fell behind the etcd watch"));
                return;
            }
            run(() -> {
                pendingResponses.decrementAndGet();
                guarded(() -> apply(response));
            });
        }

        private void failed(Throwable error) {
            run(() -> {
                if (error instanceof CompactedException || RevisionUnavailableException.describes(String.valueOf(error.getMessage()))) {
                    endWithGap("etcd no longer keeps the revisions after " + after.orElse("the start") + ": " + error.getMessage());
                } else {
                    endWithFailure(new BackendUnavailableException("etcd watch failed: " + error.getMessage(), error));
                }
            });
        }

        private void completed() {
            run(() -> endWithFailure(new BackendUnavailableException("etcd ended the watch of the change feed")));
        }

        // ------------------------------------------------ the feed's thread

        private void apply(WatchResponse response) {
            if (ended || closed) {
                return;
            }
            List<FleetChange> changes = new ArrayList<>();
            Map<Long, List<WatchEvent>> byRevision = new LinkedHashMap<>();
            for (WatchEvent event : response.getEvents()) {
                byRevision.computeIfAbsent(event.getKeyValue().getModRevision(), r -> new ArrayList<>()).add(event);
            }
            long nowMs = clock.millis();
            for (Map.Entry<Long, List<WatchEvent>> revision : byRevision.entrySet()) {
                if (revision.getKey() <= state.revision()) {
                    continue;
                }
                List<FleetChange> derived = state.applyRevision(revision.getKey(), revision.getValue(), nowMs);
                if (skipRevision >= 0) {
                    if (revision.getKey() != skipRevision || derived.size() < skipChanges) {
                        endWithGap("position " + after.orElse("") + " does not match etcd's history");
                        return;
                    }
                    derived = derived.subList(skipChanges, derived.size());
                    skipRevision = -1;
                }
                changes.addAll(derived);
                noteBarrier(revision.getValue());
            }
            deliver(changes);
        }

        /**
         * Runs a step; a value that cannot be decoded (or a listener that throws) ends the
         * subscription instead of killing the feed's thread or its ticks silently.
         */
        private void guarded(Runnable step) {
            try {
                step.run();
            } catch (RuntimeException e) {
                endWithFailure(e instanceof BackendUnavailableException unavailable ? unavailable
                        : new BackendUnavailableException("etcd change feed stopped: " + e, e));
            }
        }

        private void noteBarrier(List<WatchEvent> events) {
            for (WatchEvent event : events) {
                if (barrierInFlight && event.getEventType() == WatchEvent.EventType.PUT && event.getKeyValue().getKey().equals(barrierKey)
                        && FieldCodec.requiredLong(FieldCodec.decode(event.getKeyValue().getValue()), "seq") == barrierSeq) {
                    barrierInFlight = false;
                    caughtUpMs = barrierSentMs;
                }
            }
        }

        private void tick() {
            if (ended || closed) {
                return;
            }
            long nanos = System.nanoTime();
            long failAfterNanos = timeout.toNanos();
            // A barrier behind a backlog that is still flowing (catching up) is late, not lost.
            if (barrierInFlight && nanos - barrierSentNanos > failAfterNanos && nanos - lastEventsNanos > failAfterNanos) {
                endWithFailure(new BackendUnavailableException("etcd did not deliver the change feed's barrier within the timeout of "
                        + DurationText.format(timeout)));
                return;
            }
            if (nanos - lastHeardNanos > failAfterNanos + PING_NANOS) {
                endWithFailure(new BackendUnavailableException("etcd's watch was silent beyond the timeout of " + DurationText.format(timeout)));
                return;
            }
            if (nanos - lastHeardNanos > PING_NANOS && nanos - lastPingNanos > PING_NANOS) {
                lastPingNanos = nanos;
                watcher.requestProgress();
            }
            if (skipRevision >= 0) {
                return; // the resumed revision comes first: it was derived under the position's watermark
            }
            long nowMs = clock.millis();
            if (caughtUpMs != Long.MIN_VALUE) {
                deliver(state.expireUpTo(Math.min(nowMs, caughtUpMs) - GRACE_MS));
            }
            if (!barrierInFlight && !ended && state.hasDueUpTo(nowMs - GRACE_MS)) {
                sendBarrier(nowMs);
            }
        }

        /** Writes this subscription's barrier key; its delivery by the watch means everything before it was seen. */
        private void sendBarrier(long nowMs) {
            barrierSeq++;
            barrierInFlight = true;
            barrierSentMs = nowMs;
            barrierSentNanos = System.nanoTime();
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("seq", Long.toString(barrierSeq));
            fields.put("at", Long.toString(nowMs));
            try {
                long lease = leases.leaseFor(nowMs + BARRIER_LEASE_MS, Deadline.after(timeout));
                connection.kv().put(barrierKey, FieldCodec.encode(fields), PutOption.builder().withLeaseId(lease).build())
                        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                        .whenComplete((written, error) -> {
                            if (error != null) {
                                run(() -> endWithFailure(new BackendUnavailableException(
                                        "etcd could not write the change feed's barrier: " + error.getMessage(), error)));
                            }
                        });
            } catch (RuntimeException e) {
                endWithFailure(e instanceof BackendUnavailableException unavailable ? unavailable
                        : new BackendUnavailableException("etcd could not write the change feed's barrier: " + e.getMessage(), e));
            }
        }

        private void deliver(List<FleetChange> changes) {
            if (changes.isEmpty() || ended || closed) {
                return;
            }
            listener.onChanges(List.copyOf(changes));
        }

        private void endWithGap(String why) {
            if (end()) {
                listener.onGap(why);
            }
        }

        private void endWithFailure(BackendUnavailableException cause) {
            if (end()) {
                listener.onFailure(cause);
            }
        }

        /** Whether this call ended it (and the listener is to be told). */
        private boolean end() {
            if (ended) {
                return false;
            }
            ended = true;
            release();
            return !closed;
        }

        private void release() {
            subscriptions.remove(this);
            Watch.Watcher current = watcher;
            if (current != null) {
                current.close();
            }
            if (ticker != null) {
                ticker.cancel(false);
            }
        }

        @Override
        public void close() {
            closed = true;
            Watch.Watcher current = watcher;
            if (current != null) {
                current.close();
            }
            run(() -> {
                ended = true;
                release();
            });
            subscriptions.remove(this);
        }
    }

    @Override
    public String toString() {
        return "etcd change feed on " + keys.everything().start().toString(StandardCharsets.UTF_8);
    }
}
