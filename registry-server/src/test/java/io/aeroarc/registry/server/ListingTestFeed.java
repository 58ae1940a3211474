package io.aeroarc.registry.server;

import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.feed.RemovalReason;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A change feed for server tests that do not depend on a backend's own: it lists the fleet every
 * {@code intervalMillis} and reports the differences, keeping every change it made so any earlier
 * position resumes. {@link #poll()} runs one round at once, so a test can order changes exactly.
 */
final class ListingTestFeed implements ChangeFeed {

    private final RegistryBackend backend;
    private final Clock clock;
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "test-listing-feed");
        thread.setDaemon(true);
        return thread;
    });
    private final List<FleetChange> history = new ArrayList<>();
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private Map<String, RelayRecord> relays = new HashMap<>();
    private Map<String, PlacementRecord> placements = new HashMap<>();

    private final class Subscriber implements FeedSubscription {
        final FeedListener listener;
        int delivered;
        volatile boolean closed;

        Subscriber(FeedListener listener, int delivered) {
            this.listener = listener;
            this.delivered = delivered;
        }

        @Override
        public void close() {
            closed = true;
            subscribers.remove(this);
        }
    }

    ListingTestFeed(RegistryBackend backend, Clock clock, long intervalMillis) {
        this.backend = backend;
        this.clock = clock;
        poll();
        poller.scheduleWithFixedDelay(this::poll, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized FeedSubscription subscribe(Optional<String> after, FeedListener listener) {
        int from = after.map(Integer::parseInt).orElse(history.size());
        Subscriber subscriber = new Subscriber(listener, from);
        if (from > history.size()) {
            listener.onGap("unknown position " + from);
            return subscriber;
        }
        subscribers.add(subscriber);
        deliver(subscriber);
        return subscriber;
    }

    /** One round: list, compare, report. */
    synchronized void poll() {
        Map<String, RelayRecord> nowRelays = new HashMap<>();
        Map<String, PlacementRecord> nowPlacements = new HashMap<>();
        try {
            String after = "";
            Page<RelayRecord> relayPage;
            do {
                relayPage = backend.listRelays(Map.of(), new PageRequest(after, 1000));
                relayPage.items().forEach(r -> nowRelays.put(r.relayId(), r));
                after = relayPage.items().isEmpty() ? after : relayPage.items().get(relayPage.items().size() - 1).relayId();
            } while (relayPage.hasMore());
            after = "";
            Page<PlacementRecord> page;
            do {
                page = backend.listAgents(Optional.empty(), new PageRequest(after, 1000));
                page.items().forEach(p -> nowPlacements.put(p.agentId(), p));
                after = page.items().isEmpty() ? after : page.items().get(page.items().size() - 1).agentId();
            } while (page.hasMore());
        } catch (RuntimeException e) {
            return; // closed backend at the end of a test
        }
        long now = clock.millis();
        for (RelayRecord relay : nowRelays.values()) {
            RelayRecord before = relays.get(relay.relayId());
            if (before == null || before.registeredAtMs() != relay.registeredAtMs() || !before.address().equals(relay.address())
                    || before.grpcPort() != relay.grpcPort() || !Objects.equals(before.labels(), relay.labels())) {
                record(new FleetChange.RelayUpserted(position(), relay));
            }
        }
        for (PlacementRecord placement : nowPlacements.values()) {
            PlacementRecord before = placements.get(placement.agentId());
            if (before == null || before.epoch() != placement.epoch()) {
                record(new FleetChange.PlacementUpserted(position(), placement));
            }
        }
        for (PlacementRecord placement : placements.values()) {
            if (!nowPlacements.containsKey(placement.agentId())) {
                RemovalReason reason = !nowRelays.containsKey(placement.relayId()) ? RemovalReason.RELAY_GONE
                        : placement.expiresAtMs() <= now ? RemovalReason.EXPIRED : RemovalReason.DEREGISTERED;
                record(new FleetChange.PlacementRemoved(position(), placement.agentId(), placement.relayId(), placement.epoch(), reason,
                        reason == RemovalReason.EXPIRED ? placement.expiresAtMs() : now));
            }
        }
        for (RelayRecord relay : relays.values()) {
            if (!nowRelays.containsKey(relay.relayId())) {
                RemovalReason reason = relay.expiresAtMs() <= now ? RemovalReason.EXPIRED : RemovalReason.DEREGISTERED;
                record(new FleetChange.RelayRemoved(position(), relay.relayId(), relay.registeredAtMs(), reason,
                        reason == RemovalReason.EXPIRED ? relay.expiresAtMs() : now));
            }
        }
        relays = nowRelays;
        placements = nowPlacements;
        subscribers.forEach(this::deliver);
    }

    private String position() {
        return Integer.toString(history.size() + 1);
    }

    private void record(FleetChange change) {
        history.add(change);
    }

    private void deliver(Subscriber subscriber) {
        if (!subscriber.closed && subscriber.delivered < history.size()) {
            subscriber.listener.onChanges(List.copyOf(history.subList(subscriber.delivered, history.size())));
            subscriber.delivered = history.size();
        }
    }

    @Override
    public String resumeWindow() {
        return "every change since the test started";
    }

    @Override
    public void close() {
        // Shared by the test's server restarts: the test owns it, see stop().
    }

    void stop() {
        poller.shutdownNow();
    }
}
