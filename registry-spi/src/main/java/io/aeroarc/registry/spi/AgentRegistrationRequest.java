package io.aeroarc.registry.spi;

import java.util.Objects;

/** One single-agent registration inside {@link RegistryBackend#registerAgentBatch}. */
public record AgentRegistrationRequest(String agentId, String relayId) {

    public AgentRegistrationRequest {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(relayId, "relayId");
    }
}
