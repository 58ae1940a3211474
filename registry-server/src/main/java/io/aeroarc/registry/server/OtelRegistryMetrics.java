package io.aeroarc.registry.server;

import io.aeroarc.registry.core.RegistryMetrics;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.Meter;
import java.util.List;

/**
 * The registry's own instruments, on OpenTelemetry. Every attribute set is built once, here, so
 * recording on a call's thread allocates nothing: one {@code add} or {@code record} on a
 * pre-built instrument with pre-built attributes. Names are listed in the README's Operations
 * section; in Prometheus, dots become underscores and counters end in {@code _total}.
 */
final class OtelRegistryMetrics implements RegistryMetrics, AdmissionMetrics {

    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("operation");
    static final AttributeKey<String> ERROR = AttributeKey.stringKey("error");
    static final AttributeKey<String> KIND = AttributeKey.stringKey("kind");
    static final AttributeKey<String> LANE = AttributeKey.stringKey("lane");
    static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");

    /** Seconds: storage round trips and queue waits run from tens of microseconds to the call deadline. */
    static final List<Double> SECONDS_BUCKETS = List.of(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
            0.5, 1.0, 2.5, 5.0, 10.0);
    static final List<Long> BATCH_BUCKETS = List.of(1L, 2L, 5L, 10L, 20L, 50L, 100L, 200L, 500L, 1000L);

    private static final double NANOS_PER_SECOND = 1e9;

    private final LongCounter relayRegistrations;
    private final LongCounter relayRenewals;
    private final LongCounter relayExpiries;
    private final LongCounter relayDeregistrations;
    private final LongCounter agentRegistrations;
    private final LongCounter agentMoves;
    private final LongCounter agentRenewals;
    private final LongCounter agentExpiries;
    private final LongCounter agentDeregistrations;
    private final DoubleHistogram storageDuration;
    private final LongHistogram batchSize;
    private final LongCounter storageErrors;
    private final DoubleHistogram queueWait;
    private final LongCounter shed;
    private final LongCounter expiredInQueue;

    private final Attributes[] operations = new Attributes[StorageOperation.values().length];
    private final Attributes[] registrationKinds = new Attributes[AgentRegistration.values().length];
    private final Attributes liveness = Attributes.of(LANE, "liveness");
    private final Attributes other = Attributes.of(LANE, "other");
    private final Attributes livenessQueueFull = Attributes.of(LANE, "liveness", REASON, "queue_full");
    private final Attributes livenessQueueWait = Attributes.of(LANE, "liveness", REASON, "queue_wait");
    private final Attributes otherQueueFull = Attributes.of(LANE, "other", REASON, "queue_full");
    private final Attributes otherQueueWait = Attributes.of(LANE, "other", REASON, "queue_wait");

    OtelRegistryMetrics(Meter meter) {
        relayRegistrations = counter(meter, "registry.relay.registrations", "successful RegisterRelay calls");
        relayRenewals = counter(meter, "registry.relay.renewals", "successful HeartbeatRelay calls");
        relayExpiries = counter(meter, "registry.relay.expiries",
                "HeartbeatRelay calls that found the relay not live: it expired (or was never registered)");
        relayDeregistrations = counter(meter, "registry.relay.deregistrations", "successful DeregisterRelay calls");
        agentRegistrations = counter(meter, "registry.agent.registrations",
                "successful RegisterAgent calls, by kind: created, moved, same_relay, unknown");
        agentMoves = counter(meter, "registry.agent.moves", "RegisterAgent calls that moved a visible placement to another relay");
        agentRenewals = counter(meter, "registry.agent.renewals", "placements renewed by HeartbeatAgent and HeartbeatAgents");
        agentExpiries = counter(meter, "registry.agent.expiries",
                "agents a heartbeat found without a visible placement (on its relay): expired, or moved away in HeartbeatAgents");
        agentDeregistrations = counter(meter, "registry.agent.deregistrations", "successful DeregisterAgent calls");
        storageDuration = meter.histogramBuilder("registry.storage.duration").setUnit("s")
                .setDescription("storage round trips, by backend operation").setExplicitBucketBoundariesAdvice(SECONDS_BUCKETS).build();
        batchSize = meter.histogramBuilder("registry.storage.batch.size").ofLongs()
                .setDescription("items per batch round trip (coalesced heartbeats and lookups, HeartbeatAgents, GetAgentPlacements)")
                .setExplicitBucketBoundariesAdvice(BATCH_BUCKETS).build();
        storageErrors = counter(meter, "registry.storage.errors", "failed storage round trips, by operation and error class");
        queueWait = meter.histogramBuilder("registry.admission.queue.wait").setUnit("s")
                .setDescription("time calls waited for a call thread, by lane").setExplicitBucketBoundariesAdvice(SECONDS_BUCKETS).build();
        shed = counter(meter, "registry.admission.shed", "calls shed with UNAVAILABLE, by lane and reason (queue_full, queue_wait)");
        expiredInQueue = counter(meter, "registry.admission.expired",
                "calls answered DEADLINE_EXCEEDED because their deadline passed while queued, by lane");
        for (StorageOperation operation : StorageOperation.values()) {
            operations[operation.ordinal()] = Attributes.of(OPERATION, operation.label());
        }
        for (AgentRegistration kind : AgentRegistration.values()) {
            registrationKinds[kind.ordinal()] = Attributes.of(KIND, kind.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    private static LongCounter counter(Meter meter, String name, String description) {
        return meter.counterBuilder(name).setDescription(description).build();
    }

    @Override
    public boolean countsMoves() {
        return true;
    }

    @Override
    public void relayRegistered() {
        relayRegistrations.add(1);
    }

    @Override
    public void relayRenewed() {
        relayRenewals.add(1);
    }

    @Override
    public void relayFoundExpired() {
        relayExpiries.add(1);
    }

    @Override
    public void relayDeregistered() {
        relayDeregistrations.add(1);
    }

    @Override
    public void agentRegistered(AgentRegistration kind) {
        agentRegistrations.add(1, registrationKinds[kind.ordinal()]);
        if (kind == AgentRegistration.MOVED) {
            agentMoves.add(1);
        }
    }

    @Override
    public void agentsRenewed(int count) {
        agentRenewals.add(count);
    }

    @Override
    public void agentsFoundExpired(int count) {
        agentExpiries.add(count);
    }

    @Override
    public void agentDeregistered() {
        agentDeregistrations.add(1);
    }

    @Override
    public void storageCall(StorageOperation operation, long nanos, int items) {
        Attributes attributes = operations[operation.ordinal()];
        storageDuration.record(nanos / NANOS_PER_SECOND, attributes);
        if (operation.isBatch()) {
            batchSize.record(items, attributes);
        }
    }

    @Override
    public void storageError(StorageOperation operation, long nanos, RuntimeException error) {
        storageDuration.record(nanos / NANOS_PER_SECOND, operations[operation.ordinal()]);
        // Errors are rare (a down storage is refused before it is reached), so their attributes are built here.
        String errorClass = error instanceof BackendUnavailableException ? "unavailable" : error.getClass().getSimpleName();
        storageErrors.add(1, Attributes.of(OPERATION, operation.label(), ERROR, errorClass));
    }

    @Override
    public void queueWait(boolean livenessLane, long nanos) {
        queueWait.record(nanos / NANOS_PER_SECOND, livenessLane ? liveness : other);
    }

    @Override
    public void shed(boolean livenessLane, boolean queueFull) {
        shed.add(1, livenessLane ? (queueFull ? livenessQueueFull : livenessQueueWait) : (queueFull ? otherQueueFull : otherQueueWait));
    }

    @Override
    public void expiredInQueue(boolean livenessLane) {
        expiredInQueue.add(1, livenessLane ? liveness : other);
    }
}
