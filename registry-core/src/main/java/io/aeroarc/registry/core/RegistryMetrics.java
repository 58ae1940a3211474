package io.aeroarc.registry.core;

/**
 * What the registry's metrics record: outcomes of registry operations, as {@link RegistryService}
 * sees them, and storage round trips, as {@link MeasuredBackend} sees them. The core knows nothing
 * of how they are exported; the server implements this with OpenTelemetry.
 *
 * <p>Implementations are called on every call's thread and must be cheap and never throw. Every
 * method does nothing by default, and {@link #NONE} records nothing.
 */
public interface RegistryMetrics {

    RegistryMetrics NONE = new RegistryMetrics() {};

    /** Backend methods whose round trips are timed; {@link #label()} is the metric attribute. */
    enum StorageOperation {
        REGISTER_RELAY, HEARTBEAT_RELAY, GET_RELAY, DEREGISTER_RELAY, LIST_RELAYS, REGISTER_AGENT, HEARTBEAT_AGENT,
        HEARTBEAT_AGENTS, DEREGISTER_AGENT, GET_PLACEMENT, GET_PLACEMENTS, LIST_AGENTS, HEARTBEAT_AGENT_BATCH,
        GET_PLACEMENT_BATCH, REGISTER_AGENT_BATCH, PROBE;

        private final String label = name().toLowerCase(java.util.Locale.ROOT);

        public String label() {
            return label;
        }

        /** Whether a call carries several items, so its size is worth recording. */
        public boolean isBatch() {
            return this == HEARTBEAT_AGENTS || this == GET_PLACEMENTS || this == HEARTBEAT_AGENT_BATCH || this == GET_PLACEMENT_BATCH
                    || this == REGISTER_AGENT_BATCH;
        }
    }

    /** What a successful RegisterAgent did to the agent's placement. */
    enum AgentRegistration {
        /** The agent had no visible placement. */
        CREATED,
        /** The agent was visibly placed on another relay. */
        MOVED,
        /** The agent was already on this relay: a renewal. */
        SAME_RELAY,
        /** The placement before could not be read; the registration still counts. */
        UNKNOWN
    }

    /**
     * Whether the blocking {@link RegistryService#registerAgent} should find out whether it
     * {@link AgentRegistration#MOVED moved} the agent (one extra read). The asynchronous one, the
     * server's, always reads the placement before: the audit log needs it too.
     */
    default boolean countsMoves() {
        return false;
    }

    default void relayRegistered() {}

    default void relayRenewed() {}

    /** A HeartbeatRelay found the relay not live: expired (or never registered). */
    default void relayFoundExpired() {}

    default void relayDeregistered() {}

    default void agentRegistered(AgentRegistration kind) {}

    default void agentsRenewed(int count) {}

    /** HeartbeatAgent(s) found {@code count} agents without a visible placement (on the relay): expired, or moved away. */
    default void agentsFoundExpired(int count) {}

    default void agentDeregistered() {}

    /** A storage round trip of {@code items} items (1 unless a batch) that answered after {@code nanos}. */
    default void storageCall(StorageOperation operation, long nanos, int items) {}

    /** A storage round trip that failed after {@code nanos} with {@code error}. */
    default void storageError(StorageOperation operation, long nanos, RuntimeException error) {}
}
