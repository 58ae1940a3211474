package io.aeroarc.registry.backend.memory;

import io.aeroarc.registry.spi.RelayRegistration;
import java.util.Map;
import java.util.TreeSet;

/** One incarnation of a relay. Guarded by the backend's lock. */
final class RelayEntry {

    final String relayId;
    final long registeredAtMs;
    /** Ids of the agents placed on this incarnation, live or not yet swept. */
    final TreeSet<String> agentIds = new TreeSet<>();
    /**
     * No placement in {@link #agentIds} expires before this time (Unix ms): a lower bound of their
     * expiries, lowered by every renewal that sets an earlier one and raised only by a count that
     * saw every placement visible. While the clock is before it, every placement is visible.
     */
    long noExpiryBeforeMs = Long.MAX_VALUE;
    String address;
    int grpcPort;
    Map<String, String> labels;
    long lastHeartbeatMs;
    long expiresAtMs;
    /** The time of this incarnation's current item in the change log's expiry index; 0 when none. */
    long indexedExpiryMs;

    RelayEntry(RelayRegistration registration, long nowMs) {
        this.relayId = registration.relayId();
        this.registeredAtMs = nowMs;
        update(registration);
    }

    /** @return whether readers see a difference: address, port or labels */
    boolean update(RelayRegistration registration) {
        boolean changed = !registration.address().equals(address) || registration.grpcPort() != grpcPort
                || !registration.labels().equals(labels);
        address = registration.address();
        grpcPort = registration.grpcPort();
        labels = registration.labels();
        return changed;
    }

    void renew(long nowMs, long ttlMs) {
        lastHeartbeatMs = nowMs;
        expiresAtMs = nowMs + ttlMs;
    }

    void noteAgentExpiry(long agentExpiresAtMs) {
        noExpiryBeforeMs = Math.min(noExpiryBeforeMs, agentExpiresAtMs);
    }

    boolean isLive(long nowMs) {
        return nowMs < expiresAtMs;
    }

    boolean hasLabels(Map<String, String> selector) {
        return labels.entrySet().containsAll(selector.entrySet());
    }
}
