package io.aeroarc.registry.backend.memory;

import io.aeroarc.registry.spi.AgentDeregistration;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.RemovalReason;
import io.aeroarc.registry.spi.support.Paging;
import io.aeroarc.registry.spi.support.Sweeper;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The embedded single-node backend.
 *
 * <p>One lock guards all state. Why not finer locking: a move touches the agent, two relays and
 * the ordered indexes, and deregistering a relay must end its placements atomically for readers;
 * every critical section is O(1) per agent, far below the cost of the gRPC call around it, so a
 * single lock keeps the invariants obvious without costing throughput.
 *
 * <p>Invariant: an agent is in {@link #agents} and {@link #agentOrder} exactly when it is in the
 * {@link RelayEntry#agentIds} of the relay incarnation it points to, and that incarnation is the
 * one in {@link #relays}. Ending a relay incarnation therefore removes its agents at once.
 *
 * <p>Expiry is decided on every read from the clock; the sweeper only frees memory.
 *
 * <p>Change feed: the first {@link #changeFeed} call starts a {@link ChangeLog}; from then on
 * every write appends its change under the lock, and an expiry index (a heap touched once per
 * entry per TTL, not per renewal) lets the feed's thread report expiries within about 100 ms
 * without scanning. Writes that make changes first report the expiries due, so the log's order is
 * the order things happened. Before the first feed, nothing of it costs anything.
 */
public final class MemoryBackend implements RegistryBackend {

    /** Entries examined per lock hold while sweeping, so a sweep never stalls requests for long. */
    static final int SWEEP_CHUNK = 4096;

    private final Clock clock;
    private final Object lock = new Object();
    private final TreeMap<String, RelayEntry> relays = new TreeMap<>();
    private final HashMap<String, AgentEntry> agents = new HashMap<>();
    private final TreeSet<String> agentOrder = new TreeSet<>();
    private final Sweeper sweeper;
    private long lastEpoch;
    /** How many changes the change log keeps for resuming. */
    private final int feedKeptChanges;
    /** Null until the first {@link #changeFeed}. */
    private ChangeLog changeLog;
    private final List<MemoryChangeFeed> feeds = new ArrayList<>();
    private final ChangeLog.ExpiryJudge expiryJudge = new ExpiryReporter();

    /** The memory backend's resume window: changes kept in memory, about 150 bytes each. */
    public static final int DEFAULT_FEED_KEPT_CHANGES = 100_000;

    /**
     * @param sweepInterval how often expired entries are freed; {@link Duration#ZERO} for no
     *     background sweep (tests call {@link #sweepExpired()} themselves)
     */
    public MemoryBackend(Clock clock, Duration sweepInterval) {
        this(clock, sweepInterval, DEFAULT_FEED_KEPT_CHANGES);
    }

    /**
     * @param feedKeptChanges how many changes the change feed keeps for resuming (its window)
     */
    public MemoryBackend(Clock clock, Duration sweepInterval, int feedKeptChanges) {
        if (feedKeptChanges < 1) {
            throw new IllegalArgumentException("feedKeptChanges must be at least 1");
        }
        this.feedKeptChanges = feedKeptChanges;
        this.clock = clock;
        // Epochs keep increasing across restarts of this process (see RegistryBackend), as long
        // as fewer than a million placements a second are created on average.
        this.lastEpoch = clock.millis() * 1000;
        this.sweeper = Sweeper.every(sweepInterval, "memory-backend-sweeper", this::sweepExpired);
    }

    @Override
    public long registerRelay(RelayRegistration registration, Duration ttl) {
        synchronized (lock) {
            long now = clock.millis();
            reportExpiries(now);
            RelayEntry relay = relays.get(registration.relayId());
            if (relay != null && !relay.isLive(now)) {
                endRelay(relay);
                relay = null;
            }
            boolean created = relay == null;
            boolean changed = true;
            if (created) {
                relay = new RelayEntry(registration, now);
                relays.put(relay.relayId, relay);
            } else {
                changed = relay.update(registration);
            }
            relay.renew(now, ttl.toMillis());
            if (changeLog != null) {
                if (created) {
                    changeLog.index(relay);
                } else {
                    indexIfEarlier(relay);
                }
                if (changed) {
                    changeLog.relayUpserted(relay);
                }
            }
            return relay.expiresAtMs;
        }
    }

    @Override
    public OptionalLong heartbeatRelay(String relayId, Duration ttl) {
        synchronized (lock) {
            long now = clock.millis();
            RelayEntry relay = liveRelay(relayId, now);
            if (relay == null) {
                return OptionalLong.empty();
            }
            relay.renew(now, ttl.toMillis());
            indexIfEarlier(relay);
            return OptionalLong.of(relay.expiresAtMs);
        }
    }

    @Override
    public Optional<RelayRecord> getRelay(String relayId) {
        synchronized (lock) {
            long now = clock.millis();
            RelayEntry relay = liveRelay(relayId, now);
            return relay == null ? Optional.empty() : Optional.of(toRecord(relay, now));
        }
    }

    @Override
    public boolean deregisterRelay(String relayId) {
        synchronized (lock) {
            long now = clock.millis();
            reportExpiries(now);
            RelayEntry relay = liveRelay(relayId, now);
            if (relay == null) {
                return false;
            }
            endRelay(relay);
            if (changeLog != null) {
                changeLog.relayRemoved(relay, RemovalReason.DEREGISTERED, now);
            }
            return true;
        }
    }

    @Override
    public Page<RelayRecord> listRelays(Map<String, String> labelSelector, PageRequest page) {
        synchronized (lock) {
            long now = clock.millis();
            List<RelayRecord> items = new ArrayList<>();
            for (RelayEntry relay : relays.tailMap(page.afterId(), false).values()) {
                if (!relay.isLive(now) || !relay.hasLabels(labelSelector)) {
                    continue;
                }
                if (Paging.isFull(items, page)) {
                    return new Page<>(items, true);
                }
                items.add(toRecord(relay, now));
            }
            return new Page<>(items, false);
        }
    }

    @Override
    public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
        synchronized (lock) {
            long now = clock.millis();
            reportExpiries(now);
            RelayEntry relay = liveRelay(relayId, now);
            if (relay == null) {
                return Optional.empty();
            }
            AgentEntry agent = agents.get(agentId);
            if (agent == null) {
                agent = new AgentEntry(agentId);
                agents.put(agentId, agent);
                agentOrder.add(agentId);
            }
            boolean staysOnRelay = agent.relay == relay && agent.isVisible(now);
            if (!staysOnRelay) {
                if (agent.relay != null) {
                    agent.relay.agentIds.remove(agentId);
                }
                agent.relay = relay;
                relay.agentIds.add(agentId);
                agent.epoch = ++lastEpoch;
            }
            agent.renew(now, ttl.toMillis());
            if (changeLog != null) {
                if (staysOnRelay) {
                    indexIfEarlier(agent);
                } else {
                    changeLog.index(agent);
                    changeLog.placementUpserted(agent);
                }
            }
            return Optional.of(agent.toRecord());
        }
    }

    @Override
    public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
        synchronized (lock) {
            long now = clock.millis();
            AgentEntry agent = visibleAgent(agentId, now);
            if (agent == null) {
                return new AgentHeartbeat.NotFound();
            }
            if (!fence.admits(agent.relay.relayId, agent.epoch)) {
                return new AgentHeartbeat.Fenced(agent.relay.relayId, agent.epoch);
            }
            agent.renew(now, ttl.toMillis());
            indexIfEarlier(agent);
            return new AgentHeartbeat.Renewed(agent.expiresAtMs);
        }
    }

    /**
     * Never hold a call back: there is no round trip to save, a call holds the lock for well under
     * a microsecond, and handing calls to another thread would cost more than it saves.
     */
    @Override
    public int batchConcurrency() {
        return Integer.MAX_VALUE;
    }

    /** Every item under one hold of the lock, each judged exactly as {@link #heartbeatAgent} would. */
    @Override
    public List<AgentHeartbeat> heartbeatAgentBatch(List<AgentHeartbeatRequest> requests, Duration ttl) {
        List<AgentHeartbeat> results = new ArrayList<>(requests.size());
        synchronized (lock) {
            long now = clock.millis();
            long ttlMillis = ttl.toMillis();
            for (AgentHeartbeatRequest request : requests) {
                AgentEntry agent = visibleAgent(request.agentId(), now);
                if (agent == null) {
                    results.add(new AgentHeartbeat.NotFound());
                } else if (!request.fence().admits(agent.relay.relayId, agent.epoch)) {
                    results.add(new AgentHeartbeat.Fenced(agent.relay.relayId, agent.epoch));
                } else {
                    agent.renew(now, ttlMillis);
                    indexIfEarlier(agent);
                    results.add(new AgentHeartbeat.Renewed(agent.expiresAtMs));
                }
            }
        }
        return results;
    }

    @Override
    public Optional<BatchRenewal> heartbeatAgents(String relayId, List<String> agentIds, Duration ttl) {
        synchronized (lock) {
            long now = clock.millis();
            RelayEntry relay = liveRelay(relayId, now);
            if (relay == null) {
                return Optional.empty();
            }
            long ttlMillis = ttl.toMillis();
            List<String> lost = new ArrayList<>();
            for (String agentId : agentIds) {
                AgentEntry agent = visibleAgent(agentId, now);
                if (agent != null && agent.relay == relay) {
                    agent.renew(now, ttlMillis);
                    indexIfEarlier(agent);
                } else {
                    lost.add(agentId);
                }
            }
            return Optional.of(new BatchRenewal(now + ttlMillis, lost));
        }
    }

    @Override
    public AgentDeregistration deregisterAgent(String agentId, String relayId) {
        synchronized (lock) {
            long now = clock.millis();
            reportExpiries(now);
            AgentEntry agent = visibleAgent(agentId, now);
            if (agent == null) {
                return new AgentDeregistration.NotFound();
            }
            if (!agent.relay.relayId.equals(relayId)) {
                return new AgentDeregistration.Fenced(agent.relay.relayId);
            }
            removeAgent(agent);
            if (changeLog != null) {
                changeLog.placementRemoved(agent, RemovalReason.DEREGISTERED, now);
            }
            return new AgentDeregistration.Removed();
        }
    }

    @Override
    public Optional<RelayPlacement> getPlacement(String agentId) {
        synchronized (lock) {
            long now = clock.millis();
            AgentEntry agent = visibleAgent(agentId, now);
            if (agent == null) {
                return Optional.empty();
            }
            return Optional.of(new RelayPlacement(agent.toRecord(), toRecord(agent.relay, now)));
        }
    }

    @Override
    public List<Optional<RelayPlacement>> getPlacementBatch(List<String> agentIds) {
        List<Optional<RelayPlacement>> results = new ArrayList<>(agentIds.size());
        synchronized (lock) {
            long now = clock.millis();
            for (String agentId : agentIds) {
                AgentEntry agent = visibleAgent(agentId, now);
                results.add(agent == null
                        ? Optional.empty()
                        : Optional.of(new RelayPlacement(agent.toRecord(), toRecord(agent.relay, now))));
            }
        }
        return results;
    }

    @Override
    public List<PlacementRecord> getPlacements(List<String> agentIds) {
        synchronized (lock) {
            long now = clock.millis();
            List<PlacementRecord> found = new ArrayList<>(agentIds.size());
            for (String agentId : agentIds) {
                AgentEntry agent = visibleAgent(agentId, now);
                if (agent != null) {
                    found.add(agent.toRecord());
                }
            }
            return found;
        }
    }

    @Override
    public Page<PlacementRecord> listAgents(Optional<String> relayId, PageRequest page) {
        synchronized (lock) {
            long now = clock.millis();
            NavigableSet<String> ids = agentOrder;
            if (relayId.isPresent()) {
                RelayEntry relay = liveRelay(relayId.get(), now);
                if (relay == null) {
                    return new Page<>(List.of(), false);
                }
                ids = relay.agentIds;
            }
            List<PlacementRecord> items = new ArrayList<>();
            for (String agentId : ids.tailSet(page.afterId(), false)) {
                AgentEntry agent = agents.get(agentId);
                if (!agent.isVisible(now)) {
                    continue;
                }
                if (Paging.isFull(items, page)) {
                    return new Page<>(items, true);
                }
                items.add(agent.toRecord());
            }
            return new Page<>(items, false);
        }
    }

    /** The relays held, including those expired since the last sweep: a map's size, not a scan. */
    @Override
    public OptionalLong liveRelayCount() {
        synchronized (lock) {
            return OptionalLong.of(relays.size());
        }
    }

    /** The placements held, including those expired since the last sweep. */
    @Override
    public OptionalLong visiblePlacementCount() {
        synchronized (lock) {
            return OptionalLong.of(agents.size());
        }
    }

    @Override
    public void probe() {
        // Nothing to reach: the state is in this process.
    }

    /**
     * The native feed: in-process, each change appended by the write that made it. Resume window:
     * the last {@link #DEFAULT_FEED_KEPT_CHANGES} changes of this process (see the constructor).
     */
    @Override
    public ChangeFeed changeFeed(BackendContext context) {
        synchronized (lock) {
            if (changeLog == null) {
                changeLog = new ChangeLog(feedKeptChanges);
                long now = clock.millis();
                for (RelayEntry relay : relays.values()) {
                    if (relay.isLive(now)) {
                        changeLog.index(relay);
                    }
                }
                for (AgentEntry agent : agents.values()) {
                    if (agent.isVisible(now)) {
                        changeLog.index(agent);
                    }
                }
            }
            MemoryChangeFeed feed = new MemoryChangeFeed(this, changeLog, lock);
            feeds.add(feed);
            return feed;
        }
    }

    /** For the feed's thread: reports the expiries due now. */
    void reportDueExpiries() {
        synchronized (lock) {
            reportExpiries(clock.millis());
        }
    }

    void feedClosed(MemoryChangeFeed feed) {
        synchronized (lock) {
            feeds.remove(feed);
        }
    }

    /** Items in the expiry index, current and stale, or 0 before the first feed; for tests. */
    int expiryIndexSize() {
        synchronized (lock) {
            return changeLog == null ? 0 : changeLog.indexedItems();
        }
    }

    @Override
    public void close() {
        sweeper.close();
        List<MemoryChangeFeed> open;
        synchronized (lock) {
            open = List.copyOf(feeds);
        }
        for (MemoryChangeFeed feed : open) {
            feed.close();
        }
    }

    /**
     * Frees expired relays (with their placements) and expired placements.
     *
     * @return the number of relays and placements removed
     */
    public int sweepExpired() {
        int removed = 0;
        synchronized (lock) {
            long now = clock.millis();
            reportExpiries(now); // before removing anything, so no expiry goes unreported
            Iterator<RelayEntry> relayIterator = relays.values().iterator();
            while (relayIterator.hasNext()) {
                RelayEntry relay = relayIterator.next();
                if (!relay.isLive(now)) {
                    relayIterator.remove();
                    removed += 1 + removeAgentsOf(relay);
                }
            }
        }
        String cursor = "";
        boolean more = true;
        while (more) {
            synchronized (lock) {
                long now = clock.millis();
                reportExpiries(now);
                Iterator<String> ids = agentOrder.tailSet(cursor, false).iterator();
                int examined = 0;
                while (examined < SWEEP_CHUNK && ids.hasNext()) {
                    cursor = ids.next();
                    examined++;
                    AgentEntry agent = agents.get(cursor);
                    if (!agent.isVisible(now)) {
                        ids.remove();
                        agents.remove(cursor);
                        agent.relay.agentIds.remove(cursor);
                        removed++;
                    }
                }
                more = ids.hasNext();
            }
        }
        return removed;
    }

    /** Relays and placements held in memory, swept or not; for tests and heap measurements. */
    public int storedEntries() {
        synchronized (lock) {
            return relays.size() + agents.size();
        }
    }

    /** Under lock: reports every expiry due at {@code now} to the change log, if there is one. */
    private void reportExpiries(long now) {
        if (changeLog != null && changeLog.expiryDue(now)) {
            changeLog.drainDue(now, expiryJudge);
        }
    }

    /** Under lock, after a renewal: a renewal that brought the expiry forward must be indexed at once. */
    private void indexIfEarlier(RelayEntry relay) {
        if (changeLog != null && relay.expiresAtMs < relay.indexedExpiryMs) {
            changeLog.index(relay);
        }
    }

    private void indexIfEarlier(AgentEntry agent) {
        if (changeLog != null && agent.expiresAtMs < agent.indexedExpiryMs) {
            changeLog.index(agent);
        }
    }

    /**
     * Decides what a due item of the expiry index means, under the lock: nothing when it is stale
     * (the entry ended or was indexed again), a later look when the entry was renewed, else the
     * entry's expiry. A placement whose relay ended no later than it is left implied by the relay's
     * removal.
     */
    private final class ExpiryReporter implements ChangeLog.ExpiryJudge {
        @Override
        public void relayDue(RelayEntry relay, long atMs) {
            if (relay.indexedExpiryMs != atMs || relays.get(relay.relayId) != relay) {
                return;
            }
            if (relay.expiresAtMs > atMs) {
                changeLog.index(relay);
                return;
            }
            relay.indexedExpiryMs = 0;
            changeLog.relayRemoved(relay, RemovalReason.EXPIRED, relay.expiresAtMs);
        }

        @Override
        public void agentDue(AgentEntry agent, long atMs) {
            if (agent.indexedExpiryMs != atMs || agents.get(agent.agentId) != agent || relays.get(agent.relay.relayId) != agent.relay) {
                return;
            }
            if (agent.expiresAtMs > atMs) {
                changeLog.index(agent);
                return;
            }
            agent.indexedExpiryMs = 0;
            if (agent.relay.expiresAtMs <= agent.expiresAtMs) {
                return;
            }
            changeLog.placementRemoved(agent, RemovalReason.EXPIRED, agent.expiresAtMs);
        }
    }

    private RelayEntry liveRelay(String relayId, long now) {
        RelayEntry relay = relays.get(relayId);
        return relay != null && relay.isLive(now) ? relay : null;
    }

    private AgentEntry visibleAgent(String agentId, long now) {
        AgentEntry agent = agents.get(agentId);
        return agent != null && agent.isVisible(now) ? agent : null;
    }

    private void endRelay(RelayEntry relay) {
        relays.remove(relay.relayId);
        removeAgentsOf(relay);
    }

    private int removeAgentsOf(RelayEntry relay) {
        int count = relay.agentIds.size();
        for (String agentId : relay.agentIds) {
            agents.remove(agentId);
            agentOrder.remove(agentId);
        }
        relay.agentIds.clear();
        return count;
    }

    private void removeAgent(AgentEntry agent) {
        agents.remove(agent.agentId);
        agentOrder.remove(agent.agentId);
        agent.relay.agentIds.remove(agent.agentId);
    }

    private RelayRecord toRecord(RelayEntry relay, long now) {
        return new RelayRecord(relay.relayId, relay.address, relay.grpcPort, relay.labels, relay.registeredAtMs,
                relay.lastHeartbeatMs, relay.expiresAtMs, visibleAgentCount(relay, now));
    }

    /**
     * The placements visible on a live relay. Every lookup returns its relay's count, so walking a
     * relay of a thousand agents each time would make lookups cost as much as the relay is big;
     * while no placement can have expired yet ({@link RelayEntry#noExpiryBeforeMs}) all of them
     * count. A walk that finds them all visible moves that bound up to the earliest expiry, so with
     * agents heartbeating on time a relay is walked about once per TTL minus heartbeat interval.
     */
    private int visibleAgentCount(RelayEntry relay, long now) {
        if (now < relay.noExpiryBeforeMs) {
            return relay.agentIds.size();
        }
        int agentCount = 0;
        long earliestExpiry = Long.MAX_VALUE;
        for (String agentId : relay.agentIds) {
            AgentEntry agent = agents.get(agentId);
            if (agent.isVisible(now)) {
                agentCount++;
                earliestExpiry = Math.min(earliestExpiry, agent.expiresAtMs);
            }
        }
        if (agentCount == relay.agentIds.size()) {
            relay.noExpiryBeforeMs = earliestExpiry;
        }
        return agentCount;
    }
}
