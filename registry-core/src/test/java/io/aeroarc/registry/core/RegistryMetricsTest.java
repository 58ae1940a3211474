package io.aeroarc.registry.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.core.RegistryMetrics.AgentRegistration;
import io.aeroarc.registry.core.RegistryMetrics.StorageOperation;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.AgentRegistrationRequest;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.tck.ForwardingBackend;
import io.aeroarc.registry.tck.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the service and the measured backend report to {@link RegistryMetrics}, over the memory backend and a stepped clock. */
class RegistryMetricsTest {

    private static final long START = 1_700_000_000_000L;

    private final ManualClock clock = ManualClock.startingAt(START);
    private final MemoryBackend memory = new MemoryBackend(clock, Duration.ZERO);
    private final Recorded recorded = new Recorded();
    private final RegistryService registry = new RegistryService(new MeasuredBackend(memory, recorded),
            new RegistrySettings(Duration.ofSeconds(10), Duration.ofSeconds(5), 100), recorded);

    @AfterEach
    void close() {
        memory.close();
    }

    @Test
    void outcomes_are_counted_once_each_with_moves_and_expiries_where_noticed() {
        registry.registerRelay("r1", "10.0.0.1", 7000, Map.of());
        registry.registerRelay("r2", "10.0.0.2", 7000, Map.of());
        registry.heartbeatRelay("r1");
        registry.registerAgent("a1", "r1");
        registry.registerAgent("a1", "r2");
        registry.registerAgent("a1", "r2");
        registry.registerAgent("a2", "r1");
        registry.heartbeatAgent("a1", "", 0);
        assertThat(registry.heartbeatAgents("r1", List.of("a1", "a2")).lostAgentIds()).containsExactly("a1");
        registry.deregisterAgent("a1", "r2");

        clock.advance(Duration.ofSeconds(6)); // a2's placement expires, the relays do not
        assertThatThrownBy(() -> registry.heartbeatAgent("a2", "", 0)).isInstanceOf(RegistryException.class);
        clock.advance(Duration.ofSeconds(5)); // r1 and r2 expire
        assertThatThrownBy(() -> registry.heartbeatRelay("r2")).isInstanceOf(RegistryException.class);
        assertThatThrownBy(() -> registry.deregisterRelay("r1")).isInstanceOf(RegistryException.class);

        assertThat(recorded.events).containsExactly("relay-registered", "relay-registered", "relay-renewed", "agent-created", "agent-moved",
                "agent-same_relay", "agent-created", "agents-renewed 1", "agents-renewed 1", "agents-expired 1", "agent-deregistered",
                "agents-expired 1", "relay-expired");
    }

    @Test
    void an_async_registration_counts_the_same_kinds_as_a_blocking_one() {
        registry.registerRelay("r1", "10.0.0.1", 7000, Map.of());
        registry.registerRelay("r2", "10.0.0.2", 7000, Map.of());
        registry.registerAgentAsync("a1", "r1").join();
        registry.registerAgentAsync("a1", "r2").join();
        registry.registerAgentAsync("a1", "r2").join();
        assertThatThrownBy(() -> registry.registerAgentAsync("a1", "r3").join()).hasCauseInstanceOf(RegistryException.class);

        assertThat(recorded.events).containsExactly("relay-registered", "relay-registered", "agent-created", "agent-moved",
                "agent-same_relay");
        assertThat(recorded.storageCalls).as("the placement before is read alone, without its relay")
                .containsEntry(StorageOperation.GET_PLACEMENTS, List.of(1, 1, 1, 1)).doesNotContainKey(StorageOperation.GET_PLACEMENT);
        MeasuredBackend measured = new MeasuredBackend(memory, recorded);
        assertThat(measured.registerAgentBatch(List.of(new AgentRegistrationRequest("a2", "r1"), new AgentRegistrationRequest("a3", "r9")),
                Duration.ofSeconds(5))).hasSize(2);
        assertThat(recorded.storageCalls).containsEntry(StorageOperation.REGISTER_AGENT_BATCH, List.of(2));
        assertThat(StorageOperation.REGISTER_AGENT_BATCH.isBatch()).isTrue();
    }

    @Test
    void the_measured_backend_times_each_round_trip_with_batch_sizes_and_error_classes() {
        registry.registerRelay("r1", "10.0.0.1", 7000, Map.of());
        registry.registerAgent("a1", "r1");
        registry.heartbeatAgents("r1", List.of("a1", "a2", "a3"));
        MeasuredBackend measured = new MeasuredBackend(memory, recorded);
        measured.heartbeatAgentBatch(List.of(new AgentHeartbeatRequest("a1", new Fence(Optional.empty(), 0)),
                new AgentHeartbeatRequest("a2", new Fence(Optional.empty(), 0))), Duration.ofSeconds(5));

        assertThat(recorded.storageCalls).containsEntry(StorageOperation.REGISTER_RELAY, List.of(1))
                .containsEntry(StorageOperation.GET_PLACEMENTS, List.of(1)) // the placement-only read that tells a move from a creation
                .containsEntry(StorageOperation.REGISTER_AGENT, List.of(1))
                .containsEntry(StorageOperation.HEARTBEAT_AGENTS, List.of(3))
                .containsEntry(StorageOperation.HEARTBEAT_AGENT_BATCH, List.of(2));

        MeasuredBackend failing = new MeasuredBackend(new ForwardingBackend(memory) {
            @Override
            public void probe() {
                throw new BackendUnavailableException("storage down");
            }
        }, recorded);
        assertThatThrownBy(failing::probe).isInstanceOf(BackendUnavailableException.class);
        assertThat(recorded.errors).containsExactly("probe BackendUnavailableException");
        assertThat(failing.liveRelayCount()).as("the memory backend's relays, through both wrappers").hasValue(1);
    }

    @Test
    void without_metrics_a_registration_reads_nothing_first() {
        Recorded quiet = new Recorded() {
            @Override
            public boolean countsMoves() {
                return false;
            }
        };
        RegistryService plain = new RegistryService(new MeasuredBackend(memory, quiet), new RegistrySettings(Duration.ofSeconds(10),
                Duration.ofSeconds(5), 100), quiet);
        plain.registerRelay("r1", "10.0.0.1", 7000, Map.of());
        plain.registerAgent("a1", "r1");
        assertThat(quiet.storageCalls).doesNotContainKey(StorageOperation.GET_PLACEMENTS);
        assertThat(quiet.events).contains("agent-unknown");
    }

    /** Records every report as text, in order. */
    private static class Recorded implements RegistryMetrics {
        final List<String> events = new ArrayList<>();
        final Map<StorageOperation, List<Integer>> storageCalls = new EnumMap<>(StorageOperation.class);
        final List<String> errors = new ArrayList<>();

        @Override
        public boolean countsMoves() {
            return true;
        }

        @Override
        public void relayRegistered() {
            events.add("relay-registered");
        }

        @Override
        public void relayRenewed() {
            events.add("relay-renewed");
        }

        @Override
        public void relayFoundExpired() {
            events.add("relay-expired");
        }

        @Override
        public void relayDeregistered() {
            events.add("relay-deregistered");
        }

        @Override
        public void agentRegistered(AgentRegistration kind) {
            events.add("agent-" + kind.name().toLowerCase(java.util.Locale.ROOT));
        }

        @Override
        public void agentsRenewed(int count) {
            events.add("agents-renewed " + count);
        }

        @Override
        public void agentsFoundExpired(int count) {
            events.add("agents-expired " + count);
        }

        @Override
        public void agentDeregistered() {
            events.add("agent-deregistered");
        }

        @Override
        public void storageCall(StorageOperation operation, long nanos, int items) {
            assertThat(nanos).isNotNegative();
            storageCalls.computeIfAbsent(operation, o -> new ArrayList<>()).add(items);
        }

        @Override
        public void storageError(StorageOperation operation, long nanos, RuntimeException error) {
            errors.add(operation.label() + " " + error.getClass().getSimpleName());
        }
    }
}
