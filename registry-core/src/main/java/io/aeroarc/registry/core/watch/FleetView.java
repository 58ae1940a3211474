package io.aeroarc.registry.core.watch;

import io.aeroarc.registry.core.watch.FleetEvent.PlacementEvent;
import io.aeroarc.registry.core.watch.FleetEvent.RelayEvent;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.feed.RemovalReason;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The live fleet as the hub knows it: relays and placements, kept current by applying feed
 * changes. Applying is idempotent, so changes that a listing already shows (they happened between
 * the subscription and the read) are dropped: a placement change whose epoch is not newer than the
 * view's, a relay change of an older incarnation ({@code registeredAt}) or one that changes nothing
 * visible, and any removal of what the view no longer holds. Not thread safe: the hub guards it.
 *
 * <p>Relays are kept with {@code agentCount} 0: the feed does not maintain it, and watchers count
 * placements themselves. Expiry times are those of the last visible change (renewals are not
 * changes), so they are not current.
 */
final class FleetView {

    private static final NavigableSet<String> EMPTY = Collections.emptyNavigableSet();

    // Sorted by id, so a stream can take its snapshot a page at a time instead of a copy of everything.
    private final NavigableMap<String, RelayRecord> relays = new TreeMap<>();
    private final NavigableMap<String, PlacementRecord> placements = new TreeMap<>();
    private final Map<String, NavigableSet<String>> agentsByRelay = new HashMap<>();

    /** Adds an entry read by a listing, without deriving events. */
    void put(RelayRecord relay) {
        relays.put(relay.relayId(), withoutCount(relay));
    }

    /** Adds an entry read by a listing, without deriving events. */
    void put(PlacementRecord placement) {
        PlacementRecord before = placements.put(placement.agentId(), placement);
        if (before != null) {
            unindex(before);
        }
        agentsByRelay.computeIfAbsent(placement.relayId(), r -> new TreeSet<>()).add(placement.agentId());
    }

    /** Applies one feed change; returns the events it makes, none when it is stale or a duplicate. */
    List<FleetEvent> apply(FleetChange change) {
        if (change instanceof FleetChange.RelayUpserted upserted) {
            return relayUpserted(withoutCount(upserted.relay()));
        }
        if (change instanceof FleetChange.RelayRemoved removed) {
            return relayRemoved(removed.relayId(), removed.registeredAtMs(), removed.reason(), removed.atMs());
        }
        if (change instanceof FleetChange.PlacementUpserted upserted) {
            return placementUpserted(upserted.placement());
        }
        FleetChange.PlacementRemoved removed = (FleetChange.PlacementRemoved) change;
        return placementRemoved(removed.agentId(), removed.epoch(), removed.reason(), removed.atMs());
    }

    private List<FleetEvent> relayUpserted(RelayRecord relay) {
        RelayRecord current = relays.get(relay.relayId());
        if (current != null && (current.registeredAtMs() > relay.registeredAtMs()
                || current.registeredAtMs() == relay.registeredAtMs() && sameVisible(current, relay))) {
            return List.of();
        }
        relays.put(relay.relayId(), relay);
        return List.of(current == null ? RelayEvent.added(relay, relay.lastHeartbeatMs())
                : RelayEvent.updated(current, relay, relay.lastHeartbeatMs()));
    }

    private List<FleetEvent> relayRemoved(String relayId, long registeredAtMs, RemovalReason reason, long atMs) {
        RelayRecord current = relays.get(relayId);
        if (current == null || current.registeredAtMs() > registeredAtMs) {
            return List.of(); // already gone, or the late end of an older incarnation
        }
        List<FleetEvent> events = new ArrayList<>();
        // Its placements end with it; a backend's own RELAY_GONE removals that follow find nothing left.
        for (String agentId : List.copyOf(agentsByRelay.getOrDefault(relayId, EMPTY))) {
            PlacementRecord placement = placements.remove(agentId);
            unindex(placement);
            events.add(PlacementEvent.removed(placement, RemovalReason.RELAY_GONE, atMs));
        }
        relays.remove(relayId);
        events.add(RelayEvent.removed(current, reason, atMs));
        return events;
    }

    private List<FleetEvent> placementUpserted(PlacementRecord placement) {
        PlacementRecord current = placements.get(placement.agentId());
        if (current != null && current.epoch() >= placement.epoch()) {
            return List.of();
        }
        put(placement);
        return List.of(current == null ? PlacementEvent.added(placement, placement.lastHeartbeatMs())
                : PlacementEvent.moved(current.relayId(), placement, placement.lastHeartbeatMs()));
    }

    private List<FleetEvent> placementRemoved(String agentId, long epoch, RemovalReason reason, long atMs) {
        PlacementRecord current = placements.get(agentId);
        if (current == null || current.epoch() > epoch) {
            return List.of(); // already gone (also as RELAY_GONE), or the late end of an older epoch
        }
        placements.remove(agentId);
        unindex(current);
        return List.of(PlacementEvent.removed(current, reason, atMs));
    }

    /**
     * The events that turn this view into {@code fresh}, for a re-read after the feed lost changes.
     * Removal reasons are inferred: a placement whose relay is gone ended with it (RELAY_GONE); any
     * other end is reported as EXPIRED, the usual unwatched end (the re-read cannot tell a
     * deregistration).
     */
    List<FleetEvent> diffTo(FleetView fresh, long nowMs) {
        List<FleetEvent> events = new ArrayList<>();
        for (RelayRecord relay : fresh.relays.values()) {
            RelayRecord current = relays.get(relay.relayId());
            if (current == null) {
                events.add(RelayEvent.added(relay, nowMs));
            } else if (current.registeredAtMs() != relay.registeredAtMs() || !sameVisible(current, relay)) {
                events.add(RelayEvent.updated(current, relay, nowMs));
            }
        }
        for (PlacementRecord placement : fresh.placements.values()) {
            PlacementRecord current = placements.get(placement.agentId());
            if (current == null) {
                events.add(PlacementEvent.added(placement, nowMs));
            } else if (current.epoch() != placement.epoch()) {
                events.add(PlacementEvent.moved(current.relayId(), placement, nowMs));
            }
        }
        for (PlacementRecord placement : placements.values()) {
            if (!fresh.placements.containsKey(placement.agentId())) {
                RemovalReason reason = fresh.relays.containsKey(placement.relayId()) ? RemovalReason.EXPIRED : RemovalReason.RELAY_GONE;
                events.add(PlacementEvent.removed(placement, reason, nowMs));
            }
        }
        for (RelayRecord relay : relays.values()) {
            if (!fresh.relays.containsKey(relay.relayId())) {
                events.add(RelayEvent.removed(relay, RemovalReason.EXPIRED, nowMs));
            }
        }
        return events;
    }

    List<RelayRecord> relays(Predicate<RelayRecord> filter) {
        return matching(relays.values(), filter);
    }

    List<PlacementRecord> placements(Predicate<PlacementRecord> filter) {
        return matching(placements.values(), filter);
    }

    /** Up to {@code max} relays after {@code afterId} in id order that pass {@code filter}. */
    List<RelayRecord> relaysAfter(String afterId, int max, Predicate<RelayRecord> filter) {
        return firstMatching(relays.tailMap(afterId, false).values(), max, filter);
    }

    /** Up to {@code max} placements after {@code afterId} in agent id order, of one relay when given. */
    List<PlacementRecord> placementsAfter(String afterId, int max, Optional<String> relayId) {
        if (relayId.isEmpty()) {
            return firstMatching(placements.tailMap(afterId, false).values(), max, p -> true);
        }
        List<PlacementRecord> found = new ArrayList<>();
        for (String agentId : agentsByRelay.getOrDefault(relayId.get(), EMPTY).tailSet(afterId, false)) {
            if (found.size() == max) {
                break;
            }
            found.add(placements.get(agentId));
        }
        return found;
    }

    private static <T> List<T> firstMatching(Collection<T> entries, int max, Predicate<T> filter) {
        List<T> found = new ArrayList<>();
        for (T entry : entries) {
            if (found.size() == max) {
                break;
            }
            if (filter.test(entry)) {
                found.add(entry);
            }
        }
        return found;
    }

    Optional<PlacementRecord> placement(String agentId) {
        return Optional.ofNullable(placements.get(agentId));
    }

    Optional<RelayRecord> relay(String relayId) {
        return Optional.ofNullable(relays.get(relayId));
    }

    int relayCount() {
        return relays.size();
    }

    int placementCount() {
        return placements.size();
    }

    private static <T> List<T> matching(Collection<T> entries, Predicate<T> filter) {
        List<T> found = new ArrayList<>();
        for (T entry : entries) {
            if (filter.test(entry)) {
                found.add(entry);
            }
        }
        return found;
    }

    private void unindex(PlacementRecord placement) {
        NavigableSet<String> agents = agentsByRelay.get(placement.relayId());
        if (agents != null) {
            agents.remove(placement.agentId());
            if (agents.isEmpty()) {
                agentsByRelay.remove(placement.relayId());
            }
        }
    }

    private static boolean sameVisible(RelayRecord a, RelayRecord b) {
        return a.address().equals(b.address()) && a.grpcPort() == b.grpcPort() && Objects.equals(a.labels(), b.labels());
    }

    private static RelayRecord withoutCount(RelayRecord relay) {
        return relay.agentCount() == 0 ? relay
                : new RelayRecord(relay.relayId(), relay.address(), relay.grpcPort(), relay.labels(), relay.registeredAtMs(),
                        relay.lastHeartbeatMs(), relay.expiresAtMs(), 0);
    }
}
