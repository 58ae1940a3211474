package io.aeroarc.registry.spi;

/** The outcome of {@link RegistryBackend#heartbeatAgent}. */
public sealed interface AgentHeartbeat {

    /** The placement was renewed until {@code expiresAtMs}. */
    record Renewed(long expiresAtMs) implements AgentHeartbeat {}

    /** No visible placement. */
    record NotFound() implements AgentHeartbeat {}

    /** A visible placement exists but does not satisfy the fence; it was left alone. */
    record Fenced(String currentRelayId, long currentEpoch) implements AgentHeartbeat {}
}
