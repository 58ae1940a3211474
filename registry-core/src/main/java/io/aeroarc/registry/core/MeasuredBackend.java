package io.aeroarc.registry.core;

import io.aeroarc.registry.core.RegistryMetrics.StorageOperation;
import io.aeroarc.registry.spi.AgentDeregistration;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.AgentRegistrationRequest;
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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * Times every call to the backend it wraps and records it, with its size for batches and its error
 * class when it fails. It sits directly on the storage backend, under coalescing, so each call it
 * sees is one storage round trip.
 */
public final class MeasuredBackend extends BackendLayer {

    private final RegistryMetrics metrics;

    public MeasuredBackend(RegistryBackend delegate, RegistryMetrics metrics) {
        super(delegate);
        this.metrics = metrics;
    }

    @Override
    public RegistryBackend boundedBy(CallDeadline deadline) {
        return new MeasuredBackend(delegate.boundedBy(deadline), metrics);
    }

    @Override
    public long registerRelay(RelayRegistration relay, Duration ttl) {
        long start = System.nanoTime();
        try {
            long expiresAt = delegate.registerRelay(relay, ttl);
            metrics.storageCall(StorageOperation.REGISTER_RELAY, System.nanoTime() - start, 1);
            return expiresAt;
        } catch (RuntimeException e) {
            metrics.storageError(StorageOperation.REGISTER_RELAY, System.nanoTime() - start, e);
            throw e;
        }
    }

    @Override
    public OptionalLong heartbeatRelay(String relayId, Duration ttl) {
        return timed(StorageOperation.HEARTBEAT_RELAY, 1, () -> delegate.heartbeatRelay(relayId, ttl));
    }

    @Override
    public Optional<RelayRecord> getRelay(String relayId) {
        return timed(StorageOperation.GET_RELAY, 1, () -> delegate.getRelay(relayId));
    }

    @Override
    public boolean deregisterRelay(String relayId) {
        return timed(StorageOperation.DEREGISTER_RELAY, 1, () -> delegate.deregisterRelay(relayId));
    }

    @Override
    public Page<RelayRecord> listRelays(Map<String, String> labelSelector, PageRequest page) {
        return timed(StorageOperation.LIST_RELAYS, 1, () -> delegate.listRelays(labelSelector, page));
    }

    @Override
    public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
        return timed(StorageOperation.REGISTER_AGENT, 1, () -> delegate.registerAgent(agentId, relayId, ttl));
    }

    @Override
    public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
        return timed(StorageOperation.HEARTBEAT_AGENT, 1, () -> delegate.heartbeatAgent(agentId, fence, ttl));
    }

    @Override
    public Optional<BatchRenewal> heartbeatAgents(String relayId, List<String> agentIds, Duration ttl) {
        return timed(StorageOperation.HEARTBEAT_AGENTS, agentIds.size(), () -> delegate.heartbeatAgents(relayId, agentIds, ttl));
    }

    @Override
    public AgentDeregistration deregisterAgent(String agentId, String relayId) {
        return timed(StorageOperation.DEREGISTER_AGENT, 1, () -> delegate.deregisterAgent(agentId, relayId));
    }

    @Override
    public Optional<RelayPlacement> getPlacement(String agentId) {
        return timed(StorageOperation.GET_PLACEMENT, 1, () -> delegate.getPlacement(agentId));
    }

    @Override
    public List<PlacementRecord> getPlacements(List<String> agentIds) {
        return timed(StorageOperation.GET_PLACEMENTS, agentIds.size(), () -> delegate.getPlacements(agentIds));
    }

    @Override
    public Page<PlacementRecord> listAgents(Optional<String> relayId, PageRequest page) {
        return timed(StorageOperation.LIST_AGENTS, 1, () -> delegate.listAgents(relayId, page));
    }

    @Override
    public List<AgentHeartbeat> heartbeatAgentBatch(List<AgentHeartbeatRequest> requests, Duration ttl) {
        return timed(StorageOperation.HEARTBEAT_AGENT_BATCH, requests.size(), () -> delegate.heartbeatAgentBatch(requests, ttl));
    }

    @Override
    public List<Optional<RelayPlacement>> getPlacementBatch(List<String> agentIds) {
        return timed(StorageOperation.GET_PLACEMENT_BATCH, agentIds.size(), () -> delegate.getPlacementBatch(agentIds));
    }

    @Override
    public List<Optional<PlacementRecord>> registerAgentBatch(List<AgentRegistrationRequest> requests, Duration ttl) {
        return timed(StorageOperation.REGISTER_AGENT_BATCH, requests.size(), () -> delegate.registerAgentBatch(requests, ttl));
    }

    @Override
    public void probe() {
        timed(StorageOperation.PROBE, 1, () -> {
            delegate.probe();
            return null;
        });
    }

    @Override
    public int batchConcurrency() {
        return delegate.batchConcurrency();
    }





    @Override
    public void close() {
        delegate.close();
    }

    private <T> T timed(StorageOperation operation, int items, Supplier<T> call) {
        long start = System.nanoTime();
        T result;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            metrics.storageError(operation, System.nanoTime() - start, e);
            throw e;
        }
        metrics.storageCall(operation, System.nanoTime() - start, items);
        return result;
    }
}
