package io.aeroarc.registry.server;

import io.aeroarc.registry.spi.AgentDeregistration;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.tck.ForwardingBackend;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** A backend whose storage the test can take down and bring back, as a Redis restart would. */
final class SwitchableOutageBackend extends ForwardingBackend {

    private volatile boolean down;

    SwitchableOutageBackend(RegistryBackend delegate) {
        super(delegate);
    }

    void setDown(boolean down) {
        this.down = down;
    }

    private void reach() {
        if (down) {
            throw new BackendUnavailableException("connection refused: 127.0.0.1:6379");
        }
    }

    @Override
    public long registerRelay(RelayRegistration relay, Duration ttl) {
        reach();
        return super.registerRelay(relay, ttl);
    }

    @Override
    public OptionalLong heartbeatRelay(String relayId, Duration ttl) {
        reach();
        return super.heartbeatRelay(relayId, ttl);
    }

    @Override
    public Optional<RelayRecord> getRelay(String relayId) {
        reach();
        return super.getRelay(relayId);
    }

    @Override
    public Page<RelayRecord> listRelays(Map<String, String> labelSelector, PageRequest page) {
        reach();
        return super.listRelays(labelSelector, page);
    }

    @Override
    public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
        reach();
        return super.heartbeatAgent(agentId, fence, ttl);
    }

    @Override
    public AgentDeregistration deregisterAgent(String agentId, String relayId) {
        reach();
        return super.deregisterAgent(agentId, relayId);
    }

    @Override
    public Optional<RelayPlacement> getPlacement(String agentId) {
        reach();
        return super.getPlacement(agentId);
    }

    @Override
    public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
        reach();
        return super.registerAgent(agentId, relayId, ttl);
    }

    @Override
    public void probe() {
        reach();
        super.probe();
    }
}
