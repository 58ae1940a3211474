package io.aeroarc.registry.backend.memory;

import io.aeroarc.registry.spi.PlacementRecord;

/** One agent's placement. Guarded by the backend's lock. */
final class AgentEntry {

    final String agentId;
    RelayEntry relay;
    long epoch;
    long lastHeartbeatMs;
    long expiresAtMs;
    /** The time of this placement's current item in the change log's expiry index; 0 when none. */
    long indexedExpiryMs;

    AgentEntry(String agentId) {
        this.agentId = agentId;
    }

    /** Renews on {@link #relay}, which must already be the relay it is placed on. */
    void renew(long nowMs, long ttlMs) {
        lastHeartbeatMs = nowMs;
        expiresAtMs = nowMs + ttlMs;
        relay.noteAgentExpiry(expiresAtMs);
    }

    /** Visible while its own TTL runs and the relay incarnation it is placed on is live. */
    boolean isVisible(long nowMs) {
        return nowMs < expiresAtMs && relay.isLive(nowMs);
    }

    PlacementRecord toRecord() {
        return new PlacementRecord(agentId, relay.relayId, epoch, lastHeartbeatMs, expiresAtMs);
    }
}
