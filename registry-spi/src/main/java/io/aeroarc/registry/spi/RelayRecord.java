package io.aeroarc.registry.spi;

import java.util.Map;
import java.util.Objects;

/**
 * A live relay as read from the backend.
 *
 * @param registeredAtMs when this incarnation of the relay became live
 * @param lastHeartbeatMs the last successful register or heartbeat
 * @param expiresAtMs when it stops being live unless renewed
 * @param agentCount its visible placements at the time of the read
 */
public record RelayRecord(
        String relayId,
        String address,
        int grpcPort,
        Map<String, String> labels,
        long registeredAtMs,
        long lastHeartbeatMs,
        long expiresAtMs,
        int agentCount) {

    public RelayRecord {
        Objects.requireNonNull(relayId, "relayId");
        Objects.requireNonNull(address, "address");
        labels = Map.copyOf(labels);
    }
}
