package io.aeroarc.registry.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.tck.ForwardingBackend;
import io.aeroarc.registry.tck.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The service over the memory backend, with a clock the tests step. */
class RegistryServiceTest {

    private static final long START = 1_700_000_000_000L;

    private final ManualClock clock = ManualClock.startingAt(START);
    private final MemoryBackend backend = new MemoryBackend(clock, Duration.ZERO);
    private final RegistryService registry =
            new RegistryService(backend, new RegistrySettings(Duration.ofSeconds(10), Duration.ofSeconds(20), 3));

    @AfterEach
    void close() {
        backend.close();
    }

    @Test
    void the_configured_ttls_set_the_expiries() {
        assertThat(registry.registerRelay("relay-a", "10.0.0.1", 7000, Map.of())).isEqualTo(START + 10_000);
        assertThat(registry.registerAgent("agent-1", "relay-a").expiresAtMs()).isEqualTo(START + 20_000);
        clock.advance(Duration.ofSeconds(1));
        assertThat(registry.heartbeatRelay("relay-a")).isEqualTo(START + 11_000);
        assertThat(registry.heartbeatAgent("agent-1", "", 0)).isEqualTo(START + 21_000);
        assertThat(registry.heartbeatAgents("relay-a", List.of("agent-1")).expiresAtMs()).isEqualTo(START + 21_000);
    }

    @Test
    void invalid_registrations_name_the_field() {
        assertError(() -> registry.registerRelay("", "10.0.0.1", 7000, Map.of()), ErrorKind.INVALID_ARGUMENT, "relay.relay_id: required");
        assertError(() -> registry.registerRelay("relay-a", "", 7000, Map.of()), ErrorKind.INVALID_ARGUMENT, "relay.address: required");
        assertError(() -> registry.registerRelay("relay-a", "10.0.0.1", 0, Map.of()), ErrorKind.INVALID_ARGUMENT,
                "relay.grpc_port: must be a port from 1 to 65535, was 0");
        assertError(() -> registry.registerRelay("relay-a", "10.0.0.1", 1, Map.of("bad key", "v")), ErrorKind.INVALID_ARGUMENT,
                "relay.labels key 'bad key': must not contain whitespace");
        assertError(() -> registry.registerAgent("", "relay-a"), ErrorKind.INVALID_ARGUMENT, "agent.agent_id: required");
        assertError(() -> registry.registerAgent("agent-1", ""), ErrorKind.INVALID_ARGUMENT, "relay_id: required");
        assertError(() -> registry.registerAgentAsync("", "relay-a").join(), ErrorKind.INVALID_ARGUMENT, "agent.agent_id: required");
        assertError(() -> registry.registerAgentAsync("agent-1", "").join(), ErrorKind.INVALID_ARGUMENT, "relay_id: required");
        assertError(() -> registry.heartbeatAgent("agent-1", "a b", 0), ErrorKind.INVALID_ARGUMENT, "relay_id: must not contain whitespace");
        assertError(() -> registry.heartbeatAgent("agent-1", "", -1), ErrorKind.INVALID_ARGUMENT, "epoch: out of range");
        assertError(() -> registry.listAgents("", -5, ""), ErrorKind.INVALID_ARGUMENT, "page_size: must not be negative, was -5");
        assertThat(backend.storedEntries()).as("nothing stored by refused requests").isZero();
    }

    @Test
    void a_list_page_stops_at_the_byte_budget_before_the_entry_cap_and_continues_from_there() {
        RegistryService bounded = new RegistryService(backend,
                new RegistrySettings(Duration.ofSeconds(10), Duration.ofSeconds(20), 10_000, RegistrySettings.MIN_PAGE_BYTES));
        int relays = 40;
        for (int i = 0; i < relays; i++) {
            bounded.registerRelay(String.format("relay-%03d", i), "h".repeat(255), 7000, maximumLabels());
        }
        List<String> seen = new ArrayList<>();
        String token = "";
        int pages = 0;
        do {
            Listing<RelayRecord> page = bounded.listRelays(0, token, Map.of());
            long bytes = page.items().stream().mapToLong(WireSize::relay).sum();
            assertThat(bytes).as("page %d bytes", pages).isLessThanOrEqualTo(RegistrySettings.MIN_PAGE_BYTES);
            assertThat(page.items()).isNotEmpty();
            page.items().forEach(relay -> seen.add(relay.relayId()));
            token = page.nextPageToken();
            pages++;
        } while (!token.isEmpty());
        assertThat(pages).as("a 64 KiB budget holds about 5 relays of 11 KB").isGreaterThan(relays / 8);
        assertThat(seen).hasSize(relays).doesNotHaveDuplicates().isSorted();
    }

    private static Map<String, String> maximumLabels() {
        Map<String, String> labels = new java.util.HashMap<>();
        for (int i = 0; i < RequestValidator.MAX_LABELS; i++) {
            labels.put(String.format("k%02d", i) + "k".repeat(RequestValidator.MAX_LABEL_KEY_BYTES - 3), "v".repeat(RequestValidator.MAX_LABEL_VALUE_BYTES));
        }
        return labels;
    }

    @Test
    void unknown_and_expired_entries_are_not_found() {
        assertError(() -> registry.heartbeatRelay("relay-a"), ErrorKind.NOT_FOUND, "relay relay-a is not live; register it");
        assertError(() -> registry.getRelay("relay-a"), ErrorKind.NOT_FOUND, "relay relay-a is not live; register it");
        assertError(() -> registry.deregisterRelay("relay-a"), ErrorKind.NOT_FOUND, "relay relay-a is not live; register it");
        assertError(() -> registry.registerAgent("agent-1", "relay-a"), ErrorKind.NOT_FOUND, "relay relay-a is not live; register it");
        assertError(() -> registry.heartbeatAgents("relay-a", List.of()), ErrorKind.NOT_FOUND, "relay relay-a is not live; register it");
        assertError(() -> registry.heartbeatAgent("agent-1", "", 0), ErrorKind.NOT_FOUND,
                "agent agent-1 has no live placement; register it");
        assertError(() -> registry.getAgentPlacement("agent-1"), ErrorKind.NOT_FOUND, "agent agent-1 has no live placement; register it");
        assertError(() -> registry.deregisterAgent("agent-1", "relay-a"), ErrorKind.NOT_FOUND,
                "agent agent-1 has no live placement; register it");

        registry.registerRelay("relay-a", "10.0.0.1", 7000, Map.of());
        registry.registerAgent("agent-1", "relay-a");
        clock.advance(Duration.ofSeconds(10));
        assertError(() -> registry.heartbeatRelay("relay-a"), ErrorKind.NOT_FOUND, "relay relay-a is not live; register it");
        assertError(() -> registry.getAgentPlacement("agent-1"), ErrorKind.NOT_FOUND, "agent agent-1 has no live placement; register it");
    }

    @Test
    void a_heartbeat_naming_a_stale_relay_or_epoch_fails_its_precondition() {
        registry.registerRelay("relay-a", "10.0.0.1", 7000, Map.of());
        registry.registerRelay("relay-b", "10.0.0.2", 7000, Map.of());
        long epochOnA = registry.registerAgent("agent-1", "relay-a").epoch();
        long epochOnB = registry.registerAgent("agent-1", "relay-b").epoch();

        assertError(() -> registry.heartbeatAgent("agent-1", "relay-a", epochOnA), ErrorKind.FAILED_PRECONDITION,
                "agent agent-1 is placed on relay relay-b with epoch " + epochOnB + ", not relay relay-a with epoch " + epochOnA);
        assertError(() -> registry.heartbeatAgent("agent-1", "", epochOnA), ErrorKind.FAILED_PRECONDITION,
                "agent agent-1 is placed on relay relay-b with epoch " + epochOnB + ", not epoch " + epochOnA);
        assertThat(registry.heartbeatAgent("agent-1", "relay-b", epochOnB)).isPositive();
        assertThat(registry.heartbeatAgent("agent-1", "", 0)).as("an old client naming neither").isPositive();
    }

    @Test
    void only_the_owning_relay_deregisters_an_agent() {
        registry.registerRelay("relay-a", "10.0.0.1", 7000, Map.of());
        registry.registerAgent("agent-1", "relay-a");

        assertError(() -> registry.deregisterAgent("agent-1", "relay-b"), ErrorKind.FAILED_PRECONDITION,
                "agent agent-1 is placed on relay relay-a, not on relay relay-b");
        registry.deregisterAgent("agent-1", "relay-a");
        assertError(() -> registry.getAgentPlacement("agent-1"), ErrorKind.NOT_FOUND, "agent agent-1 has no live placement; register it");
    }

    @Test
    void page_size_zero_means_the_cap_and_tokens_walk_the_rest() {
        registry.registerRelay("relay-a", "10.0.0.1", 7000, Map.of());
        for (String agentId : List.of("a5", "a1", "a4", "a2", "a3", "a6", "a7")) {
            registry.registerAgent(agentId, "relay-a");
        }

        Listing<PlacementRecord> first = registry.listAgents("", 0, "");
        assertThat(first.items()).extracting(PlacementRecord::agentId).containsExactly("a1", "a2", "a3");
        Listing<PlacementRecord> second = registry.listAgents("relay-a", 1000, first.nextPageToken());
        assertThat(second.items()).extracting(PlacementRecord::agentId).as("capped at 3").containsExactly("a4", "a5", "a6");
        Listing<PlacementRecord> last = registry.listAgents("", 2, second.nextPageToken());
        assertThat(last.items()).extracting(PlacementRecord::agentId).containsExactly("a7");
        assertThat(last.nextPageToken()).isEmpty();
    }

    @Test
    void relay_lists_page_and_filter_and_refuse_foreign_tokens() {
        for (String relayId : List.of("r1", "r2", "r3", "r4")) {
            registry.registerRelay(relayId, "10.0.0.1", 7000, Map.of("region", relayId.equals("r3") ? "us" : "eu"));
        }

        Listing<RelayRecord> first = registry.listRelays(2, "", Map.of("region", "eu"));
        assertThat(first.items()).extracting(RelayRecord::relayId).containsExactly("r1", "r2");
        Listing<RelayRecord> second = registry.listRelays(2, first.nextPageToken(), Map.of("region", "eu"));
        assertThat(second.items()).extracting(RelayRecord::relayId).containsExactly("r4");
        assertThat(second.nextPageToken()).isEmpty();
        String agentToken = PageTokens.encode("agents", "x");
        assertError(() -> registry.listRelays(2, agentToken, Map.of()), ErrorKind.INVALID_ARGUMENT,
                "page_token: not a page token of this list");
        assertError(() -> registry.listRelays(0, "", Map.of("", "x")), ErrorKind.INVALID_ARGUMENT, "label_selector key '': required");
    }

    @Test
    void batch_lookups_keep_request_order_drop_duplicates_and_report_missing_ids() {
        registry.registerRelay("relay-a", "10.0.0.1", 7000, Map.of());
        registry.registerAgent("agent-1", "relay-a");
        registry.registerAgent("agent-3", "relay-a");

        PlacementLookup lookup = registry.getAgentPlacements(List.of("agent-3", "agent-2", "agent-1", "agent-3", "agent-9"));

        assertThat(lookup.placements()).extracting(PlacementRecord::agentId).containsExactly("agent-3", "agent-1");
        assertThat(lookup.missingAgentIds()).containsExactly("agent-2", "agent-9");
        List<String> tooMany = new ArrayList<>();
        for (int i = 0; i <= 1000; i++) {
            tooMany.add("agent-" + i);
        }
        assertError(() -> registry.getAgentPlacements(tooMany), ErrorKind.INVALID_ARGUMENT, "agent_ids: at most 1000 ids per call, was 1001");
        assertError(() -> registry.heartbeatAgents("relay-a", tooMany), ErrorKind.INVALID_ARGUMENT,
                "agent_ids: at most 1000 ids per call, was 1001");
    }

    @Test
    void a_batch_heartbeat_reports_duplicates_once() {
        registry.registerRelay("relay-a", "10.0.0.1", 7000, Map.of());
        registry.registerAgent("agent-1", "relay-a");

        assertThat(registry.heartbeatAgents("relay-a", List.of("agent-2", "agent-1", "agent-2")).lostAgentIds()).containsExactly("agent-2");
    }

    @Test
    void an_async_registration_answers_as_the_blocking_one() {
        registry.registerRelay("relay-a", "10.0.0.1", 7000, Map.of());
        PlacementRecord placed = registry.registerAgentAsync("agent-1", "relay-a").join().placement();
        assertThat(placed.expiresAtMs()).isEqualTo(START + 20_000);
        assertThat(registry.registerAgentAsync("agent-1", "relay-a").join().placement().epoch()).isEqualTo(placed.epoch());
        assertError(() -> registry.registerAgentAsync("agent-1", "relay-b").join(), ErrorKind.NOT_FOUND,
                "relay relay-b is not live; register it");
    }

    @Test
    void an_async_registration_reports_the_placement_it_found_before_a_move_and_none_for_a_creation() {
        registry.registerRelay("relay-a", "10.0.0.1", 7000, Map.of());
        registry.registerRelay("relay-b", "10.0.0.2", 7000, Map.of());

        AgentRegistered created = registry.registerAgentAsync("agent-1", "relay-a").join();
        assertThat(created.previous()).isEmpty();
        assertThat(created.movedFrom()).isEmpty();

        AgentRegistered renewed = registry.registerAgentAsync("agent-1", "relay-a").join();
        assertThat(renewed.previous()).contains(created.placement());
        assertThat(renewed.movedFrom()).as("staying on the same relay is no move").isEmpty();

        clock.advance(Duration.ofSeconds(1));
        AgentRegistered moved = registry.registerAgentAsync("agent-1", "relay-b").join();
        assertThat(moved.placement().relayId()).isEqualTo("relay-b");
        assertThat(moved.placement().epoch()).isGreaterThan(created.placement().epoch());
        assertThat(moved.movedFrom()).hasValueSatisfying(before -> {
            assertThat(before.relayId()).isEqualTo("relay-a");
            assertThat(before.epoch()).isEqualTo(created.placement().epoch());
        });
    }

    @Test
    void a_failing_read_of_the_placement_before_still_registers_and_reports_no_previous_owner() {
        List<String> kinds = new ArrayList<>();
        RegistryMetrics counting = new RegistryMetrics() {
            @Override
            public void agentRegistered(AgentRegistration kind) {
                kinds.add(kind.name());
            }
        };
        RegistryBackend unreadable = new ForwardingBackend(backend) {
            @Override
            public List<PlacementRecord> getPlacements(List<String> agentIds) {
                throw new BackendUnavailableException("placement read timed out");
            }
        };
        RegistryService service = new RegistryService(unreadable, new RegistrySettings(Duration.ofSeconds(10), Duration.ofSeconds(20), 3), counting);
        service.registerRelay("relay-a", "10.0.0.1", 7000, Map.of());
        service.registerRelay("relay-b", "10.0.0.2", 7000, Map.of());
        backend.registerAgent("agent-1", "relay-a", Duration.ofSeconds(20)).orElseThrow();

        AgentRegistered moved = service.registerAgentAsync("agent-1", "relay-b").join();

        assertThat(moved.placement().relayId()).isEqualTo("relay-b");
        assertThat(moved.previous()).isEmpty();
        assertThat(moved.movedFrom()).isEmpty();
        assertThat(backend.getPlacement("agent-1").orElseThrow().placement().relayId()).isEqualTo("relay-b");
        assertThat(kinds).containsExactly("UNKNOWN");
    }

    @Test
    void the_current_placement_is_the_placement_alone_and_empty_when_the_agent_is_not_placed() {
        registry.registerRelay("relay-a", "10.0.0.1", 7000, Map.of());
        PlacementRecord placed = registry.registerAgent("agent-1", "relay-a");

        assertThat(registry.currentPlacement("agent-1")).contains(placed);
        assertThat(registry.currentPlacement("agent-unknown")).isEmpty();
        assertError(() -> registry.currentPlacement(""), ErrorKind.INVALID_ARGUMENT, "agent_id: required");
    }

    /** Runs {@code call}; a failure carried by a future counts as the exception it carries. */
    private static void assertError(ThrowingCallable call, ErrorKind kind, String message) {
        ThrowingCallable unwrapped = () -> {
            try {
                call.call();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause();
            }
        };
        assertThatThrownBy(unwrapped).isInstanceOfSatisfying(RegistryException.class, e -> {
            assertThat(e.kind()).isEqualTo(kind);
            assertThat(e.getMessage()).isEqualTo(message);
        });
    }
}
