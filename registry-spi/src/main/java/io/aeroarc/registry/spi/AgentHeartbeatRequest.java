package io.aeroarc.registry.spi;

import java.util.Objects;

/**
 * One single-agent heartbeat inside {@link RegistryBackend#heartbeatAgentBatch}.
 *
 * @param fence what the caller states about the placement it renews, {@link Fence#NONE} for nothing
 */
public record AgentHeartbeatRequest(String agentId, Fence fence) {

    public AgentHeartbeatRequest {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(fence, "fence");
    }
}
