package io.aeroarc.registry.spi;

import java.util.Objects;

/**
 * A visible agent placement.
 *
 * @param epoch the fencing token, see {@link RegistryBackend}
 * @param lastHeartbeatMs the last registration or renewal
 * @param expiresAtMs when it ends unless renewed
 */
public record PlacementRecord(String agentId, String relayId, long epoch, long lastHeartbeatMs, long expiresAtMs) {

    public PlacementRecord {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(relayId, "relayId");
    }
}
