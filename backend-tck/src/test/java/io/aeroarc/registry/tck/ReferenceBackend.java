package io.aeroarc.registry.tck;

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
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A deliberately naive oracle of the contract for the TCK's own tests: one lock, full scans and a
 * sort per list. Instances created on one namespace share a store, like servers on one database.
 */
final class ReferenceBackend implements RegistryBackend {

    private static final Map<String, Store> STORES = new ConcurrentHashMap<>();

    private final Store store;
    private final Clock clock;

    /** An instance on the namespace's store; a new store seeds its counter from the clock in microseconds. */
    ReferenceBackend(Clock clock, String namespace) {
        this(clock, namespace, clock.millis() * 1000);
    }

    private ReferenceBackend(Clock clock, String namespace, long seed) {
        this.clock = clock;
        this.store = STORES.computeIfAbsent(namespace, n -> new Store(seed));
    }

    /** Broken on purpose: a new store counts epochs from 1, so epochs repeat across a loss of the store. */
    static ReferenceBackend countingFromOne(Clock clock, String namespace) {
        return new ReferenceBackend(clock, namespace, 0);
    }

    private static final class Store {
        final Map<String, Relay> relays = new HashMap<>();
        final Map<String, Agent> agents = new HashMap<>();
        long counter;

        Store(long seed) {
            this.counter = seed;
        }
    }

    private record Relay(RelayRegistration registration, long incarnation, long registeredAt, long heartbeatAt, long expiresAt) {}

    private record Agent(String agentId, String relayId, long relayIncarnation, long epoch, long heartbeatAt, long expiresAt) {}

    @Override
    public long registerRelay(RelayRegistration registration, Duration ttl) {
        synchronized (store) {
            long now = clock.millis();
            Relay current = live(store.relays.get(registration.relayId()), now);
            long incarnation = current == null ? ++store.counter : current.incarnation();
            long registeredAt = current == null ? now : current.registeredAt();
            Relay relay = new Relay(registration, incarnation, registeredAt, now, now + ttl.toMillis());
            store.relays.put(registration.relayId(), relay);
            return relay.expiresAt();
        }
    }

    @Override
    public OptionalLong heartbeatRelay(String relayId, Duration ttl) {
        synchronized (store) {
            long now = clock.millis();
            Relay relay = live(store.relays.get(relayId), now);
            if (relay == null) {
                return OptionalLong.empty();
            }
            store.relays.put(relayId, new Relay(relay.registration(), relay.incarnation(), relay.registeredAt(), now, now + ttl.toMillis()));
            return OptionalLong.of(now + ttl.toMillis());
        }
    }

    @Override
    public Optional<RelayRecord> getRelay(String relayId) {
        synchronized (store) {
            long now = clock.millis();
            return Optional.ofNullable(live(store.relays.get(relayId), now)).map(relay -> record(relay, now));
        }
    }

    @Override
    public boolean deregisterRelay(String relayId) {
        synchronized (store) {
            return live(store.relays.get(relayId), clock.millis()) != null && store.relays.remove(relayId) != null;
        }
    }

    @Override
    public Page<RelayRecord> listRelays(Map<String, String> labelSelector, PageRequest page) {
        synchronized (store) {
            long now = clock.millis();
            List<RelayRecord> matching = new ArrayList<>();
            for (Relay relay : store.relays.values()) {
                if (live(relay, now) != null && relay.registration().labels().entrySet().containsAll(labelSelector.entrySet())) {
                    matching.add(record(relay, now));
                }
            }
            return page(matching, RelayRecord::relayId, page);
        }
    }

    @Override
    public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
        synchronized (store) {
            long now = clock.millis();
            Relay relay = live(store.relays.get(relayId), now);
            if (relay == null) {
                return Optional.empty();
            }
            Agent current = visible(store.agents.get(agentId), now);
            boolean stays = current != null && current.relayId().equals(relayId);
            long epoch = stays ? current.epoch() : ++store.counter;
            Agent agent = new Agent(agentId, relayId, relay.incarnation(), epoch, now, now + ttl.toMillis());
            store.agents.put(agentId, agent);
            return Optional.of(record(agent));
        }
    }

    @Override
    public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
        synchronized (store) {
            long now = clock.millis();
            Agent agent = visible(store.agents.get(agentId), now);
            if (agent == null) {
                return new AgentHeartbeat.NotFound();
            }
            if (!fence.admits(agent.relayId(), agent.epoch())) {
                return new AgentHeartbeat.Fenced(agent.relayId(), agent.epoch());
            }
            store.agents.put(agentId, renewed(agent, now, ttl));
            return new AgentHeartbeat.Renewed(now + ttl.toMillis());
        }
    }

    @Override
    public Optional<BatchRenewal> heartbeatAgents(String relayId, List<String> agentIds, Duration ttl) {
        synchronized (store) {
            long now = clock.millis();
            if (live(store.relays.get(relayId), now) == null) {
                return Optional.empty();
            }
            List<String> lost = new ArrayList<>();
            for (String agentId : agentIds) {
                Agent agent = visible(store.agents.get(agentId), now);
                if (agent != null && agent.relayId().equals(relayId)) {
                    store.agents.put(agentId, renewed(agent, now, ttl));
                } else {
                    lost.add(agentId);
                }
            }
            return Optional.of(new BatchRenewal(now + ttl.toMillis(), lost));
        }
    }

    @Override
    public AgentDeregistration deregisterAgent(String agentId, String relayId) {
        synchronized (store) {
            Agent agent = visible(store.agents.get(agentId), clock.millis());
            if (agent == null) {
                return new AgentDeregistration.NotFound();
            }
            if (!agent.relayId().equals(relayId)) {
                return new AgentDeregistration.Fenced(agent.relayId());
            }
            store.agents.remove(agentId);
            return new AgentDeregistration.Removed();
        }
    }

    @Override
    public Optional<RelayPlacement> getPlacement(String agentId) {
        synchronized (store) {
            long now = clock.millis();
            Agent agent = visible(store.agents.get(agentId), now);
            if (agent == null) {
                return Optional.empty();
            }
            return Optional.of(new RelayPlacement(record(agent), record(store.relays.get(agent.relayId()), now)));
        }
    }

    @Override
    public List<PlacementRecord> getPlacements(List<String> agentIds) {
        synchronized (store) {
            long now = clock.millis();
            return agentIds.stream().map(id -> visible(store.agents.get(id), now)).filter(a -> a != null).map(this::record).toList();
        }
    }

    @Override
    public Page<PlacementRecord> listAgents(Optional<String> relayId, PageRequest page) {
        synchronized (store) {
            long now = clock.millis();
            Predicate<Agent> onRelay = agent -> relayId.map(agent.relayId()::equals).orElse(true);
            List<PlacementRecord> matching = store.agents.values().stream()
                    .filter(agent -> visible(agent, now) != null && onRelay.test(agent)).map(this::record).toList();
            return page(matching, PlacementRecord::agentId, page);
        }
    }

    @Override
    public void probe() {}

    @Override
    public void close() {}

    private static Relay live(Relay relay, long now) {
        return relay != null && now < relay.expiresAt() ? relay : null;
    }

    private Agent visible(Agent agent, long now) {
        if (agent == null || now >= agent.expiresAt()) {
            return null;
        }
        Relay relay = live(store.relays.get(agent.relayId()), now);
        return relay != null && relay.incarnation() == agent.relayIncarnation() ? agent : null;
    }

    private static Agent renewed(Agent agent, long now, Duration ttl) {
        return new Agent(agent.agentId(), agent.relayId(), agent.relayIncarnation(), agent.epoch(), now, now + ttl.toMillis());
    }

    private RelayRecord record(Relay relay, long now) {
        int count = (int) store.agents.values().stream()
                .filter(agent -> agent.relayId().equals(relay.registration().relayId()) && visible(agent, now) != null).count();
        RelayRegistration registration = relay.registration();
        return new RelayRecord(registration.relayId(), registration.address(), registration.grpcPort(), registration.labels(),
                relay.registeredAt(), relay.heartbeatAt(), relay.expiresAt(), count);
    }

    private PlacementRecord record(Agent agent) {
        return new PlacementRecord(agent.agentId(), agent.relayId(), agent.epoch(), agent.heartbeatAt(), agent.expiresAt());
    }

    private static <T> Page<T> page(List<T> items, Function<T, String> id, PageRequest page) {
        List<T> after = items.stream().filter(item -> id.apply(item).compareTo(page.afterId()) > 0)
                .sorted(Comparator.comparing(id)).toList();
        return new Page<>(after.subList(0, Math.min(page.limit(), after.size())), after.size() > page.limit());
    }
}
