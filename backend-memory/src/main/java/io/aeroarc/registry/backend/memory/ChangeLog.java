package io.aeroarc.registry.backend.memory;

import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.feed.RemovalReason;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * The memory backend's changes, for its change feeds: a ring of the last {@link #capacity} changes
 * (positions {@code <logId>:<seq>}) and an index of upcoming expiries. Guarded by the backend's
 * lock: every change is appended in the critical section of the write that made it, so the log's
 * order is the order of the writes.
 *
 * <h2>Expiry index</h2>
 * A heap of (entry, time) items. Each live entry has exactly one current item, the one whose time
 * equals the entry's {@code indexedExpiryMs}; items that no longer match are stale and skipped when
 * they come up. A renewal that extends an entry adds nothing: when its item comes up and the entry
 * expires later, the item is replaced by one at the new expiry (one heap insertion per entry per
 * TTL, not per renewal). Only a renewal that brings an expiry forward (a shorter TTL) indexes at
 * once.
 */
final class ChangeLog {

    /** One expiry to look at, of a relay incarnation or of an agent's placement. */
    private static final class Item {
        final long atMs;
        final RelayEntry relay;
        final AgentEntry agent;

        Item(long atMs, RelayEntry relay, AgentEntry agent) {
            this.atMs = atMs;
            this.relay = relay;
            this.agent = agent;
        }
    }

    final String logId = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    final int capacity;
    private final FleetChange[] ring;
    /** Sequence number of the last change appended; the first is 1. */
    private long lastSeq;
    private final PriorityQueue<Item> expiries = new PriorityQueue<>((a, b) -> Long.compare(a.atMs, b.atMs));
    /** Threads of the open feeds, woken when a change is appended. */
    private final List<Thread> readers = new CopyOnWriteArrayList<>();

    ChangeLog(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("the change log keeps at least 1 change");
        }
        this.capacity = capacity;
        this.ring = new FleetChange[capacity];
    }

    // ---------------------------------------------------------------- appending

    void relayUpserted(RelayEntry relay) {
        append(new FleetChange.RelayUpserted(nextPosition(), new RelayRecord(relay.relayId, relay.address, relay.grpcPort,
                relay.labels, relay.registeredAtMs, relay.lastHeartbeatMs, relay.expiresAtMs, 0)));
    }

    void relayRemoved(RelayEntry relay, RemovalReason reason, long atMs) {
        append(new FleetChange.RelayRemoved(nextPosition(), relay.relayId, relay.registeredAtMs, reason, atMs));
    }

    void placementUpserted(AgentEntry agent) {
        append(new FleetChange.PlacementUpserted(nextPosition(),
                new PlacementRecord(agent.agentId, agent.relay.relayId, agent.epoch, agent.lastHeartbeatMs, agent.expiresAtMs)));
    }

    void placementRemoved(AgentEntry agent, RemovalReason reason, long atMs) {
        append(new FleetChange.PlacementRemoved(nextPosition(), agent.agentId, agent.relay.relayId, agent.epoch, reason, atMs));
    }

    private String nextPosition() {
        return logId + ":" + (lastSeq + 1);
    }

    private void append(FleetChange change) {
        lastSeq++;
        ring[(int) (lastSeq % capacity)] = change;
        for (Thread reader : readers) {
            LockSupport.unpark(reader);
        }
    }

    // ---------------------------------------------------------------- reading

    long lastSeq() {
        return lastSeq;
    }

    /** The oldest sequence number still kept. */
    long oldestKeptSeq() {
        return Math.max(1, lastSeq - capacity + 1);
    }

    /** The sequence number of {@code position} when every change after it is kept; else -1. */
    long resumableSeq(String position) {
        int colon = position.lastIndexOf(':');
        if (colon <= 0 || !position.substring(0, colon).equals(logId)) {
            return -1;
        }
        long seq;
        try {
            seq = Long.parseLong(position.substring(colon + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
        return seq >= oldestKeptSeq() - 1 && seq <= lastSeq ? seq : -1;
    }

    /** Up to {@code max} changes after {@code seq}, which must be at least {@link #oldestKeptSeq()} - 1. */
    List<FleetChange> after(long seq, int max) {
        long end = Math.min(lastSeq, seq + max);
        List<FleetChange> changes = new ArrayList<>((int) (end - seq));
        for (long s = seq + 1; s <= end; s++) {
            changes.add(ring[(int) (s % capacity)]);
        }
        return changes;
    }

    void addReader(Thread reader) {
        readers.add(reader);
    }

    void removeReader(Thread reader) {
        readers.remove(reader);
    }

    // ---------------------------------------------------------------- expiry index

    /** Makes {@code relay}'s current expiry its indexed one. */
    void index(RelayEntry relay) {
        relay.indexedExpiryMs = relay.expiresAtMs;
        expiries.add(new Item(relay.expiresAtMs, relay, null));
    }

    /** Makes {@code agent}'s current expiry its indexed one. */
    void index(AgentEntry agent) {
        agent.indexedExpiryMs = agent.expiresAtMs;
        expiries.add(new Item(agent.expiresAtMs, null, agent));
    }

    /** Whether an expiry may be due at {@code nowMs}: a peek, for the write paths. */
    boolean expiryDue(long nowMs) {
        Item first = expiries.peek();
        return first != null && first.atMs <= nowMs;
    }

    /** Items in the expiry index, current and stale; for tests. */
    int indexedItems() {
        return expiries.size();
    }

    /** Takes the next item due at {@code nowMs}, or null. */
    Item nextDue(long nowMs) {
        return expiryDue(nowMs) ? expiries.poll() : null;
    }

    /**
     * What the backend does with a due item: {@link MemoryBackend} decides whether it is current
     * and expired, since that needs its maps.
     */
    interface ExpiryJudge {
        void relayDue(RelayEntry relay, long atMs);

        void agentDue(AgentEntry agent, long atMs);
    }

    /** Hands every item due at {@code nowMs} to {@code judge}, earliest first. */
    void drainDue(long nowMs, ExpiryJudge judge) {
        Item item;
        while ((item = nextDue(nowMs)) != null) {
            if (item.relay != null) {
                judge.relayDue(item.relay, item.atMs);
            } else {
                judge.agentDue(item.agent, item.atMs);
            }
        }
    }
}
