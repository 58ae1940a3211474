package io.aeroarc.registry.spi;

import java.util.List;

/**
 * The outcome of {@link RegistryBackend#heartbeatAgents} on a live relay.
 *
 * @param expiresAtMs the new expiry of the renewed placements
 * @param lostAgentIds the requested agents not visibly placed on the relay, which were not renewed
 */
public record BatchRenewal(long expiresAtMs, List<String> lostAgentIds) {

    public BatchRenewal {
        lostAgentIds = List.copyOf(lostAgentIds);
    }
}
