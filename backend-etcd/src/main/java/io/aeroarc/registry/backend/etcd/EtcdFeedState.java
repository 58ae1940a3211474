package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.feed.RemovalReason;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.watch.WatchEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.TreeMap;

/**
 * What one change feed subscription knows, and the rules that turn etcd's key events and the
 * passing of time into {@link FleetChange}s. No I/O: {@link EtcdChangeFeed} feeds it.
 *
 * <p>It holds the latest value of every {@code relays/} and {@code agents/} key as of
 * {@link #revision()}, and the expiry watermark: every entry whose expiry is at or before it has
 * been reported expired. What the consumer sees (the view) is a function of those two: a relay is
 * visible while its expiry is after the watermark; a placement while its own expiry is after the
 * watermark and its relay's incarnation is visible. Each change reports a difference of the view,
 * and nothing else, so a renewal (a new expiry after the watermark) is never a change, and an
 * expiry is reported once, whoever deletes the key later.
 *
 * <p>Because the view depends only on (keys at a revision, watermark), a {@link FeedPosition}
 * can be resumed on any registry server by reading the keys at that revision: the same rules
 * then give the same changes in the same order.
 */
final class EtcdFeedState {

    private static final Comparator<Due> EXPIRY_ORDER = Comparator.comparingLong(Due::expiresAtMs)
            .thenComparing(due -> due.entry instanceof AgentEntry) // a relay before its placements
            .thenComparing(due -> due.entry.id);

    private final KeyLayout keys;
    private final ByteSequence deregisteredMarker;
    private final Map<String, RelayEntry> relays = new HashMap<>();
    private final Map<String, AgentEntry> agents = new HashMap<>();
    /** The agent ids whose latest value names each relay, for the rare steps that need a relay's placements. */
    private final Map<String, Set<String>> agentsByRelay = new HashMap<>();
    /**
     * Entries by the time to look at them again. An entry sits in one slot at a time (its
     * {@code slotMs}), at or before its expiry: a renewal only updates the entry, and the slot,
     * when it comes, moves the entry to its new expiry. So renewals cost no timer work.
     */
    private final TreeMap<Long, List<Entry>> slots = new TreeMap<>();
    private long revision;
    private long watermarkMs;

    EtcdFeedState(KeyLayout keys, long revision, long watermarkMs) {
        this.keys = keys;
        this.deregisteredMarker = keys.deregisteredMarker();
        this.revision = revision;
        this.watermarkMs = watermarkMs;
    }

    long revision() {
        return revision;
    }

    long watermarkMs() {
        return watermarkMs;
    }

    int relayCount() {
        return relays.size();
    }

    int agentCount() {
        return agents.size();
    }

    /** A key as read at {@link #revision()}, while loading: no change is reported. */
    void load(KeyValue kv) {
        if (keys.isRelay(kv.getKey())) {
            storeRelay(keys.relayIdOf(kv.getKey()), RelayValue.decode(kv));
        } else if (keys.isAgent(kv.getKey())) {
            storeAgent(keys.agentIdOf(kv.getKey()), PlacementValue.decode(kv));
        }
    }

    // ---------------------------------------------------------------- key events

    /**
     * Applies the events of one revision (all of them, in etcd's order) and returns the changes
     * they make to the view, positioned {@code (REVISION, revision, watermark, i)}.
     *
     * @param nowMs only for deletes of older registry servers that write no deregistration marker
     */
    List<FleetChange> applyRevision(long eventsRevision, List<WatchEvent> events, long nowMs) {
        Long deregisteredAtMs = null;
        for (WatchEvent event : events) {
            if (event.getEventType() == WatchEvent.EventType.PUT && event.getKeyValue().getKey().equals(deregisteredMarker)) {
                deregisteredAtMs = FieldCodec.requiredLong(FieldCodec.decode(event.getKeyValue().getValue()), "at");
            }
        }
        Changes changes = new Changes(FeedPosition.Kind.REVISION, eventsRevision);
        for (WatchEvent event : events) {
            KeyValue kv = event.getKeyValue();
            boolean put = event.getEventType() == WatchEvent.EventType.PUT;
            if (keys.isRelay(kv.getKey())) {
                String relayId = keys.relayIdOf(kv.getKey());
                if (put) {
                    relayPut(relayId, RelayValue.decode(kv), changes);
                } else {
                    relayDeleted(relayId, removalOf(deregisteredAtMs, nowMs), changes);
                }
            } else if (keys.isAgent(kv.getKey())) {
                String agentId = keys.agentIdOf(kv.getKey());
                if (put) {
                    agentPut(agentId, PlacementValue.decode(kv), changes);
                } else {
                    agentDeleted(agentId, removalOf(deregisteredAtMs, nowMs), changes);
                }
            }
            // The relay's own entry ranges, the marker and feed barriers change nothing visible.
        }
        revision = eventsRevision;
        return changes.list;
    }

    private void relayPut(String relayId, RelayValue next, Changes changes) {
        RelayEntry entry = relays.get(relayId);
        RelayValue previous = entry == null ? null : entry.value;
        boolean wasVisible = previous != null && isAfterWatermark(previous.expiresAtMs());
        boolean visible = isAfterWatermark(next.expiresAtMs());
        boolean sameIncarnation = previous != null && previous.incarnation().equals(next.incarnation());
        if (wasVisible && !sameIncarnation) {
            // A new incarnation starts only when the writer found the old one expired.
            placementsExpiredBefore(relayId, previous, previous.expiresAtMs() - 1, changes);
            changes.add(new FleetChange.RelayRemoved(changes.nextPosition(), relayId, previous.registeredAtMs(), RemovalReason.EXPIRED,
                    previous.expiresAtMs()));
        }
        storeRelay(relayId, next);
        if (visible && (!wasVisible || !sameIncarnation)) {
            changes.add(new FleetChange.RelayUpserted(changes.nextPosition(), next.toRecord(relayId, 0)));
            if (sameIncarnation) {
                // A renewal committed after this feed reported the relay expired: it is visible again, with its placements.
                placementsBackWith(relayId, changes);
            }
        } else if (visible && !sameAddressAndLabels(previous, next)) {
            changes.add(new FleetChange.RelayUpserted(changes.nextPosition(), next.toRecord(relayId, 0)));
        } else if (!visible && wasVisible) {
            // Written with an expiry this feed already passed: over as soon as it is written.
            changes.add(new FleetChange.RelayRemoved(changes.nextPosition(), relayId, next.registeredAtMs(), RemovalReason.EXPIRED,
                    next.expiresAtMs()));
        }
    }

    private void relayDeleted(String relayId, DeleteCause removal, Changes changes) {
        RelayEntry entry = relays.remove(relayId);
        if (entry == null) {
            return;
        }
        entry.removed = true;
        RelayValue previous = entry.value;
        if (isAfterWatermark(previous.expiresAtMs())) {
            Removal why = removal.of(previous.expiresAtMs());
            // Placements that had expired before the relay ended: their own expiry, not implied by the relay's end.
            placementsExpiredBefore(relayId, previous, why.reason == RemovalReason.EXPIRED ? why.atMs - 1 : why.atMs, changes);
            changes.add(new FleetChange.RelayRemoved(changes.nextPosition(), relayId, previous.registeredAtMs(), why.reason, why.atMs));
        }
        // Its placements end with it, implied by the relay's removal.
    }

    private void agentPut(String agentId, PlacementValue next, Changes changes) {
        AgentEntry entry = agents.get(agentId);
        PlacementValue previous = entry == null ? null : entry.value;
        boolean wasVisible = isVisible(previous);
        boolean visible = isVisible(next);
        boolean sameEpoch = previous != null && previous.epoch() == next.epoch();
        if (!sameEpoch) {
            if (wasVisible && previous.expiresAtMs() <= next.lastHeartbeatMs()) {
                // The writer created this one because it found the previous one expired.
                changes.add(new FleetChange.PlacementRemoved(changes.nextPosition(), agentId, previous.relayId(), previous.epoch(),
                        RemovalReason.EXPIRED, previous.expiresAtMs()));
            } else if (wasVisible && !visible) {
                // Moved onto a relay incarnation this feed already reported ended.
                changes.add(new FleetChange.PlacementRemoved(changes.nextPosition(), agentId, previous.relayId(), previous.epoch(),
                        RemovalReason.RELAY_GONE, next.lastHeartbeatMs()));
            }
            if (visible) {
                changes.add(new FleetChange.PlacementUpserted(changes.nextPosition(), next.toRecord(agentId)));
            }
        } else if (visible && !wasVisible) {
            // A renewal committed after this feed reported the placement expired: visible again, same epoch.
            changes.add(new FleetChange.PlacementUpserted(changes.nextPosition(), next.toRecord(agentId)));
        } else if (!visible && wasVisible) {
            changes.add(new FleetChange.PlacementRemoved(changes.nextPosition(), agentId, next.relayId(), next.epoch(),
                    RemovalReason.EXPIRED, next.expiresAtMs()));
        }
        storeAgent(agentId, next);
    }

    private void agentDeleted(String agentId, DeleteCause removal, Changes changes) {
        AgentEntry entry = agents.remove(agentId);
        if (entry == null) {
            return;
        }
        entry.removed = true;
        unindex(agentId, entry.value.relayId());
        PlacementValue previous = entry.value;
        if (isVisible(previous)) {
            Removal why = removal.of(previous.expiresAtMs());
            changes.add(new FleetChange.PlacementRemoved(changes.nextPosition(), agentId, previous.relayId(), previous.epoch(), why.reason,
                    why.atMs));
        }
    }

    /** The placements of a relay incarnation that became visible again, by agent id. */
    private void placementsBackWith(String relayId, Changes changes) {
        for (String agentId : new TreeSet<>(agentsByRelay.getOrDefault(relayId, Set.of()))) {
            PlacementValue placement = agents.get(agentId).value;
            if (isVisible(placement)) {
                changes.add(new FleetChange.PlacementUpserted(changes.nextPosition(), placement.toRecord(agentId)));
            }
        }
    }

    /**
     * Reports the visible placements of the ending relay incarnation whose own expiry came first
     * (at or before {@code lastMs}), in expiry order, as this feed would have reported them had
     * it seen the time pass before this revision (as when it catches up on history, or within
     * its grace). The others end with the relay, implied.
     */
    private void placementsExpiredBefore(String relayId, RelayValue relay, long lastMs, Changes changes) {
        List<Due> expired = new ArrayList<>();
        for (String agentId : agentsByRelay.getOrDefault(relayId, Set.of())) {
            AgentEntry entry = agents.get(agentId);
            // The caller knows the relay incarnation visible until it ends.
            if (entry.value.isOnIncarnationOf(relay) && isAfterWatermark(entry.value.expiresAtMs()) && entry.value.expiresAtMs() <= lastMs) {
                expired.add(new Due(entry, entry.value.expiresAtMs()));
            }
        }
        expired.sort(EXPIRY_ORDER);
        for (Due due : expired) {
            AgentEntry agent = (AgentEntry) due.entry;
            changes.add(new FleetChange.PlacementRemoved(changes.nextPosition(), agent.id, relayId, agent.value.epoch(), RemovalReason.EXPIRED,
                    due.expiresAtMs));
        }
    }

    /**
     * Why keys of this revision were deleted: the deregistration marker in the same revision says
     * DEREGISTERED, exactly. Without it the deletes are a lease's, which etcd runs only after the
     * entry's expiry; or, when the deleted entry had not expired yet, an older registry server's
     * deregistration (it writes no marker), reported at the feed's time.
     */
    private static DeleteCause removalOf(Long deregisteredAtMs, long nowMs) {
        return new DeleteCause(deregisteredAtMs, nowMs);
    }

    // ---------------------------------------------------------------- time

    /**
     * Whether a visible entry expires at or before {@code dueMs} (renewals seen so far included);
     * tidies the slots on the way, moving renewed entries to their new expiry.
     */
    boolean hasDueUpTo(long dueMs) {
        boolean due = false;
        List<Entry> moved = new ArrayList<>();
        for (Iterator<Map.Entry<Long, List<Entry>>> it = slots.headMap(dueMs, true).entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, List<Entry>> slot = it.next();
            long slotMs = slot.getKey();
            List<Entry> kept = new ArrayList<>();
            for (Entry entry : slot.getValue()) {
                if (entry.removed || entry.slotMs != slotMs) {
                    continue;
                }
                long expiresAt = entry.expiresAtMs();
                if (expiresAt > dueMs) {
                    entry.slotMs = Long.MAX_VALUE;
                    moved.add(entry);
                } else if (isAfterWatermark(expiresAt)) {
                    kept.add(entry);
                } else {
                    entry.slotMs = Long.MAX_VALUE;
                }
            }
            if (kept.isEmpty()) {
                it.remove();
            } else {
                slot.setValue(kept);
                due = true;
            }
        }
        moved.forEach(this::schedule);
        return due;
    }

    /**
     * Reports every visible entry expiring after the watermark and at or before {@code cutoffMs}, in
     * the order (expiry, relays before placements, id), positioned
     * {@code (EXPIRY, revision, expiry, i)}, and moves the watermark to {@code cutoffMs}. A placement
     * whose relay incarnation ends first (or at the same time) ends with it, implied.
     */
    List<FleetChange> expireUpTo(long cutoffMs) {
        if (cutoffMs <= watermarkMs) {
            return List.of();
        }
        List<Due> expiring = new ArrayList<>();
        List<Entry> moved = new ArrayList<>();
        Map<Long, List<Entry>> passed = slots.headMap(cutoffMs, true);
        for (Map.Entry<Long, List<Entry>> slot : passed.entrySet()) {
            for (Entry entry : slot.getValue()) {
                if (entry.removed || entry.slotMs != slot.getKey()) {
                    continue;
                }
                entry.slotMs = Long.MAX_VALUE;
                long expiresAt = entry.expiresAtMs();
                if (expiresAt > cutoffMs) {
                    moved.add(entry);
                } else if (isAfterWatermark(expiresAt)) {
                    expiring.add(new Due(entry, expiresAt));
                }
            }
        }
        passed.clear();
        moved.forEach(this::schedule);
        expiring.sort(EXPIRY_ORDER);
        List<FleetChange> changes = new ArrayList<>();
        Changes atTime = null;
        for (Due due : expiring) {
            if (atTime == null || atTime.watermarkMs != due.expiresAtMs) {
                atTime = new Changes(FeedPosition.Kind.EXPIRY, revision, due.expiresAtMs);
            }
            if (due.entry instanceof RelayEntry relay) {
                atTime.add(new FleetChange.RelayRemoved(atTime.nextPosition(), relay.id, relay.value.registeredAtMs(), RemovalReason.EXPIRED,
                        due.expiresAtMs));
            } else {
                AgentEntry agent = (AgentEntry) due.entry;
                RelayEntry relay = relays.get(agent.value.relayId());
                // Visible up to its expiry only if its relay incarnation outlives it.
                if (relay != null && agent.value.isOnIncarnationOf(relay.value) && relay.value.expiresAtMs() > due.expiresAtMs) {
                    atTime.add(new FleetChange.PlacementRemoved(atTime.nextPosition(), agent.id, agent.value.relayId(), agent.value.epoch(),
                            RemovalReason.EXPIRED, due.expiresAtMs));
                }
            }
            changes.addAll(atTime.takeNew());
        }
        watermarkMs = cutoffMs;
        return changes;
    }

    // ---------------------------------------------------------------- helpers

    private boolean isAfterWatermark(long expiresAtMs) {
        return expiresAtMs > watermarkMs;
    }

    private boolean isVisible(PlacementValue placement) {
        if (placement == null || !isAfterWatermark(placement.expiresAtMs())) {
            return false;
        }
        RelayEntry relay = relays.get(placement.relayId());
        return relay != null && isAfterWatermark(relay.value.expiresAtMs()) && placement.isOnIncarnationOf(relay.value);
    }

    private static boolean sameAddressAndLabels(RelayValue a, RelayValue b) {
        return a.address().equals(b.address()) && a.grpcPort() == b.grpcPort() && a.labels().equals(b.labels());
    }

    private void storeRelay(String relayId, RelayValue value) {
        RelayEntry entry = relays.computeIfAbsent(relayId, RelayEntry::new);
        entry.value = value;
        schedule(entry);
    }

    private void storeAgent(String agentId, PlacementValue value) {
        AgentEntry entry = agents.computeIfAbsent(agentId, AgentEntry::new);
        if (entry.value == null || !entry.value.relayId().equals(value.relayId())) {
            if (entry.value != null) {
                unindex(agentId, entry.value.relayId());
            }
            agentsByRelay.computeIfAbsent(value.relayId(), relay -> new HashSet<>()).add(agentId);
        }
        entry.value = value;
        schedule(entry);
    }

    private void unindex(String agentId, String relayId) {
        Set<String> ofRelay = agentsByRelay.get(relayId);
        if (ofRelay != null && ofRelay.remove(agentId) && ofRelay.isEmpty()) {
            agentsByRelay.remove(relayId);
        }
    }

    /** Puts the entry in the slot of its expiry when that is earlier than the slot it is in. */
    private void schedule(Entry entry) {
        long expiresAt = entry.expiresAtMs();
        if (isAfterWatermark(expiresAt) && expiresAt < entry.slotMs) {
            slots.computeIfAbsent(expiresAt, at -> new ArrayList<>()).add(entry);
            entry.slotMs = expiresAt;
        }
    }

    private abstract static class Entry {
        final String id;
        /** The slot this entry waits in; {@link Long#MAX_VALUE} when none. Other slots holding it are stale. */
        long slotMs = Long.MAX_VALUE;
        boolean removed;

        Entry(String id) {
            this.id = id;
        }

        abstract long expiresAtMs();
    }

    private static final class RelayEntry extends Entry {
        RelayValue value;

        RelayEntry(String id) {
            super(id);
        }

        @Override
        long expiresAtMs() {
            return value.expiresAtMs();
        }
    }

    private static final class AgentEntry extends Entry {
        PlacementValue value;

        AgentEntry(String id) {
            super(id);
        }

        @Override
        long expiresAtMs() {
            return value.expiresAtMs();
        }
    }

    private record Due(Entry entry, long expiresAtMs) {}

    /** The deletes of one revision: see {@link #removalOf}. */
    private record DeleteCause(Long deregisteredAtMs, long nowMs) {
        Removal of(long expiresAtMs) {
            if (deregisteredAtMs != null) {
                return new Removal(RemovalReason.DEREGISTERED, deregisteredAtMs);
            }
            return expiresAtMs > nowMs ? new Removal(RemovalReason.DEREGISTERED, nowMs) : new Removal(RemovalReason.EXPIRED, expiresAtMs);
        }
    }

    private record Removal(RemovalReason reason, long atMs) {}

    /** The changes of one step, numbered for their positions. */
    private final class Changes {
        final FeedPosition.Kind kind;
        final long stepRevision;
        final long watermarkMs;
        final List<FleetChange> list = new ArrayList<>();
        private int taken;

        Changes(FeedPosition.Kind kind, long stepRevision) {
            this(kind, stepRevision, EtcdFeedState.this.watermarkMs);
        }

        Changes(FeedPosition.Kind kind, long stepRevision, long watermarkMs) {
            this.kind = kind;
            this.stepRevision = stepRevision;
            this.watermarkMs = watermarkMs;
        }

        String nextPosition() {
            return new FeedPosition(kind, stepRevision, watermarkMs, list.size()).encode();
        }

        void add(FleetChange change) {
            list.add(Objects.requireNonNull(change));
        }

        List<FleetChange> takeNew() {
            List<FleetChange> fresh = List.copyOf(list.subList(taken, list.size()));
            taken = list.size();
            return fresh;
        }
    }
}
