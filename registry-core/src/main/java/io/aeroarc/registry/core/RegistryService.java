package io.aeroarc.registry.core;

import static io.aeroarc.registry.core.RequestValidator.requireAddress;
import static io.aeroarc.registry.core.RequestValidator.requireDistinctIds;
import static io.aeroarc.registry.core.RequestValidator.requireId;
import static io.aeroarc.registry.core.RequestValidator.requireLabels;
import static io.aeroarc.registry.core.RequestValidator.requireOptionalId;
import static io.aeroarc.registry.core.RequestValidator.requirePageSize;
import static io.aeroarc.registry.core.RequestValidator.requirePort;

import io.aeroarc.registry.spi.AgentDeregistration;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.CallDeadline;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The registry's operations, independent of the wire: validates requests, applies the configured
 * TTLs and page cap, and turns the backend's outcomes into answers or {@link RegistryException}s.
 * Field names in errors are the wire contract's. A storage outage passes through as the SPI's
 * BackendUnavailableException.
 */
public final class RegistryService {

    private static final String RELAY_LIST = "relays";
    private static final String AGENT_LIST = "agents";
    /**
     * Relays read from the backend at a time while filling a page: a relay with every label at its
     * maximum is about 11 KB, so 10 000 of them at once would be 107 MB of heap for one call.
     */
    private static final int RELAY_READ_CHUNK = 256;

    private final RegistryBackend backend;
    private final RegistrySettings settings;
    private final RegistryMetrics metrics;

    public RegistryService(RegistryBackend backend, RegistrySettings settings) {
        this(backend, settings, RegistryMetrics.NONE);
    }

    /** A service that records the outcome of every successful operation in {@code metrics}. */
    public RegistryService(RegistryBackend backend, RegistrySettings settings, RegistryMetrics metrics) {
        this.backend = backend;
        this.settings = settings;
        this.metrics = metrics;
    }

    /**
     * This service for one call that must end by {@code deadline}: its backend waits no longer than
     * the time left (see {@link RegistryBackend#boundedBy}).
     */
    public RegistryService boundedBy(CallDeadline deadline) {
        return new RegistryService(backend.boundedBy(deadline), settings, metrics);
    }

    public RegistrySettings settings() {
        return settings;
    }

    /** @return the relay's expiry in Unix ms */
    public long registerRelay(String relayId, String address, int grpcPort, Map<String, String> labels) {
        requireId("relay.relay_id", relayId);
        requireAddress("relay.address", address);
        requirePort("relay.grpc_port", grpcPort);
        requireLabels("relay.labels", labels);
        long expiresAt = backend.registerRelay(new RelayRegistration(relayId, address, grpcPort, labels), settings.relayTtl());
        metrics.relayRegistered();
        return expiresAt;
    }

    /** @return the relay's new expiry in Unix ms */
    public long heartbeatRelay(String relayId) {
        requireId("relay_id", relayId);
        OptionalLong expiresAt = backend.heartbeatRelay(relayId, settings.relayTtl());
        if (expiresAt.isEmpty()) {
            metrics.relayFoundExpired();
            throw relayNotLive(relayId);
        }
        metrics.relayRenewed();
        return expiresAt.getAsLong();
    }

    public RelayRecord getRelay(String relayId) {
        requireId("relay_id", relayId);
        return backend.getRelay(relayId).orElseThrow(() -> relayNotLive(relayId));
    }

    public void deregisterRelay(String relayId) {
        requireId("relay_id", relayId);
        if (!backend.deregisterRelay(relayId)) {
            throw relayNotLive(relayId);
        }
        metrics.relayDeregistered();
    }

    public Listing<RelayRecord> listRelays(int pageSize, String pageToken, Map<String, String> labelSelector) {
        requirePageSize("page_size", pageSize);
        requireLabels("label_selector", labelSelector);
        String after = PageTokens.decode("page_token", RELAY_LIST, pageToken);
        return boundedListing(effectivePageSize(pageSize), RELAY_READ_CHUNK, after, RELAY_LIST, RelayRecord::relayId, WireSize::relay,
                request -> backend.listRelays(labelSelector, request));
    }

    public PlacementRecord registerAgent(String agentId, String relayId) {
        requireId("agent.agent_id", agentId);
        requireId("relay_id", relayId);
        if (!metrics.countsMoves()) {
            PlacementRecord placement = backend.registerAgent(agentId, relayId, settings.agentTtl()).orElseThrow(() -> relayNotLive(relayId));
            metrics.agentRegistered(RegistryMetrics.AgentRegistration.UNKNOWN);
            return placement;
        }
        RegistryMetrics.AgentRegistration kind = placementChange(agentId, relayId);
        PlacementRecord placement = backend.registerAgent(agentId, relayId, settings.agentTtl()).orElseThrow(() -> relayNotLive(relayId));
        metrics.agentRegistered(kind);
        return placement;
    }

    /**
     * {@link #registerAgent} without holding this thread while the registration waits to be
     * gathered into a storage round trip (see {@link GatheredCalls}); every failure, an invalid
     * request too, comes through the future. The placement before is always read first, through
     * the gathered placement-only read (no relay record, no count), also without holding a
     * thread: the audit line of a move names the old owner, and the metrics count the kind.
     */
    public CompletableFuture<AgentRegistered> registerAgentAsync(String agentId, String relayId) {
        try {
            requireId("agent.agent_id", agentId);
            requireId("relay_id", relayId);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        GatheredCalls gathered = GatheredCalls.of(backend);
        // The owner as read just before the registration: another registration may come between
        // the read and the write, so it names the previous owner for the record, never a fence.
        return gathered.currentPlacementAsync(agentId)
                .handle((before, failure) -> failure == null ? new PlacementBefore(before, placementChange(before, relayId))
                        // The registration itself decides the call's outcome; only the previous owner is lost.
                        : PlacementBefore.UNKNOWN)
                .thenCompose(before -> gathered.registerAgentAsync(agentId, relayId, settings.agentTtl())
                        .thenApply(placed -> registered(placed, relayId, before)));
    }

    /** The agent's placement as read before a registration, and what the registration does to it. */
    private record PlacementBefore(Optional<PlacementRecord> placement, RegistryMetrics.AgentRegistration kind) {
        static final PlacementBefore UNKNOWN = new PlacementBefore(Optional.empty(), RegistryMetrics.AgentRegistration.UNKNOWN);
    }

    private AgentRegistered registered(Optional<PlacementRecord> placed, String relayId, PlacementBefore before) {
        PlacementRecord placement = placed.orElseThrow(() -> relayNotLive(relayId));
        metrics.agentRegistered(before.kind());
        return new AgentRegistered(placement, before.placement());
    }

    /**
     * What registering the agent on {@code relayId} will do, from its placement now. Another
     * registration may come between the read and the write; the metric is a count, not a fence.
     */
    private RegistryMetrics.AgentRegistration placementChange(String agentId, String relayId) {
        Optional<PlacementRecord> before;
        try {
            before = currentPlacement(agentId);
        } catch (RuntimeException e) {
            // The registration itself decides the call's outcome; the metric only loses its kind.
            return RegistryMetrics.AgentRegistration.UNKNOWN;
        }
        return placementChange(before, relayId);
    }

    private static RegistryMetrics.AgentRegistration placementChange(Optional<PlacementRecord> before, String relayId) {
        if (before.isEmpty()) {
            return RegistryMetrics.AgentRegistration.CREATED;
        }
        return before.get().relayId().equals(relayId)
                ? RegistryMetrics.AgentRegistration.SAME_RELAY
                : RegistryMetrics.AgentRegistration.MOVED;
    }

    /**
     * Renews a placement; when {@code relayId} is not empty or {@code epoch} not 0, only a
     * placement on that relay with that epoch.
     *
     * @return the placement's new expiry in Unix ms
     */
    public long heartbeatAgent(String agentId, String relayId, long epoch) {
        Fence fence = heartbeatFence(agentId, relayId, epoch);
        return heartbeatAnswer(agentId, relayId, epoch, backend.heartbeatAgent(agentId, fence, settings.agentTtl()));
    }

    /**
     * {@link #heartbeatAgent} without holding this thread while the renewal waits to be gathered
     * into a storage round trip (see {@link GatheredCalls}); every failure, an invalid request
     * too, comes through the future.
     */
    public CompletableFuture<Long> heartbeatAgentAsync(String agentId, String relayId, long epoch) {
        Fence fence;
        try {
            fence = heartbeatFence(agentId, relayId, epoch);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return GatheredCalls.of(backend).heartbeatAgentAsync(agentId, fence, settings.agentTtl())
                .thenApply(outcome -> heartbeatAnswer(agentId, relayId, epoch, outcome));
    }

    private static Fence heartbeatFence(String agentId, String relayId, long epoch) {
        requireId("agent_id", agentId);
        requireOptionalId("relay_id", relayId);
        if (epoch < 0) {
            throw RegistryException.invalidArgument("epoch", "out of range");
        }
        return new Fence(relayId.isEmpty() ? Optional.empty() : Optional.of(relayId), epoch);
    }

    private long heartbeatAnswer(String agentId, String relayId, long epoch, AgentHeartbeat outcome) {
        if (outcome instanceof AgentHeartbeat.Renewed renewed) {
            metrics.agentsRenewed(1);
            return renewed.expiresAtMs();
        }
        if (outcome instanceof AgentHeartbeat.Fenced fenced) {
            List<String> expected = new ArrayList<>();
            if (!relayId.isEmpty()) {
                expected.add("relay " + relayId);
            }
            if (epoch != 0) {
                expected.add("epoch " + epoch);
            }
            throw RegistryException.failedPrecondition("agent " + agentId + " is placed on relay " + fenced.currentRelayId()
                    + " with epoch " + fenced.currentEpoch() + ", not " + String.join(" with ", expected));
        }
        metrics.agentsFoundExpired(1);
        throw agentNotPlaced(agentId);
    }

    public BatchRenewal heartbeatAgents(String relayId, List<String> agentIds) {
        requireId("relay_id", relayId);
        List<String> distinct = requireDistinctIds("agent_ids", agentIds);
        BatchRenewal renewal = backend.heartbeatAgents(relayId, distinct, settings.agentTtl()).orElseThrow(() -> relayNotLive(relayId));
        metrics.agentsRenewed(distinct.size() - renewal.lostAgentIds().size());
        if (!renewal.lostAgentIds().isEmpty()) {
            metrics.agentsFoundExpired(renewal.lostAgentIds().size());
        }
        return renewal;
    }

    public void deregisterAgent(String agentId, String relayId) {
        requireId("agent_id", agentId);
        requireId("relay_id", relayId);
        AgentDeregistration outcome = backend.deregisterAgent(agentId, relayId);
        if (outcome instanceof AgentDeregistration.Fenced fenced) {
            throw RegistryException.failedPrecondition(
                    "agent " + agentId + " is placed on relay " + fenced.currentRelayId() + ", not on relay " + relayId);
        }
        if (outcome instanceof AgentDeregistration.NotFound) {
            throw agentNotPlaced(agentId);
        }
        metrics.agentDeregistered();
    }

    public RelayPlacement getAgentPlacement(String agentId) {
        requireId("agent_id", agentId);
        return backend.getPlacement(agentId).orElseThrow(() -> agentNotPlaced(agentId));
    }

    /** {@link #getAgentPlacement} through a future, as {@link #heartbeatAgentAsync}. */
    public CompletableFuture<RelayPlacement> getAgentPlacementAsync(String agentId) {
        try {
            requireId("agent_id", agentId);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return GatheredCalls.of(backend).getPlacementAsync(agentId).thenApply(found -> found.orElseThrow(() -> agentNotPlaced(agentId)));
    }

    /**
     * The agent's visible placement alone, without its relay record or the relay's agent count
     * (see {@link GatheredCalls#currentPlacementAsync}), waiting on this thread: for rules that
     * depend on the agent's owner.
     */
    public Optional<PlacementRecord> currentPlacement(String agentId) {
        requireId("agent_id", agentId);
        return GatheredCalls.await(GatheredCalls.of(backend).currentPlacementAsync(agentId));
    }

    public PlacementLookup getAgentPlacements(List<String> agentIds) {
        List<String> distinct = requireDistinctIds("agent_ids", agentIds);
        Map<String, PlacementRecord> found = new HashMap<>();
        for (PlacementRecord placement : backend.getPlacements(distinct)) {
            found.put(placement.agentId(), placement);
        }
        List<PlacementRecord> placements = new ArrayList<>(found.size());
        List<String> missing = new ArrayList<>();
        for (String agentId : distinct) {
            PlacementRecord placement = found.get(agentId);
            if (placement != null) {
                placements.add(placement);
            } else {
                missing.add(agentId);
            }
        }
        return new PlacementLookup(placements, missing);
    }

    /** @param relayId only agents on this relay when not empty */
    public Listing<PlacementRecord> listAgents(String relayId, int pageSize, String pageToken) {
        requireOptionalId("relay_id", relayId);
        requirePageSize("page_size", pageSize);
        String after = PageTokens.decode("page_token", AGENT_LIST, pageToken);
        Optional<String> relayFilter = relayId.isEmpty() ? Optional.empty() : Optional.of(relayId);
        // Placements are small (at most about 600 bytes), so a whole page is read at once.
        int entries = effectivePageSize(pageSize);
        return boundedListing(entries, entries, after, AGENT_LIST, PlacementRecord::agentId, WireSize::agent,
                request -> backend.listAgents(relayFilter, request));
    }

    /** 0 means "as many as allowed"; larger requests are capped rather than refused. */
    private int effectivePageSize(int requested) {
        return requested == 0 ? settings.maxPageSize() : Math.min(requested, settings.maxPageSize());
    }

    /**
     * A page of at most {@code maxEntries} entries and {@link RegistrySettings#maxPageBytes()}
     * bytes, read from the backend {@code chunk} entries at a time. The first entry is always
     * taken, so a page is never empty while entries follow.
     */
    private <T> Listing<T> boundedListing(int maxEntries, int chunk, String after, String list, Function<T, String> id,
            ToIntFunction<T> wireSize, Function<PageRequest, Page<T>> read) {
        List<T> items = new ArrayList<>();
        long bytes = 0;
        String readAfter = after;
        boolean more = true;
        while (more && items.size() < maxEntries) {
            Page<T> page = read.apply(new PageRequest(readAfter, Math.min(chunk, maxEntries - items.size())));
            more = page.hasMore();
            for (int i = 0; i < page.items().size(); i++) {
                T item = page.items().get(i);
                bytes += wireSize.applyAsInt(item);
                if (bytes > settings.maxPageBytes() && !items.isEmpty()) {
                    return new Listing<>(items, PageTokens.encode(list, id.apply(items.get(items.size() - 1))));
                }
                items.add(item);
            }
            if (page.items().isEmpty()) {
                more = false;
            } else {
                readAfter = id.apply(page.items().get(page.items().size() - 1));
            }
        }
        if (!more || items.isEmpty()) {
            return new Listing<>(items, "");
        }
        return new Listing<>(items, PageTokens.encode(list, id.apply(items.get(items.size() - 1))));
    }

    private static RegistryException relayNotLive(String relayId) {
        return RegistryException.notFound("relay " + relayId + " is not live; register it");
    }

    private static RegistryException agentNotPlaced(String agentId) {
        return RegistryException.notFound("agent " + agentId + " has no live placement; register it");
    }
}
