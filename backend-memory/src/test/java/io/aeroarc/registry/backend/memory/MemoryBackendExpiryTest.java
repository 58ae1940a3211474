package io.aeroarc.registry.backend.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.tck.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Expiry and sweeping of the memory backend, on a clock the test steps instead of sleeping. */
class MemoryBackendExpiryTest {

    private static final Duration TTL = Duration.ofSeconds(10);

    private final ManualClock clock = ManualClock.startingAt(1_000_000L);
    private final MemoryBackend backend = new MemoryBackend(clock, Duration.ZERO);

    @AfterEach
    void close() {
        backend.close();
    }

    @Test
    void an_entry_is_visible_up_to_the_millisecond_before_its_expiry_and_not_at_it() {
        backend.registerRelay(relay("relay-a"), TTL);
        backend.registerAgent("agent-1", "relay-a", Duration.ofSeconds(5));

        clock.advance(Duration.ofMillis(4_999));
        assertThat(backend.getPlacement("agent-1")).isPresent();
        clock.advance(Duration.ofMillis(1));
        assertThat(backend.getPlacement("agent-1")).isEmpty();

        clock.advance(Duration.ofMillis(4_999));
        assertThat(backend.getRelay("relay-a")).isPresent();
        clock.advance(Duration.ofMillis(1));
        assertThat(backend.getRelay("relay-a")).isEmpty();
    }

    @Test
    void a_relays_agent_count_drops_at_each_expiry_also_after_a_count_that_saw_all_visible() {
        backend.registerRelay(relay("relay-a"), Duration.ofSeconds(60));
        backend.registerAgent("agent-long", "relay-a", Duration.ofSeconds(30));
        backend.registerAgent("agent-short", "relay-a", Duration.ofSeconds(5));
        assertThat(agentCount("relay-a")).isEqualTo(2);

        clock.advance(Duration.ofMillis(4_999));
        assertThat(agentCount("relay-a")).isEqualTo(2);
        clock.advance(Duration.ofMillis(1));
        assertThat(agentCount("relay-a")).as("agent-short expired").isEqualTo(1);

        backend.registerAgent("agent-short", "relay-a", Duration.ofSeconds(20));
        assertThat(agentCount("relay-a")).as("agent-short placed again").isEqualTo(2);
        backend.heartbeatAgent("agent-long", Fence.NONE, Duration.ofSeconds(1));
        clock.advance(Duration.ofSeconds(1));
        assertThat(agentCount("relay-a")).as("a renewal for a shorter TTL ends sooner").isEqualTo(1);
        assertThat(backend.getPlacement("agent-short").orElseThrow().relay().agentCount()).isEqualTo(1);
    }

    @Test
    void sweeping_frees_expired_entries_without_changing_what_reads_see() {
        backend.registerRelay(relay("relay-short"), Duration.ofSeconds(5));
        backend.registerRelay(relay("relay-long"), Duration.ofSeconds(60));
        for (int i = 0; i < MemoryBackend.SWEEP_CHUNK + 10; i++) {
            backend.registerAgent("agent-" + i, i % 2 == 0 ? "relay-long" : "relay-short", Duration.ofSeconds(30));
        }
        backend.registerAgent("agent-brief", "relay-long", Duration.ofSeconds(1));
        int stored = backend.storedEntries();
        clock.advance(Duration.ofSeconds(6));
        List<String> visibleBefore = ids(backend.listAgents(Optional.empty(), PageRequest.first(100_000)).items());

        int removed = backend.sweepExpired();

        int halfOfAgents = (MemoryBackend.SWEEP_CHUNK + 10) / 2;
        assertThat(removed).as("the short relay, its agents and the brief agent").isEqualTo(1 + halfOfAgents + 1);
        assertThat(backend.storedEntries()).isEqualTo(stored - removed);
        assertThat(ids(backend.listAgents(Optional.empty(), PageRequest.first(100_000)).items())).isEqualTo(visibleBefore);
        assertThat(backend.getRelay("relay-long").orElseThrow().agentCount()).isEqualTo(halfOfAgents);
        assertThat(backend.sweepExpired()).as("a second sweep finds nothing").isZero();
    }

    @Test
    void a_relay_registering_again_after_expiry_drops_the_placements_of_its_old_incarnation() {
        backend.registerRelay(relay("relay-a"), TTL);
        long epoch = backend.registerAgent("agent-1", "relay-a", Duration.ofSeconds(60)).orElseThrow().epoch();
        clock.advance(TTL);

        backend.registerRelay(relay("relay-a"), TTL);

        assertThat(backend.getPlacement("agent-1")).isEmpty();
        assertThat(backend.storedEntries()).as("the old placement is freed at once").isEqualTo(1);
        assertThat(backend.heartbeatAgent("agent-1", Fence.NONE, TTL)).isInstanceOf(AgentHeartbeat.NotFound.class);
        assertThat(backend.registerAgent("agent-1", "relay-a", TTL).orElseThrow().epoch()).isGreaterThan(epoch);
    }

    private int agentCount(String relayId) {
        return backend.getRelay(relayId).orElseThrow().agentCount();
    }

    private static List<String> ids(List<io.aeroarc.registry.spi.PlacementRecord> placements) {
        return placements.stream().map(io.aeroarc.registry.spi.PlacementRecord::agentId).toList();
    }

    private static RelayRegistration relay(String relayId) {
        return new RelayRegistration(relayId, "10.0.0.1", 7000, Map.of());
    }
}
