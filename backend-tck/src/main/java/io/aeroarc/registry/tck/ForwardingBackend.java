package io.aeroarc.registry.tck;

import io.aeroarc.registry.spi.AgentDeregistration;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.AgentRegistrationRequest;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.TtlSupport;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Forwards every call to another backend. Tests override the one behaviour they change: the
 * TCK's deliberately broken backends, a backend that blocks, one with another TTL minimum.
 */
public class ForwardingBackend implements RegistryBackend {

    protected final RegistryBackend delegate;

    public ForwardingBackend(RegistryBackend delegate) {
        this.delegate = delegate;
    }

    @Override
    public long registerRelay(RelayRegistration relay, Duration ttl) {
        return delegate.registerRelay(relay, ttl);
    }

    @Override
    public OptionalLong heartbeatRelay(String relayId, Duration ttl) {
        return delegate.heartbeatRelay(relayId, ttl);
    }

    @Override
    public Optional<RelayRecord> getRelay(String relayId) {
        return delegate.getRelay(relayId);
    }

    @Override
    public boolean deregisterRelay(String relayId) {
        return delegate.deregisterRelay(relayId);
    }

    @Override
    public Page<RelayRecord> listRelays(Map<String, String> labelSelector, PageRequest page) {
        return delegate.listRelays(labelSelector, page);
    }

    @Override
    public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
        return delegate.registerAgent(agentId, relayId, ttl);
    }

    @Override
    public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
        return delegate.heartbeatAgent(agentId, fence, ttl);
    }

    @Override
    public Optional<BatchRenewal> heartbeatAgents(String relayId, List<String> agentIds, Duration ttl) {
        return delegate.heartbeatAgents(relayId, agentIds, ttl);
    }

    @Override
    public AgentDeregistration deregisterAgent(String agentId, String relayId) {
        return delegate.deregisterAgent(agentId, relayId);
    }

    @Override
    public Optional<RelayPlacement> getPlacement(String agentId) {
        return delegate.getPlacement(agentId);
    }

    @Override
    public List<PlacementRecord> getPlacements(List<String> agentIds) {
        return delegate.getPlacements(agentIds);
    }

    @Override
    public Page<PlacementRecord> listAgents(Optional<String> relayId, PageRequest page) {
        return delegate.listAgents(relayId, page);
    }

    @Override
    public List<AgentHeartbeat> heartbeatAgentBatch(List<AgentHeartbeatRequest> requests, Duration ttl) {
        return delegate.heartbeatAgentBatch(requests, ttl);
    }

    @Override
    public List<Optional<RelayPlacement>> getPlacementBatch(List<String> agentIds) {
        return delegate.getPlacementBatch(agentIds);
    }

    @Override
    public List<Optional<PlacementRecord>> registerAgentBatch(List<AgentRegistrationRequest> requests, Duration ttl) {
        return delegate.registerAgentBatch(requests, ttl);
    }

    @Override
    public boolean batchesRegistrations() {
        return delegate.batchesRegistrations();
    }

    @Override
    public int batchConcurrency() {
        return delegate.batchConcurrency();
    }

    @Override
    public int callConcurrency() {
        return delegate.callConcurrency();
    }

    @Override
    public void probe() {
        delegate.probe();
    }

    @Override
    public OptionalLong liveRelayCount() {
        return delegate.liveRelayCount();
    }

    @Override
    public OptionalLong visiblePlacementCount() {
        return delegate.visiblePlacementCount();
    }

    @Override
    public TtlSupport ttlSupport() {
        return delegate.ttlSupport();
    }

    /** The delegate's own feed: a wrapper that changes no write does not turn a native feed into a polling one. */
    @Override
    public ChangeFeed changeFeed(BackendContext context) {
        return delegate.changeFeed(context);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
