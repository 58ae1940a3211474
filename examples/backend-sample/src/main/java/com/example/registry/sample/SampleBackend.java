package com.example.registry.sample;

import io.aeroarc.registry.spi.AgentDeregistration;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.support.Paging;
import io.aeroarc.registry.spi.support.Sweeper;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * A deliberately simple backend: two sorted maps behind one lock, in this process. NOT for
 * production: nothing is shared between servers, everything is lost on restart, and every list or
 * count scans all entries. It is correct, though (the backend TCK passes), which makes it the
 * starting point to copy:
 *
 * <ul>
 *   <li>Time comes from {@link io.aeroarc.registry.spi.BackendContext#clock()}, so tests can step it.</li>
 *   <li>Epochs start from the clock in microseconds, because this store loses its state on
 *       restart: a new instance's epochs are above any its predecessor handed out.</li>
 *   <li>A placement remembers the relay incarnation it was made on, so a relay that expires and
 *       registers again starts with no placements.</li>
 *   <li>Expiry is decided on every read; the sweeper only frees memory.</li>
 * </ul>
 */
final class SampleBackend implements RegistryBackend {

    /** One incarnation of a relay: a new one starts whenever a relay that was not live registers. */
    private record Relay(RelayRegistration registration, long incarnation, long registeredAtMs, long lastHeartbeatMs, long expiresAtMs) {
        boolean isLive(long nowMs) {
            return nowMs < expiresAtMs;
        }
    }

    private record Placement(String agentId, String relayId, long relayIncarnation, long epoch, long lastHeartbeatMs, long expiresAtMs) {
        PlacementRecord toRecord() {
            return new PlacementRecord(agentId, relayId, epoch, lastHeartbeatMs, expiresAtMs);
        }
    }

    private static final Duration SWEEP_INTERVAL = Duration.ofSeconds(15);

    private final Clock clock;
    private final Object lock = new Object();
    private final TreeMap<String, Relay> relays = new TreeMap<>();
    private final TreeMap<String, Placement> placements = new TreeMap<>();
    private final Sweeper sweeper;
    private long lastEpoch;
    private long lastIncarnation;

    SampleBackend(Clock clock) {
        this.clock = clock;
        this.lastEpoch = clock.millis() * 1000;
        this.sweeper = Sweeper.every(SWEEP_INTERVAL, "sample-backend-sweeper", this::sweep);
    }

    @Override
    public long registerRelay(RelayRegistration registration, Duration ttl) {
        synchronized (lock) {
            long now = clock.millis();
            Relay live = liveRelay(registration.relayId(), now);
            long incarnation = live == null ? ++lastIncarnation : live.incarnation();
            long registeredAt = live == null ? now : live.registeredAtMs();
            Relay relay = new Relay(registration, incarnation, registeredAt, now, now + ttl.toMillis());
            relays.put(registration.relayId(), relay);
            return relay.expiresAtMs();
        }
    }

    @Override
    public OptionalLong heartbeatRelay(String relayId, Duration ttl) {
        synchronized (lock) {
            long now = clock.millis();
            Relay live = liveRelay(relayId, now);
            if (live == null) {
                return OptionalLong.empty();
            }
            Relay renewed = new Relay(live.registration(), live.incarnation(), live.registeredAtMs(), now, now + ttl.toMillis());
            relays.put(relayId, renewed);
            return OptionalLong.of(renewed.expiresAtMs());
        }
    }

    @Override
    public Optional<RelayRecord> getRelay(String relayId) {
        synchronized (lock) {
            long now = clock.millis();
            return Optional.ofNullable(liveRelay(relayId, now)).map(relay -> toRecord(relay, now));
        }
    }

    @Override
    public boolean deregisterRelay(String relayId) {
        synchronized (lock) {
            if (liveRelay(relayId, clock.millis()) == null) {
                return false;
            }
            relays.remove(relayId);
            placements.values().removeIf(placement -> placement.relayId().equals(relayId));
            return true;
        }
    }

    @Override
    public Page<RelayRecord> listRelays(Map<String, String> labelSelector, PageRequest page) {
        synchronized (lock) {
            long now = clock.millis();
            List<RelayRecord> fetched = new ArrayList<>();
            for (Relay relay : relays.tailMap(page.afterId(), false).values()) {
                if (fetched.size() == Paging.fetchSize(page)) {
                    break;
                }
                if (relay.isLive(now) && relay.registration().labels().entrySet().containsAll(labelSelector.entrySet())) {
                    fetched.add(toRecord(relay, now));
                }
            }
            return Paging.of(fetched, page);
        }
    }

    @Override
    public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
        synchronized (lock) {
            long now = clock.millis();
            Relay relay = liveRelay(relayId, now);
            if (relay == null) {
                return Optional.empty();
            }
            Placement current = visiblePlacement(agentId, now);
            long epoch = current != null && current.relayId().equals(relayId) ? current.epoch() : ++lastEpoch;
            Placement placement = new Placement(agentId, relayId, relay.incarnation(), epoch, now, now + ttl.toMillis());
            placements.put(agentId, placement);
            return Optional.of(placement.toRecord());
        }
    }

    @Override
    public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
        synchronized (lock) {
            long now = clock.millis();
            Placement current = visiblePlacement(agentId, now);
            if (current == null) {
                return new AgentHeartbeat.NotFound();
            }
            if (!fence.admits(current.relayId(), current.epoch())) {
                return new AgentHeartbeat.Fenced(current.relayId(), current.epoch());
            }
            return new AgentHeartbeat.Renewed(renew(current, now, ttl).expiresAtMs());
        }
    }

    @Override
    public Optional<BatchRenewal> heartbeatAgents(String relayId, List<String> agentIds, Duration ttl) {
        synchronized (lock) {
            long now = clock.millis();
            if (liveRelay(relayId, now) == null) {
                return Optional.empty();
            }
            List<String> lost = new ArrayList<>();
            for (String agentId : agentIds) {
                Placement current = visiblePlacement(agentId, now);
                if (current != null && current.relayId().equals(relayId)) {
                    renew(current, now, ttl);
                } else {
                    lost.add(agentId);
                }
            }
            return Optional.of(new BatchRenewal(now + ttl.toMillis(), lost));
        }
    }

    @Override
    public AgentDeregistration deregisterAgent(String agentId, String relayId) {
        synchronized (lock) {
            Placement current = visiblePlacement(agentId, clock.millis());
            if (current == null) {
                return new AgentDeregistration.NotFound();
            }
            if (!current.relayId().equals(relayId)) {
                return new AgentDeregistration.Fenced(current.relayId());
            }
            placements.remove(agentId);
            return new AgentDeregistration.Removed();
        }
    }

    @Override
    public Optional<RelayPlacement> getPlacement(String agentId) {
        synchronized (lock) {
            long now = clock.millis();
            Placement current = visiblePlacement(agentId, now);
            if (current == null) {
                return Optional.empty();
            }
            return Optional.of(new RelayPlacement(current.toRecord(), toRecord(relays.get(current.relayId()), now)));
        }
    }

    @Override
    public List<PlacementRecord> getPlacements(List<String> agentIds) {
        synchronized (lock) {
            long now = clock.millis();
            List<PlacementRecord> found = new ArrayList<>();
            for (String agentId : agentIds) {
                Placement current = visiblePlacement(agentId, now);
                if (current != null) {
                    found.add(current.toRecord());
                }
            }
            return found;
        }
    }

    @Override
    public Page<PlacementRecord> listAgents(Optional<String> relayId, PageRequest page) {
        synchronized (lock) {
            long now = clock.millis();
            List<PlacementRecord> fetched = new ArrayList<>();
            for (Placement placement : placements.tailMap(page.afterId(), false).values()) {
                if (fetched.size() == Paging.fetchSize(page)) {
                    break;
                }
                if (relayId.map(placement.relayId()::equals).orElse(true) && visiblePlacement(placement.agentId(), now) != null) {
                    fetched.add(placement.toRecord());
                }
            }
            return Paging.of(fetched, page);
        }
    }

    @Override
    public void probe() {
        // The state is in this process: nothing to reach.
    }

    @Override
    public void close() {
        sweeper.close();
    }

    /** Frees ended relays and placements; reads never depend on it. */
    private void sweep() {
        synchronized (lock) {
            long now = clock.millis();
            relays.values().removeIf(relay -> !relay.isLive(now));
            placements.values().removeIf(placement -> visiblePlacement(placement.agentId(), now) == null);
        }
    }

    private Relay liveRelay(String relayId, long now) {
        Relay relay = relays.get(relayId);
        return relay != null && relay.isLive(now) ? relay : null;
    }

    /** The placement if its own TTL holds and the relay incarnation it was made on is still live. */
    private Placement visiblePlacement(String agentId, long now) {
        Placement placement = placements.get(agentId);
        if (placement == null || now >= placement.expiresAtMs()) {
            return null;
        }
        Relay relay = liveRelay(placement.relayId(), now);
        return relay != null && relay.incarnation() == placement.relayIncarnation() ? placement : null;
    }

    private Placement renew(Placement placement, long now, Duration ttl) {
        Placement renewed = new Placement(placement.agentId(), placement.relayId(), placement.relayIncarnation(), placement.epoch(), now,
                now + ttl.toMillis());
        placements.put(placement.agentId(), renewed);
        return renewed;
    }

    private RelayRecord toRecord(Relay relay, long now) {
        int agentCount = 0;
        for (Placement placement : placements.values()) {
            if (placement.relayId().equals(relay.registration().relayId()) && visiblePlacement(placement.agentId(), now) != null) {
                agentCount++;
            }
        }
        RelayRegistration registration = relay.registration();
        return new RelayRecord(registration.relayId(), registration.address(), registration.grpcPort(), registration.labels(),
                relay.registeredAtMs(), relay.lastHeartbeatMs(), relay.expiresAtMs(), agentCount);
    }
}
