package io.aeroarc.registry.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.CallDeadline;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.tck.ForwardingBackend;
import io.aeroarc.registry.tck.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The fail-fast state machine: DOWN on an unavailable storage, refusing without a round trip, UP on the first answer. */
class FailFastBackendTest {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final List<String> transitions = new ArrayList<>();
    private final StorageAvailability availability = new StorageAvailability(Duration.ofMillis(250), nanos::get,
            (state, reason) -> transitions.add(state.name()));
    private final Outage storage = new Outage(new MemoryBackend(new ManualClock(java.time.Instant.parse("2026-01-01T00:00:00Z")), Duration.ZERO));
    private final FailFastBackend backend = new FailFastBackend(storage, availability);

    @Test
    void refuses_without_a_round_trip_while_down_and_tries_once_per_interval() {
        storage.down = true;
        assertThatThrownBy(() -> backend.getRelay("relay-a")).isInstanceOf(BackendUnavailableException.class);
        assertThat(availability.state()).isEqualTo(StorageAvailability.State.DOWN);
        assertThat(storage.calls.get()).isEqualTo(1);

        for (int i = 0; i < 100; i++) {
            assertThatThrownBy(() -> backend.getRelay("relay-a")).isInstanceOf(BackendUnavailableException.class);
        }
        assertThat(storage.calls.get()).as("refused without touching the storage").isEqualTo(1);

        nanos.addAndGet(Duration.ofMillis(250).toNanos());
        assertThatThrownBy(() -> backend.getRelay("relay-a")).isInstanceOf(BackendUnavailableException.class);
        assertThat(storage.calls.get()).as("one trial call per interval").isEqualTo(2);

        storage.down = false;
        assertThatThrownBy(() -> backend.getRelay("relay-a")).as("still within the interval").isInstanceOf(BackendUnavailableException.class);
        nanos.addAndGet(Duration.ofMillis(250).toNanos());
        assertThat(backend.getRelay("relay-a")).isEmpty();
        assertThat(availability.state()).isEqualTo(StorageAvailability.State.UP);
        assertThat(backend.getRelay("relay-b")).isEmpty();
        assertThat(transitions).containsExactly("DOWN", "UP");
    }

    @Test
    void the_probe_always_reaches_the_storage_and_brings_it_back_up() {
        storage.down = true;
        assertThatThrownBy(backend::probe).isInstanceOf(BackendUnavailableException.class);
        assertThat(availability.state()).isEqualTo(StorageAvailability.State.DOWN);
        assertThatThrownBy(backend::probe).isInstanceOf(BackendUnavailableException.class);
        storage.down = false;
        backend.probe();
        assertThat(availability.state()).isEqualTo(StorageAvailability.State.UP);
        assertThat(transitions).containsExactly("DOWN", "UP");
    }

    @Test
    void a_failure_after_the_calls_own_deadline_passed_does_not_mark_the_storage_down() {
        storage.down = true;
        assertThatThrownBy(() -> backend.boundedBy(CallDeadline.after(Duration.ZERO)).getRelay("relay-a"))
                .isInstanceOf(BackendUnavailableException.class);
        assertThat(availability.state()).isEqualTo(StorageAvailability.State.UP);
        assertThatThrownBy(() -> backend.boundedBy(CallDeadline.after(Duration.ofMinutes(1))).getRelay("relay-a"))
                .isInstanceOf(BackendUnavailableException.class);
        assertThat(availability.state()).isEqualTo(StorageAvailability.State.DOWN);
    }

    @Test
    void a_misconfigured_storage_is_told_apart_refused_as_misconfigured_and_seen_fixed_by_the_probe() {
        storage.failure = () -> new BackendMisconfiguredException("WRONGPASS");
        assertThatThrownBy(() -> backend.getRelay("relay-a")).isInstanceOf(BackendMisconfiguredException.class);
        assertThat(availability.state()).isEqualTo(StorageAvailability.State.MISCONFIGURED);
        assertThatThrownBy(() -> backend.getRelay("relay-a")).as("refused without a round trip, still as misconfigured")
                .isInstanceOf(BackendMisconfiguredException.class).hasMessageContaining("not tried");
        assertThat(storage.calls.get()).isEqualTo(1);
        assertThatThrownBy(backend::probe).isInstanceOf(BackendMisconfiguredException.class);
        assertThat(availability.state()).as("a misconfiguration is not an outage, also to the probe").isEqualTo(StorageAvailability.State.MISCONFIGURED);

        storage.failure = null;
        backend.probe();
        assertThat(availability.state()).isEqualTo(StorageAvailability.State.UP);
        assertThat(transitions).containsExactly("MISCONFIGURED", "UP");
    }

    @Test
    void a_bug_neither_marks_the_storage_down_nor_is_hidden() {
        storage.failure = () -> new IllegalStateException("WRONGTYPE Operation against a key holding the wrong kind of value");
        assertThatThrownBy(() -> backend.getRelay("relay-a")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(backend::probe).isInstanceOf(IllegalStateException.class);
        assertThat(availability.state()).isEqualTo(StorageAvailability.State.UP);
        storage.failure = null;
        assertThat(backend.getRelay("relay-a")).isEmpty();
        assertThat(storage.calls.get()).as("every call reached the storage").isEqualTo(2);
        assertThat(transitions).isEmpty();
    }

    @Test
    void call_deadlines_bound_a_timeout_by_the_time_left() {
        assertThat(CallDeadline.after(Duration.ofMinutes(1)).bound(Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(2));
        assertThat(CallDeadline.after(Duration.ofMillis(300)).bound(Duration.ofSeconds(2))).isLessThanOrEqualTo(Duration.ofMillis(300));
        assertThat(CallDeadline.after(Duration.ofMillis(-5)).bound(Duration.ofSeconds(2))).isEqualTo(Duration.ofMillis(1));
        assertThat(CallDeadline.after(Duration.ofMillis(-5)).isExpired()).isTrue();
    }

    @Test
    void gathered_calls_are_refused_without_a_round_trip_while_down() {
        Gathering gathering = new Gathering(storage);
        FailFastBackend guarded = new FailFastBackend(gathering, availability);
        availability.unavailable("test: storage stopped");

        CompletableFuture<AgentHeartbeat> heartbeat = guarded.heartbeatAgentAsync("agent-1", Fence.NONE, Duration.ofSeconds(30));
        CompletableFuture<Optional<RelayPlacement>> lookup = guarded.boundedBy(CallDeadline.after(Duration.ofSeconds(5))).getPlacementAsync("agent-1");
        CompletableFuture<Optional<PlacementRecord>> registration = guarded.registerAgentAsync("agent-1", "relay-a", Duration.ofSeconds(30));
        CompletableFuture<Optional<PlacementRecord>> owner = guarded.currentPlacementAsync("agent-1");

        assertThatThrownBy(registration::join).cause().isInstanceOf(BackendUnavailableException.class).hasMessageContaining("not tried");
        assertThatThrownBy(heartbeat::join).cause().isInstanceOf(BackendUnavailableException.class).hasMessageContaining("not tried");
        assertThatThrownBy(lookup::join).cause().isInstanceOf(BackendUnavailableException.class).hasMessageContaining("not tried");
        assertThatThrownBy(owner::join).cause().isInstanceOf(BackendUnavailableException.class).hasMessageContaining("not tried");
        assertThat(gathering.pending).as("no round trip").isEmpty();
        assertThat(gathering.pendingOwners).as("no round trip").isEmpty();
    }

    @Test
    void a_placement_only_reads_failure_moves_the_state_when_its_future_completes() {
        Gathering gathering = new Gathering(storage);
        FailFastBackend guarded = new FailFastBackend(gathering, availability);
        CompletableFuture<Optional<PlacementRecord>> owner = guarded.currentPlacementAsync("agent-1");
        assertThat(availability.state()).isEqualTo(StorageAvailability.State.UP);

        gathering.pendingOwners.get(0).completeExceptionally(new BackendUnavailableException("batch timed out"));

        assertThatThrownBy(owner::join).cause().isInstanceOf(BackendUnavailableException.class).hasMessage("batch timed out");
        assertThat(availability.state()).isEqualTo(StorageAvailability.State.DOWN);
    }

    @Test
    void a_gathered_calls_outcome_moves_the_state_when_its_future_completes() {
        Gathering gathering = new Gathering(storage);
        FailFastBackend guarded = new FailFastBackend(gathering, availability);
        CompletableFuture<Optional<RelayPlacement>> lookup = guarded.getPlacementAsync("agent-1");
        assertThat(availability.state()).isEqualTo(StorageAvailability.State.UP);

        gathering.pending.get(0).completeExceptionally(new BackendUnavailableException("batch timed out"));

        assertThatThrownBy(lookup::join).cause().isInstanceOf(BackendUnavailableException.class).hasMessage("batch timed out");
        assertThat(availability.state()).isEqualTo(StorageAvailability.State.DOWN);

        nanos.addAndGet(Duration.ofMillis(250).toNanos());
        CompletableFuture<Optional<RelayPlacement>> trial = guarded.getPlacementAsync("agent-1");
        gathering.pending.get(1).completeExceptionally(CallNotRunException.overloaded("getPlacement"));
        assertThatThrownBy(trial::join).cause().isInstanceOf(CallNotRunException.class);
        assertThat(availability.state()).as("a call refused before the storage tells nothing").isEqualTo(StorageAvailability.State.DOWN);

        nanos.addAndGet(Duration.ofMillis(250).toNanos());
        CompletableFuture<Optional<RelayPlacement>> nextTrial = guarded.getPlacementAsync("agent-1");
        assertThat(gathering.pending).as("the refused trial freed the next one").hasSize(3);
        gathering.pending.get(2).complete(Optional.empty());
        assertThat(nextTrial.join()).isEmpty();
        assertThat(availability.state()).isEqualTo(StorageAvailability.State.UP);
        assertThat(transitions).containsExactly("DOWN", "UP");
    }

    /** A gathering backend whose answers the test gives, one future per call. */
    private static final class Gathering extends ForwardingBackend implements GatheredCalls {
        final List<CompletableFuture<Optional<RelayPlacement>>> pending = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<Optional<PlacementRecord>>> pendingOwners = new CopyOnWriteArrayList<>();

        Gathering(RegistryBackend delegate) {
            super(delegate);
        }

        @Override
        public CompletableFuture<AgentHeartbeat> heartbeatAgentAsync(String agentId, Fence fence, Duration ttl) {
            throw new AssertionError("not used");
        }

        @Override
        public CompletableFuture<Optional<PlacementRecord>> registerAgentAsync(String agentId, String relayId, Duration ttl) {
            throw new AssertionError("not used");
        }

        @Override
        public CompletableFuture<Optional<RelayPlacement>> getPlacementAsync(String agentId) {
            CompletableFuture<Optional<RelayPlacement>> answer = new CompletableFuture<>();
            pending.add(answer);
            return answer;
        }

        @Override
        public CompletableFuture<Optional<PlacementRecord>> currentPlacementAsync(String agentId) {
            CompletableFuture<Optional<PlacementRecord>> answer = new CompletableFuture<>();
            pendingOwners.add(answer);
            return answer;
        }

        @Override
        public RegistryBackend boundedBy(CallDeadline deadline) {
            return this;
        }
    }

    /** A storage the test takes down: every call counts, and fails while down. */
    private static final class Outage extends ForwardingBackend {
        final AtomicInteger calls = new AtomicInteger();
        volatile boolean down;
        /** When set, every call and the probe throw what it makes. */
        volatile Supplier<RuntimeException> failure;

        Outage(MemoryBackend delegate) {
            super(delegate);
        }

        @Override
        public Optional<RelayRecord> getRelay(String relayId) {
            calls.incrementAndGet();
            if (down) {
                throw new BackendUnavailableException("connection refused");
            }
            if (failure != null) {
                throw failure.get();
            }
            return super.getRelay(relayId);
        }

        @Override
        public void probe() {
            if (down) {
                throw new BackendUnavailableException("connection refused");
            }
            if (failure != null) {
                throw failure.get();
            }
        }
    }
}
