package io.aeroarc.registry.server;

import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.AgentPlacement;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayRecord;

/** Domain records to wire messages. */
final class ProtoMapper {

    private ProtoMapper() {}

    static Relay relay(RelayRecord relay) {
        return Relay.newBuilder()
                .setRelayId(relay.relayId())
                .setAddress(relay.address())
                .setGrpcPort(relay.grpcPort())
                .setLastHeartbeatUnixMs(relay.lastHeartbeatMs())
                .putAllLabels(relay.labels())
                .setExpiresAtUnixMs(relay.expiresAtMs())
                .setAgentCount(relay.agentCount())
                .setRegisteredAtUnixMs(relay.registeredAtMs())
                .build();
    }

    static Agent agent(PlacementRecord placement) {
        return Agent.newBuilder()
                .setAgentId(placement.agentId())
                .setLastHeartbeatUnixMs(placement.lastHeartbeatMs())
                .setRelayId(placement.relayId())
                .setExpiresAtUnixMs(placement.expiresAtMs())
                .build();
    }

    static AgentPlacement placement(PlacementRecord placement) {
        return AgentPlacement.newBuilder()
                .setAgentId(placement.agentId())
                .setRelayId(placement.relayId())
                .setLastUpdatedUnixMs(placement.lastHeartbeatMs())
                .setExpiresAtUnixMs(placement.expiresAtMs())
                .setEpoch(placement.epoch())
                .build();
    }
}
