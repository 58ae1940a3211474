package io.aeroarc.registry.spi;

/** The outcome of {@link RegistryBackend#deregisterAgent}. */
public sealed interface AgentDeregistration {

    /** The placement ended. */
    record Removed() implements AgentDeregistration {}

    /** No visible placement. */
    record NotFound() implements AgentDeregistration {}

    /** The agent is placed on another relay; it was left alone. */
    record Fenced(String currentRelayId) implements AgentDeregistration {}
}
