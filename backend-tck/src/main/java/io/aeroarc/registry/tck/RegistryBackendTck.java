package io.aeroarc.registry.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.aeroarc.registry.spi.AgentDeregistration;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.AgentRegistrationRequest;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.CallDeadline;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The contract every registry backend keeps. Extend it in your backend's tests and implement
 * {@link #createBackend}; see {@link BackendTckSupport} for the timing hooks.
 *
 * <p>Rule names start with the area they pin down: {@code relay_}, {@code agent_}, {@code batch_}
 * (batches of single-agent calls answer each item as its single call would), {@code ttl_},
 * {@code paging_}, {@code concurrency_}, {@code shared_} (skipped for embedded backends),
 * {@code provider_} (how the server loads the backend) and {@code outage_} (skipped unless the test
 * can stop the storage). A failure names its rule and the promise the rule's name states.
 *
 * <p>No rule depends on scheduling luck: where a rule needs two threads to overlap, it waits (with
 * a bound) until they have, and a rule on a {@link ManualClock} never sleeps.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(RulePromises.class)
public abstract class RegistryBackendTck extends BackendTckSupport {

    // ---------------------------------------------------------------- relays

    @Test
    public void relay_register_then_get_returns_what_was_registered() {
        long before = now();
        long expiresAt = backend.registerRelay(
                new RelayRegistration("relay-a", "10.0.0.7", 7443, Map.of("region", "eu-west", "zone", "b")), LONG_TTL);
        long after = now();

        assertExpiry(expiresAt, before, after, LONG_TTL);
        RelayRecord relay = liveRelay("relay-a");
        assertThat(relay.relayId()).isEqualTo("relay-a");
        assertThat(relay.address()).isEqualTo("10.0.0.7");
        assertThat(relay.grpcPort()).isEqualTo(7443);
        assertThat(relay.labels()).containsExactlyInAnyOrderEntriesOf(Map.of("region", "eu-west", "zone", "b"));
        assertTimeBetween(relay.registeredAtMs(), before, after, "registered at");
        assertTimeBetween(relay.lastHeartbeatMs(), before, after, "last heartbeat");
        assertExpiry(relay.expiresAtMs(), before, after, LONG_TTL);
        assertThat(relay.agentCount()).isZero();
    }

    @Test
    public void relay_unknown_is_absent_from_every_read() {
        assertThat(backend.getRelay("never-registered")).isEmpty();
        assertThat(backend.heartbeatRelay("never-registered", LONG_TTL)).isEmpty();
        assertThat(backend.deregisterRelay("never-registered")).isFalse();
        assertThat(allRelayIds(backend, Map.of(), 10)).isEmpty();
    }

    @Test
    public void relay_register_again_updates_it_and_keeps_its_registration_time() throws InterruptedException {
        backend.registerRelay(new RelayRegistration("relay-a", "10.0.0.7", 7443, Map.of("version", "1")), LONG_TTL);
        RelayRecord first = liveRelay("relay-a");
        letTimePass(Duration.ofMillis(30)); // let the clock move, so a reset registration time or a missed renewal shows

        long expiresAt = backend.registerRelay(new RelayRegistration("relay-a", "10.0.0.8", 8443, Map.of("version", "2")), LONG_TTL);

        RelayRecord second = liveRelay("relay-a");
        assertThat(second.address()).isEqualTo("10.0.0.8");
        assertThat(second.grpcPort()).isEqualTo(8443);
        assertThat(second.labels()).containsExactlyEntriesOf(Map.of("version", "2"));
        assertThat(second.registeredAtMs()).as("registration time of a relay that stayed live").isEqualTo(first.registeredAtMs());
        assertThat(second.lastHeartbeatMs()).isGreaterThan(first.lastHeartbeatMs());
        assertThat(expiresAt).isGreaterThan(first.expiresAtMs());
        assertThat(allRelayIds(backend, Map.of(), 10)).containsExactly("relay-a");
    }

    @Test
    public void relay_heartbeat_renews_a_live_relay() throws InterruptedException {
        registerRelay("relay-a");
        RelayRecord first = liveRelay("relay-a");
        letTimePass(Duration.ofMillis(30)); // let the clock move, so a renewal is visible

        long before = now();
        OptionalLong expiresAt = backend.heartbeatRelay("relay-a", LONG_TTL);
        long after = now();

        assertThat(expiresAt).isPresent();
        assertExpiry(expiresAt.getAsLong(), before, after, LONG_TTL);
        assertThat(expiresAt.getAsLong()).isGreaterThan(first.expiresAtMs());
        RelayRecord renewed = liveRelay("relay-a");
        assertTimeBetween(renewed.lastHeartbeatMs(), before, after, "last heartbeat");
        assertThat(renewed.registeredAtMs()).isEqualTo(first.registeredAtMs());
    }

    @Test
    public void relay_deregister_removes_a_live_relay_once() {
        registerRelay("relay-a");
        registerRelay("relay-b");

        assertThat(backend.deregisterRelay("relay-a")).isTrue();

        assertThat(backend.getRelay("relay-a")).isEmpty();
        assertThat(backend.heartbeatRelay("relay-a", LONG_TTL)).isEmpty();
        assertThat(backend.deregisterRelay("relay-a")).as("second deregistration").isFalse();
        assertThat(allRelayIds(backend, Map.of(), 10)).containsExactly("relay-b");
    }

    @Test
    public void relay_register_after_deregistration_starts_a_new_incarnation() throws InterruptedException {
        registerRelay("relay-a");
        long firstRegistration = liveRelay("relay-a").registeredAtMs();
        backend.deregisterRelay("relay-a");
        letTimePass(Duration.ofMillis(30)); // let the clock move, so a kept registration time shows

        registerRelay("relay-a");

        assertThat(liveRelay("relay-a").registeredAtMs()).isGreaterThan(firstRegistration);
    }

    @Test
    public void relay_list_is_ordered_by_id_and_filtered_by_every_selector_pair() {
        backend.registerRelay(new RelayRegistration("relay-c", "c", 1, Map.of("region", "eu", "tier", "edge")), LONG_TTL);
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of("region", "eu")), LONG_TTL);
        backend.registerRelay(new RelayRegistration("relay-b", "b", 1, Map.of("region", "us", "tier", "edge")), LONG_TTL);
        backend.registerRelay(new RelayRegistration("relay-d", "d", 1, Map.of()), LONG_TTL);

        assertThat(allRelayIds(backend, Map.of(), 100)).containsExactly("relay-a", "relay-b", "relay-c", "relay-d");
        assertThat(allRelayIds(backend, Map.of("region", "eu"), 100)).containsExactly("relay-a", "relay-c");
        assertThat(allRelayIds(backend, Map.of("region", "eu", "tier", "edge"), 100)).containsExactly("relay-c");
        assertThat(allRelayIds(backend, Map.of("tier", "edge"), 1)).containsExactly("relay-b", "relay-c");
        assertThat(allRelayIds(backend, Map.of("region", "mars"), 100)).isEmpty();
        Page<RelayRecord> listed = backend.listRelays(Map.of("region", "eu"), PageRequest.first(100));
        assertThat(listed.items()).extracting(RelayRecord::address).containsExactly("a", "c");
        assertThat(listed.items().get(1).labels()).containsExactlyInAnyOrderEntriesOf(Map.of("region", "eu", "tier", "edge"));
    }

    @Test
    public void relay_agent_count_counts_its_visible_placements() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        registerAgent("agent-1", "relay-a");
        registerAgent("agent-2", "relay-a");
        registerAgent("agent-3", "relay-b");
        assertThat(liveRelay("relay-a").agentCount()).isEqualTo(2);

        registerAgent("agent-2", "relay-b");
        assertThat(liveRelay("relay-a").agentCount()).isEqualTo(1);
        assertThat(liveRelay("relay-b").agentCount()).isEqualTo(2);

        backend.deregisterAgent("agent-1", "relay-a");
        assertThat(liveRelay("relay-a").agentCount()).isZero();
        assertThat(backend.listRelays(Map.of(), PageRequest.first(10)).items())
                .extracting(RelayRecord::relayId, RelayRecord::agentCount)
                .containsExactly(tuple("relay-a", 0), tuple("relay-b", 2));
    }

    // ---------------------------------------------------------------- agents

    @Test
    public void deadline_a_view_bounded_by_a_call_deadline_works_on_the_same_storage() {
        RegistryBackend bounded = backend.boundedBy(CallDeadline.after(Duration.ofMinutes(1)));
        bounded.registerRelay(new RelayRegistration("relay-a", "10.0.0.7", 7443, Map.of()), LONG_TTL);
        assertThat(backend.getRelay("relay-a")).as("written through the view, read through the backend").isPresent();
        assertThat(bounded.heartbeatRelay("relay-a", LONG_TTL)).isPresent();
        assertThat(bounded.registerAgent("agent-1", "relay-a", LONG_TTL)).isPresent();
        assertThat(backend.boundedBy(CallDeadline.after(Duration.ofMinutes(1))).getPlacement("agent-1")).isPresent();
    }

    @Test
    public void agent_register_on_a_relay_that_is_not_live_is_refused() {
        assertThat(backend.registerAgent("agent-1", "no-such-relay", LONG_TTL)).isEmpty();
        assertThat(backend.getPlacement("agent-1")).isEmpty();
        assertThat(allAgentIds(backend, Optional.empty(), 10)).isEmpty();
    }

    @Test
    public void agent_register_creates_a_placement_readable_with_its_relay() {
        backend.registerRelay(new RelayRegistration("relay-a", "10.1.1.1", 9000, Map.of("zone", "z1")), LONG_TTL);

        long before = now();
        PlacementRecord placed = registerAgent("agent-1", "relay-a");
        long after = now();

        assertThat(placed.agentId()).isEqualTo("agent-1");
        assertThat(placed.relayId()).isEqualTo("relay-a");
        assertThat(placed.epoch()).as("epochs are positive").isPositive();
        assertTimeBetween(placed.lastHeartbeatMs(), before, after, "last heartbeat");
        assertExpiry(placed.expiresAtMs(), before, after, LONG_TTL);

        RelayPlacement read = backend.getPlacement("agent-1").orElseThrow(() -> new AssertionError("placement is absent"));
        assertThat(read.placement().relayId()).isEqualTo("relay-a");
        assertThat(read.placement().epoch()).isEqualTo(placed.epoch());
        assertThat(read.relay().address()).isEqualTo("10.1.1.1");
        assertThat(read.relay().grpcPort()).isEqualTo(9000);
        assertThat(read.relay().labels()).containsExactlyEntriesOf(Map.of("zone", "z1"));
        assertThat(read.relay().agentCount()).isEqualTo(1);
        assertThat(allAgentIds(backend, Optional.of("relay-a"), 10)).containsExactly("agent-1");
    }

    @Test
    public void agent_register_again_on_the_same_relay_keeps_the_epoch_and_renews() throws InterruptedException {
        registerRelay("relay-a");
        PlacementRecord first = registerAgent("agent-1", "relay-a");
        letTimePass(Duration.ofMillis(30)); // let the clock move, so a renewal is visible

        PlacementRecord second = registerAgent("agent-1", "relay-a");

        assertThat(second.epoch()).isEqualTo(first.epoch());
        assertThat(second.expiresAtMs()).isGreaterThan(first.expiresAtMs());
        assertThat(second.lastHeartbeatMs()).isGreaterThan(first.lastHeartbeatMs());
        assertThat(allAgentIds(backend, Optional.empty(), 10)).containsExactly("agent-1");
    }

    @Test
    public void agent_move_to_another_relay_increases_the_epoch_and_moves_it_between_relay_lists() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        PlacementRecord onA = registerAgent("agent-1", "relay-a");

        PlacementRecord onB = registerAgent("agent-1", "relay-b");
        PlacementRecord backOnA = registerAgent("agent-1", "relay-a");

        assertThat(onB.epoch()).isGreaterThan(onA.epoch());
        assertThat(backOnA.epoch()).isGreaterThan(onB.epoch());
        assertThat(backend.getPlacement("agent-1").orElseThrow().placement().relayId()).isEqualTo("relay-a");
        assertThat(allAgentIds(backend, Optional.of("relay-a"), 10)).containsExactly("agent-1");
        assertThat(allAgentIds(backend, Optional.of("relay-b"), 10)).isEmpty();
        assertThat(allAgentIds(backend, Optional.empty(), 10)).containsExactly("agent-1");
    }

    @Test
    public void agent_epoch_keeps_increasing_when_the_placement_is_created_again() {
        registerRelay("relay-a");
        PlacementRecord first = registerAgent("agent-1", "relay-a");
        assertThat(backend.deregisterAgent("agent-1", "relay-a")).isInstanceOf(AgentDeregistration.Removed.class);

        PlacementRecord again = registerAgent("agent-1", "relay-a");

        assertThat(again.epoch()).as("a fencing token is never reused").isGreaterThan(first.epoch());
    }

    @Test
    public void agent_epochs_of_a_new_instance_on_empty_storage_start_above_every_epoch_seen_before() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        long highest = 0;
        for (int i = 0; i < 6; i++) {
            highest = Math.max(highest, registerAgent("agent-1", i % 2 == 0 ? "relay-a" : "relay-b").epoch());
        }

        // A restart onto lost or new storage: the instance goes, a little time passes, a new one
        // starts on storage that holds nothing. A relay may still hold a fence from before.
        closeInstance(backend);
        letTimePass(Duration.ofMillis(30));
        backend = instanceOnEmptyStorage();
        registerRelay("relay-a");
        PlacementRecord first = registerAgent("agent-1", "relay-a");
        PlacementRecord second = registerAgent("agent-2", "relay-a");

        assertThat(first.epoch()).as("first epoch of a new instance on empty storage, 30 ms after the previous instance handed out "
                + "epoch %d; a fence from before must never match (seed the counter from the clock in microseconds)", highest)
                .isGreaterThan(highest);
        assertThat(second.epoch()).as("next epoch of the new instance").isGreaterThan(first.epoch());
    }

    @Test
    public void agent_heartbeat_renews_a_visible_placement() throws InterruptedException {
        registerRelay("relay-a");
        PlacementRecord placed = registerAgent("agent-1", "relay-a");
        letTimePass(Duration.ofMillis(30)); // let the clock move, so a renewal is visible

        long before = now();
        AgentHeartbeat heartbeat = backend.heartbeatAgent("agent-1", Fence.NONE, LONG_TTL);
        long after = now();

        assertThat(heartbeat).isInstanceOf(AgentHeartbeat.Renewed.class);
        long expiresAt = ((AgentHeartbeat.Renewed) heartbeat).expiresAtMs();
        assertExpiry(expiresAt, before, after, LONG_TTL);
        assertThat(expiresAt).isGreaterThan(placed.expiresAtMs());
        PlacementRecord read = backend.getPlacement("agent-1").orElseThrow().placement();
        assertThat(read.epoch()).isEqualTo(placed.epoch());
        assertTimeBetween(read.lastHeartbeatMs(), before, after, "last heartbeat");
    }

    @Test
    public void agent_heartbeat_of_an_unknown_agent_is_not_found() {
        registerRelay("relay-a");
        assertThat(backend.heartbeatAgent("agent-x", Fence.NONE, LONG_TTL)).isInstanceOf(AgentHeartbeat.NotFound.class);
        assertThat(backend.heartbeatAgent("agent-x", new Fence(Optional.of("relay-a"), 1), LONG_TTL))
                .isInstanceOf(AgentHeartbeat.NotFound.class);
    }

    @Test
    public void agent_heartbeat_with_a_fence_renews_only_the_matching_placement() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        PlacementRecord onA = registerAgent("agent-1", "relay-a");
        PlacementRecord onB = registerAgent("agent-1", "relay-b");

        AgentHeartbeat staleRelay = backend.heartbeatAgent("agent-1", new Fence(Optional.of("relay-a"), 0), LONG_TTL);
        AgentHeartbeat staleEpoch = backend.heartbeatAgent("agent-1", new Fence(Optional.empty(), onA.epoch()), LONG_TTL);
        AgentHeartbeat staleBoth = backend.heartbeatAgent("agent-1", new Fence(Optional.of("relay-a"), onA.epoch()), LONG_TTL);

        for (AgentHeartbeat refused : List.of(staleRelay, staleEpoch, staleBoth)) {
            assertThat(refused).isEqualTo(new AgentHeartbeat.Fenced("relay-b", onB.epoch()));
        }
        PlacementRecord untouched = backend.getPlacement("agent-1").orElseThrow().placement();
        assertThat(untouched.expiresAtMs()).as("a refused heartbeat does not renew").isEqualTo(onB.expiresAtMs());
        assertThat(untouched.lastHeartbeatMs()).isEqualTo(onB.lastHeartbeatMs());

        assertThat(backend.heartbeatAgent("agent-1", new Fence(Optional.of("relay-b"), onB.epoch()), LONG_TTL))
                .isInstanceOf(AgentHeartbeat.Renewed.class);
        assertThat(backend.heartbeatAgent("agent-1", new Fence(Optional.of("relay-b"), 0), LONG_TTL))
                .isInstanceOf(AgentHeartbeat.Renewed.class);
        assertThat(backend.heartbeatAgent("agent-1", new Fence(Optional.empty(), onB.epoch()), LONG_TTL))
                .isInstanceOf(AgentHeartbeat.Renewed.class);
    }

    @Test
    public void agent_batch_heartbeat_renews_the_relays_own_placements_and_reports_the_rest_lost() throws InterruptedException {
        registerRelay("relay-a");
        registerRelay("relay-b");
        PlacementRecord own1 = registerAgent("agent-1", "relay-a");
        registerAgent("agent-2", "relay-a");
        registerAgent("agent-3", "relay-b");
        registerAgent("agent-4", "relay-a");
        registerAgent("agent-4", "relay-b");
        letTimePass(Duration.ofMillis(30)); // let the clock move, so a renewal is visible

        long before = now();
        Optional<BatchRenewal> renewal =
                backend.heartbeatAgents("relay-a", List.of("agent-1", "agent-2", "agent-3", "agent-4", "agent-unknown"), LONG_TTL);
        long after = now();

        assertThat(renewal).isPresent();
        assertExpiry(renewal.get().expiresAtMs(), before, after, LONG_TTL);
        assertThat(renewal.get().lostAgentIds()).containsExactlyInAnyOrder("agent-3", "agent-4", "agent-unknown");
        PlacementRecord renewed = backend.getPlacement("agent-1").orElseThrow().placement();
        assertThat(renewed.expiresAtMs()).isGreaterThan(own1.expiresAtMs());
        assertThat(renewed.epoch()).isEqualTo(own1.epoch());
        assertThat(backend.getPlacement("agent-3").orElseThrow().placement().relayId()).as("not moved by a batch").isEqualTo("relay-b");

        assertThat(backend.heartbeatAgents("relay-a", List.of(), LONG_TTL)).isPresent();
        assertThat(backend.heartbeatAgents("no-such-relay", List.of("agent-1"), LONG_TTL)).isEmpty();
    }

    @Test
    public void agent_deregister_is_allowed_to_the_owning_relay_only() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        registerAgent("agent-1", "relay-a");

        assertThat(backend.deregisterAgent("agent-1", "relay-b")).isEqualTo(new AgentDeregistration.Fenced("relay-a"));
        assertThat(backend.getPlacement("agent-1")).as("left alone by the other relay").isPresent();

        assertThat(backend.deregisterAgent("agent-1", "relay-a")).isInstanceOf(AgentDeregistration.Removed.class);
        assertThat(backend.getPlacement("agent-1")).isEmpty();
        assertThat(allAgentIds(backend, Optional.empty(), 10)).isEmpty();
        assertThat(backend.heartbeatAgent("agent-1", Fence.NONE, LONG_TTL)).isInstanceOf(AgentHeartbeat.NotFound.class);
        assertThat(backend.deregisterAgent("agent-1", "relay-a")).isInstanceOf(AgentDeregistration.NotFound.class);
    }

    @Test
    public void agent_get_placements_returns_the_visible_ones_only() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        PlacementRecord one = registerAgent("agent-1", "relay-a");
        PlacementRecord two = registerAgent("agent-2", "relay-b");

        List<PlacementRecord> found = backend.getPlacements(List.of("agent-2", "agent-unknown", "agent-1"));

        assertThat(found).extracting(PlacementRecord::agentId, PlacementRecord::relayId, PlacementRecord::epoch)
                .containsExactlyInAnyOrder(
                        tuple("agent-1", "relay-a", one.epoch()),
                        tuple("agent-2", "relay-b", two.epoch()));
        assertThat(backend.getPlacements(List.of())).isEmpty();
    }

    @Test
    public void agent_list_holds_what_the_placements_say() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        PlacementRecord one = registerAgent("agent-1", "relay-b");
        registerAgent("agent-2", "relay-a");

        List<PlacementRecord> all = allPlacements(backend, Optional.empty(), 10);

        assertThat(all).extracting(PlacementRecord::agentId).containsExactly("agent-1", "agent-2");
        assertThat(all.get(0)).isEqualTo(backend.getPlacement("agent-1").orElseThrow().placement());
        assertThat(all.get(0).epoch()).isEqualTo(one.epoch());
        assertThat(allAgentIds(backend, Optional.of("relay-b"), 10)).containsExactly("agent-1");
        assertThat(allAgentIds(backend, Optional.of("no-such-relay"), 10)).isEmpty();
    }

    @Test
    public void relay_deregister_ends_its_placements_for_good() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        PlacementRecord first = registerAgent("agent-1", "relay-a");
        registerAgent("agent-2", "relay-a");
        registerAgent("agent-3", "relay-b");

        assertThat(backend.deregisterRelay("relay-a")).isTrue();

        assertThat(backend.getPlacement("agent-1")).isEmpty();
        assertThat(backend.getPlacements(List.of("agent-1", "agent-2", "agent-3"))).extracting(PlacementRecord::agentId)
                .containsExactly("agent-3");
        assertThat(allAgentIds(backend, Optional.empty(), 10)).containsExactly("agent-3");

        registerRelay("relay-a");
        assertThat(backend.getPlacement("agent-1")).as("not revived by the relay's return").isEmpty();
        assertThat(allAgentIds(backend, Optional.of("relay-a"), 10)).isEmpty();
        assertThat(liveRelay("relay-a").agentCount()).isZero();
        assertThat(backend.heartbeatAgents("relay-a", List.of("agent-1", "agent-2"), LONG_TTL).orElseThrow().lostAgentIds())
                .containsExactlyInAnyOrder("agent-1", "agent-2");
        assertThat(registerAgent("agent-1", "relay-a").epoch()).isGreaterThan(first.epoch());
    }

    // ---------------------------------------------------------------- TTL

    @Test
    public void ttl_short_ttl_of_the_suite_is_supported_by_the_backend() {
        assertThat(backend.ttlSupport().minimumTtl()).as("backend minimum TTL; override shortTtl()")
                .isLessThanOrEqualTo(shortTtl());
    }

    @Test
    public void ttl_relay_is_live_until_its_expiry_and_absent_from_every_read_after() {
        registerRelay("relay-keep");
        long before = now();
        long expiresAt = backend.registerRelay(relay("relay-a"), shortTtl());
        assertExpiry(expiresAt, before, now(), shortTtl());
        assertVisibleUntilExpiry(expiresAt, () -> backend.getRelay("relay-a").isPresent());

        awaitExpiry(expiresAt, shortTtl(), "relay-a", () -> backend.getRelay("relay-a").isEmpty());

        assertThat(now()).as("not gone before its expiry").isGreaterThanOrEqualTo(expiresAt - effectiveClockTolerance().toMillis());
        assertThat(allRelayIds(backend, Map.of(), 10)).containsExactly("relay-keep");
        assertThat(backend.heartbeatRelay("relay-a", LONG_TTL)).isEmpty();
        assertThat(backend.registerAgent("agent-1", "relay-a", LONG_TTL)).isEmpty();
        assertThat(backend.deregisterRelay("relay-a")).isFalse();
    }

    @Test
    public void ttl_relay_heartbeats_keep_it_live() {
        long registering = now();
        backend.registerRelay(relay("relay-a"), shortTtl());

        keepRenewing(registering, () -> backend.heartbeatRelay("relay-a", shortTtl()).isPresent(),
                () -> backend.getRelay("relay-a").isPresent());

        awaitExpiry(shortTtl(), "relay-a once its heartbeats stopped", () -> backend.getRelay("relay-a").isEmpty());
    }

    @Test
    public void ttl_agent_is_visible_until_its_expiry_and_absent_from_every_read_after() {
        registerRelay("relay-a");
        registerAgent("agent-keep", "relay-a");
        long before = now();
        PlacementRecord placed = backend.registerAgent("agent-1", "relay-a", shortTtl()).orElseThrow();
        assertExpiry(placed.expiresAtMs(), before, now(), shortTtl());
        assertVisibleUntilExpiry(placed.expiresAtMs(), () -> backend.getPlacement("agent-1").isPresent());

        awaitExpiry(placed.expiresAtMs(), shortTtl(), "placement of agent-1", () -> backend.getPlacement("agent-1").isEmpty());

        assertThat(now()).as("not gone before its expiry").isGreaterThanOrEqualTo(placed.expiresAtMs() - effectiveClockTolerance().toMillis());
        assertThat(backend.getPlacements(List.of("agent-1", "agent-keep"))).extracting(PlacementRecord::agentId)
                .containsExactly("agent-keep");
        assertThat(allAgentIds(backend, Optional.empty(), 10)).containsExactly("agent-keep");
        assertThat(allAgentIds(backend, Optional.of("relay-a"), 10)).containsExactly("agent-keep");
        assertThat(liveRelay("relay-a").agentCount()).isEqualTo(1);
        assertThat(backend.heartbeatAgent("agent-1", Fence.NONE, LONG_TTL)).isInstanceOf(AgentHeartbeat.NotFound.class);
        assertThat(backend.heartbeatAgents("relay-a", List.of("agent-1"), LONG_TTL).orElseThrow().lostAgentIds())
                .containsExactly("agent-1");
        assertThat(backend.deregisterAgent("agent-1", "relay-a")).isInstanceOf(AgentDeregistration.NotFound.class);
        assertThat(registerAgent("agent-1", "relay-a").epoch()).as("created again").isGreaterThan(placed.epoch());
    }

    @Test
    public void ttl_agent_heartbeats_single_and_batched_keep_it_visible() {
        registerRelay("relay-a");
        long registering = now();
        backend.registerAgent("agent-1", "relay-a", shortTtl()).orElseThrow();
        AtomicBoolean batched = new AtomicBoolean();

        keepRenewing(registering, () -> {
            if (batched.getAndSet(!batched.get())) {
                return backend.heartbeatAgents("relay-a", List.of("agent-1"), shortTtl()).orElseThrow().lostAgentIds().isEmpty();
            }
            return backend.heartbeatAgent("agent-1", Fence.NONE, shortTtl()) instanceof AgentHeartbeat.Renewed;
        }, () -> backend.getPlacement("agent-1").isPresent());

        awaitExpiry(shortTtl(), "placement of agent-1 once its heartbeats stopped", () -> backend.getPlacement("agent-1").isEmpty());
    }

    @Test
    public void ttl_relay_expiry_ends_its_placements() {
        long relayExpiresAt = backend.registerRelay(relay("relay-a"), shortTtl());
        registerRelay("relay-b");
        PlacementRecord placed = registerAgent("agent-1", "relay-a");
        registerAgent("agent-2", "relay-b");

        awaitExpiry(relayExpiresAt, shortTtl(), "placement of agent-1 on expired relay-a", () -> backend.getPlacement("agent-1").isEmpty());

        assertThat(allAgentIds(backend, Optional.empty(), 10)).as("placements of live relays only").containsExactly("agent-2");
        assertThat(backend.heartbeatAgent("agent-1", Fence.NONE, LONG_TTL)).isInstanceOf(AgentHeartbeat.NotFound.class);
        registerRelay("relay-a");
        assertThat(backend.getPlacement("agent-1")).as("not revived by a new incarnation of its relay").isEmpty();
        assertThat(allAgentIds(backend, Optional.of("relay-a"), 10)).isEmpty();
        assertThat(liveRelay("relay-a").agentCount()).isZero();
        assertThat(registerAgent("agent-1", "relay-a").epoch()).isGreaterThan(placed.epoch());
    }

    /**
     * Keeps calling {@code renew} for 2.5 short TTLs, a quarter TTL apart, and asserts the entry
     * stays visible; rounds where this process stalled too long to judge are not counted.
     * {@code sinceMs} is the time before the call that created the entry.
     */
    private void keepRenewing(long sinceMs, Callable<Boolean> renew, Callable<Boolean> visible) {
        long ttl = shortTtl().toMillis();
        if (onManualClock()) {
            // Each renewal comes 1 ms before the previous one's expiry; the entry must stay
            // visible for 4 TTLs, up to the last millisecond of each renewal.
            for (int round = 1; round <= 4; round++) {
                letTimePass(Duration.ofMillis(ttl - 1));
                assertThat(callCheck(visible)).as("visible 1 ms before the expiry of renewal %d", round - 1).isTrue();
                assertThat(callCheck(renew)).as("renewal %d, %d ms after the previous one (TTL %d ms)", round, ttl - 1, ttl).isTrue();
                assertThat(callCheck(visible)).as("visible right after renewal %d", round).isTrue();
            }
            return;
        }
        // A call takes effect at some moment between its start and its end, so the entry is
        // certainly live for a call that ENDS less than a TTL (minus the clock tolerance) after
        // the previous renewal STARTED; only such calls are judged.
        long judgeable = ttl - clockTolerance().toMillis();
        long end = now() + ttl * 5 / 2;
        long lastRenewal = sinceMs;
        int judged = 0;
        while (now() < end) {
            pause(Duration.ofMillis(ttl / 4));
            long start = now();
            boolean renewed = callCheck(renew);
            long renewedBy = now();
            if (renewedBy - lastRenewal >= judgeable) {
                if (!renewed) {
                    return; // this process or the storage stalled past the TTL: the entry may rightly be gone
                }
                lastRenewal = start;
                continue;
            }
            assertThat(renewed).as("renewal that ended %d ms after the previous one started (TTL %d ms)", renewedBy - lastRenewal, ttl)
                    .isTrue();
            boolean seen = callCheck(visible);
            if (now() - start < judgeable) {
                assertThat(seen).as("visible right after a renewal").isTrue();
            }
            judged++;
            lastRenewal = start;
        }
        // A process that stalled past the TTL again and again cannot judge renewals on the real
        // clock; that is the machine's state, not the backend's, so the rule is skipped, not failed.
        assumeTrue(judged >= 3, "this process stalled too often to judge renewals on the real clock (" + judged + " judged)");
    }

    /** Asserts {@code visible} holds on reads that end clearly before {@code expiresAtMs}. */
    private void assertVisibleUntilExpiry(long expiresAtMs, Callable<Boolean> visible) {
        if (onManualClock()) {
            assertThat(callCheck(visible)).as("visible when just created").isTrue();
            stepClockTo(expiresAtMs - 1);
            assertThat(callCheck(visible)).as("visible 1 ms before its expiry").isTrue();
            return;
        }
        long lastJudgeable = expiresAtMs - clockTolerance().toMillis() - 50;
        int judged = 0;
        while (now() < lastJudgeable) {
            boolean seen = callCheck(visible);
            long readBy = now(); // the read took effect before this: judged only when that is clearly before the expiry
            if (readBy < lastJudgeable) {
                assertThat(seen).as("visible in a read that ended %d ms before its expiry", expiresAtMs - readBy).isTrue();
                judged++;
            }
            pause(Duration.ofMillis(50));
        }
        assumeTrue(judged > 0, "this process stalled past the expiry before any read could be judged on the real clock");
    }

    // ---------------------------------------------------------------- paging

    @Test
    public void paging_a_pass_returns_every_entry_once_in_order_whatever_the_page_size() {
        List<String> relays = List.of("relay-a", "relay-b", "relay-c");
        relays.forEach(this::registerRelay);
        TreeSet<String> expected = new TreeSet<>();
        Map<String, TreeSet<String>> expectedByRelay = new HashMap<>();
        for (int i = 0; i < 23; i++) {
            String agentId = String.format("agent-%03d", (i * 7) % 23);
            String relayId = relays.get(i % relays.size());
            registerAgent(agentId, relayId);
            expected.add(agentId);
            expectedByRelay.computeIfAbsent(relayId, r -> new TreeSet<>()).add(agentId);
        }
        for (int pageSize : new int[] {1, 2, 5, 22, 23, 24, 1000}) {
            assertThat(allAgentIds(backend, Optional.empty(), pageSize)).as("page size %d", pageSize).containsExactlyElementsOf(expected);
            for (String relayId : relays) {
                assertThat(allAgentIds(backend, Optional.of(relayId), pageSize)).as("relay %s, page size %d", relayId, pageSize)
                        .containsExactlyElementsOf(expectedByRelay.get(relayId));
            }
            assertThat(allRelayIds(backend, Map.of(), pageSize)).containsExactlyElementsOf(relays);
        }
        Page<PlacementRecord> exact = backend.listAgents(Optional.empty(), PageRequest.first(23));
        assertThat(exact.items()).hasSize(23);
        assertThat(exact.hasMore()).as("a page that ends the list says so").isFalse();
        Page<PlacementRecord> partial = backend.listAgents(Optional.empty(), PageRequest.first(22));
        assertThat(partial.hasMore()).isTrue();
    }

    @Test
    public void paging_while_entries_change_never_repeats_an_entry_in_one_pass() throws Exception {
        registerRelay("relay-a");
        registerRelay("relay-b");
        Set<String> stable = new TreeSet<>();
        for (int i = 0; i < 40; i++) {
            String agentId = String.format("agent-%03d-stable", i);
            registerAgent(agentId, i % 2 == 0 ? "relay-a" : "relay-b");
            stable.add(agentId);
        }

        // Deterministic part: between any two pages, entries are created before and after the
        // cursor, moved and removed, so a backend that pages by offset or includes the cursor
        // repeats an entry on every run, not just on an unlucky interleaving.
        java.util.Random choices = new java.util.Random(13);
        for (int pass = 0; pass < 3; pass++) {
            List<String> seen = new ArrayList<>();
            String after = "";
            for (int pages = 0; ; pages++) {
                assertThat(pages).as("pages of pass %d (a pass that never ends repeats entries)", pass).isLessThan(1000);
                Page<PlacementRecord> page = backend.listAgents(Optional.empty(), new PageRequest(after, 7));
                page.items().forEach(item -> seen.add(item.agentId()));
                if (!page.hasMore()) {
                    break;
                }
                after = page.items().get(page.items().size() - 1).agentId();
                churn(choices, after);
            }
            assertThat(seen).as("pass %d with writes between its pages: every id once, in order, every unchanged entry", pass)
                    .doesNotHaveDuplicates().isSorted().containsAll(stable);
        }

        // Concurrent part: a writer changes entries while passes run; each pass waits, after its
        // first page, for a write made since the pass started, so the passes and the writes overlap
        // on every run.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger writesSoFar = new AtomicInteger();
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> churn = writer.submit(() -> {
                java.util.Random random = new java.util.Random(17);
                while (!stop.get()) {
                    churn(random, "agent-020");
                    writesSoFar.incrementAndGet();
                }
                return writesSoFar.get();
            });
            for (int pass = 0; pass < 4; pass++) {
                int writesBefore = writesSoFar.get();
                Runnable overlapWithAWrite = () -> BoundedWait.until("the writer thread wrote during the pass", Duration.ofSeconds(30),
                        Duration.ofMillis(1), () -> writesSoFar.get() > writesBefore || churn.isDone());
                assertThat(walkWaitingOnce(Optional.empty(), 7, overlapWithAWrite))
                        .as("pass %d over all agents while another thread writes: every id once, in order, every unchanged entry", pass)
                        .doesNotHaveDuplicates().isSorted().containsAll(stable);
                assertThat(churn.isDone()).as("the writer thread is still running (else its failure follows)").isFalse();
                int writesBeforeA = writesSoFar.get();
                Runnable overlapOnA = () -> BoundedWait.until("the writer thread wrote during the pass over relay-a", Duration.ofSeconds(30),
                        Duration.ofMillis(1), () -> writesSoFar.get() > writesBeforeA || churn.isDone());
                assertThat(walkWaitingOnce(Optional.of("relay-a"), 3, overlapOnA))
                        .as("pass %d over relay-a while another thread writes: every id once, in order", pass)
                        .doesNotHaveDuplicates().isSorted();
            }
            stop.set(true);
            assertThat(churn.get(30, TimeUnit.SECONDS)).as("writes made during the passes").isPositive();
        } finally {
            stop.set(true);
            writer.shutdownNow();
        }
    }

    /**
     * One write of the churn: a registration, move or removal of one of 40 agents spread over the
     * whole list (before and after any cursor), or of one sorting right after {@code near}.
     */
    private void churn(java.util.Random random, String near) {
        String agentId = random.nextBoolean()
                ? String.format("agent-%03d-churn", random.nextInt(40))
                : near + "-churn-" + random.nextInt(4);
        String relayId = random.nextBoolean() ? "relay-a" : "relay-b";
        if (random.nextInt(3) > 0) {
            backend.registerAgent(agentId, relayId, LONG_TTL);
        } else {
            backend.deregisterAgent(agentId, relayId);
        }
    }

    /** A pass over the agent list that runs {@code betweenPages} once, after its first page. */
    private List<String> walkWaitingOnce(Optional<String> relayId, int pageSize, Runnable betweenPages) {
        List<String> seen = new ArrayList<>();
        String after = "";
        for (int pages = 0; pages < 1000; pages++) {
            Page<PlacementRecord> page = backend.listAgents(relayId, new PageRequest(after, pageSize));
            page.items().forEach(item -> seen.add(item.agentId()));
            if (!page.hasMore()) {
                return seen;
            }
            if (pages == 0) {
                betweenPages.run();
            }
            after = page.items().get(page.items().size() - 1).agentId();
        }
        throw new AssertionError("a pass over the agent list did not end after 1000 pages: it repeats entries");
    }

    // ---------------------------------------------------------------- batches of single calls

    @Test
    public void batch_heartbeat_answers_each_item_as_a_single_call_would() throws InterruptedException {
        registerRelay("relay-a");
        registerRelay("relay-b");
        PlacementRecord one = registerAgent("agent-1", "relay-a");
        registerAgent("agent-2", "relay-a");
        PlacementRecord moved = registerAgent("agent-2", "relay-b");
        List<AgentHeartbeatRequest> requests = List.of(
                new AgentHeartbeatRequest("agent-1", new Fence(Optional.of("relay-a"), one.epoch())),
                new AgentHeartbeatRequest("agent-2", new Fence(Optional.of("relay-a"), 0)),
                new AgentHeartbeatRequest("agent-unknown", Fence.NONE),
                new AgentHeartbeatRequest("agent-2", Fence.NONE));
        letTimePass(Duration.ofMillis(30)); // let the clock move, so a renewal is visible

        long before = now();
        List<AgentHeartbeat> batched = backend.heartbeatAgentBatch(requests, LONG_TTL);
        long between = now();
        List<AgentHeartbeat> single = requests.stream().map(r -> backend.heartbeatAgent(r.agentId(), r.fence(), LONG_TTL)).toList();
        long after = now();

        assertThat(batched).hasSize(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            AgentHeartbeat b = batched.get(i);
            AgentHeartbeat s = single.get(i);
            assertThat(b.getClass()).as("outcome of item %d, %s", i, requests.get(i)).isEqualTo(s.getClass());
            if (b instanceof AgentHeartbeat.Renewed renewed) {
                assertExpiry(renewed.expiresAtMs(), before, between, LONG_TTL);
                assertExpiry(((AgentHeartbeat.Renewed) s).expiresAtMs(), between, after, LONG_TTL);
            } else {
                assertThat(b).as("item %d", i).isEqualTo(s);
            }
        }
        assertThat(batched.get(1)).isEqualTo(new AgentHeartbeat.Fenced("relay-b", moved.epoch()));
        assertThat(backend.heartbeatAgentBatch(List.of(), LONG_TTL)).isEmpty();
    }

    @Test
    public void batch_heartbeat_mixes_live_expired_moved_and_unknown_agents_in_one_batch() throws InterruptedException {
        registerRelay("relay-a");
        registerRelay("relay-b");
        registerRelay("relay-gone");
        PlacementRecord live = registerAgent("agent-live", "relay-a");
        long expiredAt = backend.registerAgent("agent-expired", "relay-a", shortTtl()).orElseThrow().expiresAtMs();
        registerAgent("agent-moved", "relay-a");
        PlacementRecord moved = registerAgent("agent-moved", "relay-b");
        registerAgent("agent-on-gone-relay", "relay-gone");
        assertThat(backend.deregisterRelay("relay-gone")).isTrue();
        awaitExpiry(expiredAt, shortTtl(), "placement of agent-expired", () -> backend.getPlacement("agent-expired").isEmpty());

        long before = now();
        List<AgentHeartbeat> outcomes = backend.heartbeatAgentBatch(List.of(
                new AgentHeartbeatRequest("agent-expired", Fence.NONE),
                new AgentHeartbeatRequest("agent-live", new Fence(Optional.of("relay-a"), live.epoch())),
                new AgentHeartbeatRequest("agent-moved", new Fence(Optional.of("relay-a"), 0)),
                new AgentHeartbeatRequest("agent-unknown", Fence.NONE),
                new AgentHeartbeatRequest("agent-on-gone-relay", Fence.NONE)), LONG_TTL);
        long after = now();

        assertThat(outcomes).hasSize(5);
        assertThat(outcomes.get(0)).as("expired").isInstanceOf(AgentHeartbeat.NotFound.class);
        assertThat(outcomes.get(1)).as("live").isInstanceOf(AgentHeartbeat.Renewed.class);
        assertExpiry(((AgentHeartbeat.Renewed) outcomes.get(1)).expiresAtMs(), before, after, LONG_TTL);
        assertThat(outcomes.get(2)).as("moved").isEqualTo(new AgentHeartbeat.Fenced("relay-b", moved.epoch()));
        assertThat(outcomes.get(3)).as("unknown").isInstanceOf(AgentHeartbeat.NotFound.class);
        assertThat(outcomes.get(4)).as("on an ended relay").isInstanceOf(AgentHeartbeat.NotFound.class);
        assertThat(backend.getPlacement("agent-expired")).as("an expired placement stays ended").isEmpty();
        assertThat(backend.getPlacement("agent-on-gone-relay")).isEmpty();
        assertThat(backend.getPlacement("agent-moved").orElseThrow().placement())
                .as("a fenced item is left alone").isEqualTo(moved);
    }

    @Test
    public void batch_heartbeat_applies_each_items_own_fence() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        PlacementRecord oldOne = registerAgent("agent-1", "relay-a");
        PlacementRecord one = registerAgent("agent-1", "relay-b");
        PlacementRecord two = registerAgent("agent-2", "relay-a");
        PlacementRecord three = registerAgent("agent-3", "relay-b");

        List<AgentHeartbeat> outcomes = backend.heartbeatAgentBatch(List.of(
                new AgentHeartbeatRequest("agent-1", new Fence(Optional.empty(), oldOne.epoch())),
                new AgentHeartbeatRequest("agent-2", new Fence(Optional.of("relay-a"), two.epoch())),
                new AgentHeartbeatRequest("agent-3", new Fence(Optional.of("relay-a"), three.epoch())),
                new AgentHeartbeatRequest("agent-2", new Fence(Optional.of("relay-a"), two.epoch() + 1000))), LONG_TTL);

        assertThat(outcomes.get(0)).isEqualTo(new AgentHeartbeat.Fenced("relay-b", one.epoch()));
        assertThat(outcomes.get(1)).isInstanceOf(AgentHeartbeat.Renewed.class);
        assertThat(outcomes.get(2)).isEqualTo(new AgentHeartbeat.Fenced("relay-b", three.epoch()));
        assertThat(outcomes.get(3)).isEqualTo(new AgentHeartbeat.Fenced("relay-a", two.epoch()));
        assertThat(backend.getPlacement("agent-1").orElseThrow().placement()).as("fenced: not renewed").isEqualTo(one);
        assertThat(backend.getPlacement("agent-3").orElseThrow().placement()).as("fenced: not renewed").isEqualTo(three);
        assertThat(backend.getPlacement("agent-2").orElseThrow().placement().expiresAtMs())
                .isEqualTo(((AgentHeartbeat.Renewed) outcomes.get(1)).expiresAtMs());
    }

    @Test
    public void batch_duplicates_are_answered_once_per_occurrence() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        registerAgent("agent-1", "relay-a");
        PlacementRecord one = registerAgent("agent-1", "relay-b");

        List<AgentHeartbeat> outcomes = backend.heartbeatAgentBatch(List.of(
                new AgentHeartbeatRequest("agent-1", Fence.NONE),
                new AgentHeartbeatRequest("agent-1", new Fence(Optional.of("relay-a"), 0)),
                new AgentHeartbeatRequest("agent-1", new Fence(Optional.of("relay-b"), one.epoch())),
                new AgentHeartbeatRequest("agent-x", Fence.NONE),
                new AgentHeartbeatRequest("agent-1", Fence.NONE),
                new AgentHeartbeatRequest("agent-x", Fence.NONE)), LONG_TTL);

        assertThat(outcomes).hasSize(6);
        assertThat(outcomes.get(0)).isInstanceOf(AgentHeartbeat.Renewed.class);
        assertThat(outcomes.get(1)).isEqualTo(new AgentHeartbeat.Fenced("relay-b", one.epoch()));
        assertThat(outcomes.get(2)).isInstanceOf(AgentHeartbeat.Renewed.class);
        assertThat(outcomes.get(3)).isInstanceOf(AgentHeartbeat.NotFound.class);
        assertThat(outcomes.get(4)).isInstanceOf(AgentHeartbeat.Renewed.class);
        assertThat(outcomes.get(5)).isInstanceOf(AgentHeartbeat.NotFound.class);
        assertThat(backend.getPlacement("agent-1").orElseThrow().placement().epoch()).isEqualTo(one.epoch());

        List<Optional<RelayPlacement>> found = backend.getPlacementBatch(List.of("agent-1", "agent-x", "agent-1"));
        assertThat(found).hasSize(3);
        assertThat(found.get(0)).isPresent().isEqualTo(found.get(2));
        assertThat(found.get(1)).isEmpty();
    }

    @Test
    public void batch_lookup_answers_each_id_as_get_placement_would() throws InterruptedException {
        backend.registerRelay(new RelayRegistration("relay-a", "10.1.1.1", 7001, Map.of("zone", "a")), LONG_TTL);
        registerRelay("relay-b");
        registerRelay("relay-gone");
        registerAgent("agent-1", "relay-a");
        registerAgent("agent-2", "relay-a");
        registerAgent("agent-2", "relay-b");
        registerAgent("agent-3", "relay-gone");
        backend.deregisterRelay("relay-gone");
        long expiredAt = backend.registerAgent("agent-expired", "relay-b", shortTtl()).orElseThrow().expiresAtMs();
        awaitExpiry(expiredAt, shortTtl(), "placement of agent-expired", () -> backend.getPlacement("agent-expired").isEmpty());
        List<String> ids = List.of("agent-unknown", "agent-2", "agent-expired", "agent-1", "agent-3");

        List<Optional<RelayPlacement>> batched = backend.getPlacementBatch(ids);
        List<Optional<RelayPlacement>> single = ids.stream().map(backend::getPlacement).toList();

        assertThat(batched).isEqualTo(single);
        assertThat(batched.get(1)).map(found -> found.relay().relayId()).contains("relay-b");
        assertThat(batched.get(3)).map(found -> found.relay().labels()).contains(Map.of("zone", "a"));
        assertThat(batched.get(3)).map(found -> found.relay().agentCount()).contains(1);
        assertThat(backend.getPlacementBatch(List.of())).isEmpty();
    }

    @Test
    public void batch_registration_answers_each_item_as_a_single_call_would() throws InterruptedException {
        registerRelay("relay-a");
        registerRelay("relay-b");
        registerRelay("relay-gone");
        backend.deregisterRelay("relay-gone");
        long relayExpiresAt = backend.registerRelay(relay("relay-expired"), shortTtl());
        PlacementRecord staying = registerAgent("agent-stay", "relay-a");
        PlacementRecord moving = registerAgent("agent-move", "relay-a");
        awaitExpiry(relayExpiresAt, shortTtl(), "relay relay-expired", () -> backend.getRelay("relay-expired").isEmpty());
        letTimePass(Duration.ofMillis(30)); // let the clock move, so a renewal is visible
        List<AgentRegistrationRequest> requests = List.of(
                new AgentRegistrationRequest("agent-new", "relay-a"),
                new AgentRegistrationRequest("agent-stay", "relay-a"),
                new AgentRegistrationRequest("agent-move", "relay-b"),
                new AgentRegistrationRequest("agent-unknown-relay", "no-such-relay"),
                new AgentRegistrationRequest("agent-ended-relay", "relay-gone"),
                new AgentRegistrationRequest("agent-expired-relay", "relay-expired"));

        long before = now();
        List<Optional<PlacementRecord>> batched = backend.registerAgentBatch(requests, LONG_TTL);
        long between = now();
        List<Optional<PlacementRecord>> single = requests.stream()
                .map(r -> backend.registerAgent(r.agentId(), r.relayId(), LONG_TTL)).toList();

        assertThat(batched).hasSize(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            int index = i;
            AgentRegistrationRequest request = requests.get(i);
            assertThat(batched.get(i).isPresent()).as("placed: item %d, %s, as the single call after it", i, request)
                    .isEqualTo(single.get(i).isPresent());
            batched.get(i).ifPresent(placed -> {
                assertThat(placed.agentId()).isEqualTo(request.agentId());
                assertThat(placed.relayId()).isEqualTo(request.relayId());
                assertThat(placed.epoch()).as("epoch of %s: the single call after it renews and keeps it", request)
                        .isPositive().isEqualTo(single.get(index).orElseThrow().epoch());
                assertTimeBetween(placed.lastHeartbeatMs(), before, between, "last heartbeat of " + request.agentId());
                assertExpiry(placed.expiresAtMs(), before, between, LONG_TTL);
            });
        }
        assertThat(batched.get(0)).as("created").isPresent();
        assertThat(batched.get(1)).as("same relay: renewed").map(PlacementRecord::epoch).contains(staying.epoch());
        assertThat(batched.get(1).orElseThrow().expiresAtMs()).isGreaterThan(staying.expiresAtMs());
        assertThat(batched.get(2)).as("moved").map(PlacementRecord::epoch).hasValueSatisfying(epoch ->
                assertThat(epoch).isGreaterThan(moving.epoch()));
        assertThat(batched.subList(3, 6)).as("relays unknown, deregistered, expired").containsOnly(Optional.empty());
        assertThat(backend.getPlacementBatch(List.of("agent-unknown-relay", "agent-ended-relay", "agent-expired-relay")))
                .containsOnly(Optional.empty());
        assertThat(allAgentIds(backend, Optional.of("relay-a"), 10)).containsExactly("agent-new", "agent-stay");
        assertThat(allAgentIds(backend, Optional.of("relay-b"), 10)).containsExactly("agent-move");
        assertThat(backend.registerAgentBatch(List.of(), LONG_TTL)).isEmpty();
    }

    @Test
    public void batch_registration_of_one_agent_twice_answers_the_later_item_as_seeing_the_earlier() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        registerRelay("relay-gone");
        backend.deregisterRelay("relay-gone");

        List<Optional<PlacementRecord>> outcomes = backend.registerAgentBatch(List.of(
                new AgentRegistrationRequest("agent-1", "relay-a"),
                new AgentRegistrationRequest("agent-1", "relay-a"),
                new AgentRegistrationRequest("agent-2", "relay-gone"),
                new AgentRegistrationRequest("agent-1", "relay-b"),
                new AgentRegistrationRequest("agent-2", "relay-a"),
                new AgentRegistrationRequest("agent-1", "relay-b"),
                new AgentRegistrationRequest("agent-1", "relay-a")), LONG_TTL);

        assertThat(outcomes).hasSize(7);
        long created = outcomes.get(0).orElseThrow(() -> new AssertionError("item 0: created on live relay-a")).epoch();
        assertThat(outcomes.get(1)).as("same relay after the first: renewed").map(PlacementRecord::epoch).contains(created);
        assertThat(outcomes.get(2)).as("deregistered relay").isEmpty();
        long movedToB = outcomes.get(3).orElseThrow(() -> new AssertionError("item 3: moved to live relay-b")).epoch();
        assertThat(movedToB).as("moved after the first two items").isGreaterThan(created);
        assertThat(outcomes.get(4)).as("agent-2 on a live relay after a refused item").map(PlacementRecord::relayId).contains("relay-a");
        assertThat(outcomes.get(5)).as("same relay after the move: renewed").map(PlacementRecord::epoch).contains(movedToB);
        long backOnA = outcomes.get(6).orElseThrow(() -> new AssertionError("item 6: moved back to relay-a")).epoch();
        assertThat(backOnA).as("moved back after the move").isGreaterThan(movedToB);
        PlacementRecord stored = backend.getPlacement("agent-1").orElseThrow().placement();
        assertThat(stored.relayId()).isEqualTo("relay-a");
        assertThat(stored.epoch()).as("the last item's placement is the one stored").isEqualTo(backOnA);
        assertThat(allAgentIds(backend, Optional.of("relay-b"), 10)).isEmpty();
        assertThat(allAgentIds(backend, Optional.of("relay-a"), 10)).containsExactly("agent-1", "agent-2");
    }

    @Test
    public void batch_registration_mixes_creations_renewals_and_moves_across_relays_in_one_batch() {
        List<String> relayIds = List.of("relay-a", "relay-b", "relay-c");
        relayIds.forEach(this::registerRelay);
        int agents = 90;
        Map<String, PlacementRecord> before = new HashMap<>();
        for (int i = 0; i < agents; i += 3) {
            // Every third agent already placed: on its target relay (renewal) or the next one (move).
            String agentId = String.format("agent-%03d", i);
            String on = i % 2 == 0 ? relayIds.get(i % 3) : relayIds.get((i + 1) % 3);
            before.put(agentId, registerAgent(agentId, on));
        }
        List<AgentRegistrationRequest> requests = new ArrayList<>();
        for (int i = 0; i < agents; i++) {
            requests.add(new AgentRegistrationRequest(String.format("agent-%03d", i), relayIds.get(i % 3)));
        }

        List<Optional<PlacementRecord>> outcomes = backend.registerAgentBatch(requests, LONG_TTL);

        assertThat(outcomes).hasSize(agents);
        Map<String, List<String>> expectedOnRelay = new HashMap<>();
        for (int i = 0; i < agents; i++) {
            AgentRegistrationRequest request = requests.get(i);
            PlacementRecord placed = outcomes.get(i).orElseThrow(() -> new AssertionError("item " + request + ": relay is live"));
            assertThat(placed.agentId()).as("item %d", i).isEqualTo(request.agentId());
            assertThat(placed.relayId()).as("item %d", i).isEqualTo(request.relayId());
            PlacementRecord earlier = before.get(request.agentId());
            if (earlier != null && earlier.relayId().equals(request.relayId())) {
                assertThat(placed.epoch()).as("renewal of %s keeps its epoch", request.agentId()).isEqualTo(earlier.epoch());
            } else if (earlier != null) {
                assertThat(placed.epoch()).as("move of %s raises its epoch", request.agentId()).isGreaterThan(earlier.epoch());
            } else {
                assertThat(placed.epoch()).as("creation of %s", request.agentId()).isPositive();
            }
            assertThat(backend.getPlacement(request.agentId())).as("stored placement of %s", request.agentId())
                    .map(RelayPlacement::placement).contains(placed);
            expectedOnRelay.computeIfAbsent(request.relayId(), relayId -> new ArrayList<>()).add(request.agentId());
        }
        for (String relayId : relayIds) {
            assertThat(allAgentIds(backend, Optional.of(relayId), 200)).as("agents listed on %s", relayId)
                    .containsExactlyElementsOf(expectedOnRelay.get(relayId));
            assertThat(liveRelay(relayId).agentCount()).as("agent count of %s", relayId).isEqualTo(agents / 3);
        }
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    public void concurrency_racing_moves_of_one_agent_leave_one_placement_with_increasing_epochs() throws Exception {
        assertRacingMovesKeepOnePlacement(List.of(backend));
    }

    @Test
    public void concurrency_parallel_registrations_of_distinct_agents_all_land() throws Exception {
        List<String> relays = List.of("relay-a", "relay-b", "relay-c");
        relays.forEach(this::registerRelay);
        int threads = concurrencyThreads();
        int rounds = concurrencyRoundsPerThread();

        runConcurrently(threads, thread -> {
            for (int i = 0; i < rounds; i++) {
                registerAgent(String.format("agent-t%02d-%04d", thread, i), relays.get((thread + i) % relays.size()));
            }
            return null;
        });

        assertThat(allAgentIds(backend, Optional.empty(), 97)).hasSize(threads * rounds).doesNotHaveDuplicates();
        int counted = 0;
        for (String relayId : relays) {
            counted += liveRelay(relayId).agentCount();
        }
        assertThat(counted).isEqualTo(threads * rounds);
    }

    @Test
    public void concurrency_deregistering_a_relay_while_agents_register_on_it_leaves_no_orphans() throws Exception {
        registerRelay("relay-a");
        registerRelay("relay-b");
        int rounds = concurrencyRoundsPerThread() * 2;
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> registrations = pool.submit(() -> {
                start.await();
                for (int i = 0; i < rounds; i++) {
                    backend.registerAgent(String.format("agent-%04d", i), "relay-a", LONG_TTL);
                    backend.registerAgent(String.format("agent-%04d-b", i), "relay-b", LONG_TTL);
                }
                return null;
            });
            Future<Boolean> deregistration = pool.submit(() -> {
                start.await();
                BoundedWait.until("the registering thread placed a quarter of its agents on relay-a", Duration.ofSeconds(30),
                        Duration.ofMillis(1), () -> backend.getRelay("relay-a").map(RelayRecord::agentCount).orElse(0) >= rounds / 4);
                return backend.deregisterRelay("relay-a");
            });
            assertThat(deregistration.get(60, TimeUnit.SECONDS)).isTrue();
            registrations.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }

        registerRelay("relay-a");
        assertThat(allAgentIds(backend, Optional.of("relay-a"), 50)).as("placements of the ended incarnation").isEmpty();
        assertThat(allPlacements(backend, Optional.empty(), 50)).extracting(PlacementRecord::relayId).containsOnly("relay-b");
        assertThat(liveRelay("relay-a").agentCount()).isZero();
        assertThat(liveRelay("relay-b").agentCount()).isEqualTo(rounds);
    }

    // ---------------------------------------------------------------- shared storage

    @Test
    public void shared_writes_through_one_instance_are_read_through_another() {
        RegistryBackend peer = peerInstance();
        backend.registerRelay(new RelayRegistration("relay-a", "10.2.2.2", 7000, Map.of("zone", "z")), LONG_TTL);
        PlacementRecord placed = registerAgent("agent-1", "relay-a");

        assertThat(peer.getRelay("relay-a")).map(RelayRecord::address).contains("10.2.2.2");
        assertThat(peer.getPlacement("agent-1")).map(p -> p.placement().epoch()).contains(placed.epoch());
        assertThat(allAgentIds(peer, Optional.of("relay-a"), 10)).containsExactly("agent-1");
        assertThat(allRelayIds(peer, Map.of("zone", "z"), 10)).containsExactly("relay-a");

        assertThat(peer.heartbeatAgent("agent-1", new Fence(Optional.of("relay-a"), placed.epoch()), LONG_TTL))
                .isInstanceOf(AgentHeartbeat.Renewed.class);
        PlacementRecord moved = registerAgent(peer, "agent-1", "relay-a");
        assertThat(moved.epoch()).as("same relay through another instance").isEqualTo(placed.epoch());
        assertThat(peer.deregisterAgent("agent-1", "relay-a")).isInstanceOf(AgentDeregistration.Removed.class);
        assertThat(backend.getPlacement("agent-1")).isEmpty();
        assertThat(peer.deregisterRelay("relay-a")).isTrue();
        assertThat(backend.getRelay("relay-a")).isEmpty();
    }

    @Test
    public void shared_racing_moves_through_two_instances_leave_one_placement_with_increasing_epochs() throws Exception {
        assertRacingMovesKeepOnePlacement(List.of(backend, peerInstance()));
    }

    @Test
    public void shared_concurrent_batches_through_two_instances_answer_every_item() throws Exception {
        List<RegistryBackend> instances = List.of(backend, peerInstance());
        registerRelay("relay-a");
        registerRelay("relay-b");
        int agents = 120;
        Map<String, PlacementRecord> placed = new HashMap<>();
        for (int i = 0; i < agents; i++) {
            String agentId = String.format("agent-%03d", i);
            placed.put(agentId, registerAgent(agentId, i % 2 == 0 ? "relay-a" : "relay-b"));
        }
        int threads = Math.max(4, concurrencyThreads());
        int rounds = Math.max(5, concurrencyRoundsPerThread() / 4);

        List<Integer> checked = runConcurrently(threads, thread -> {
            RegistryBackend on = instances.get(thread % 2);
            int count = 0;
            for (int round = 0; round < rounds; round++) {
                List<AgentHeartbeatRequest> requests = new ArrayList<>();
                List<AgentHeartbeat> expected = new ArrayList<>();
                for (int i = 0; i < 60; i++) {
                    int n = ThreadLocalRandom.current().nextInt(agents + 10);
                    String agentId = String.format("agent-%03d", n);
                    PlacementRecord placement = placed.get(agentId);
                    if (placement == null) {
                        requests.add(new AgentHeartbeatRequest(agentId, Fence.NONE));
                        expected.add(new AgentHeartbeat.NotFound());
                    } else if (ThreadLocalRandom.current().nextBoolean()) {
                        requests.add(new AgentHeartbeatRequest(agentId, new Fence(Optional.of(placement.relayId()), placement.epoch())));
                        expected.add(null); // renewed
                    } else {
                        String other = placement.relayId().equals("relay-a") ? "relay-b" : "relay-a";
                        requests.add(new AgentHeartbeatRequest(agentId, new Fence(Optional.of(other), 0)));
                        expected.add(new AgentHeartbeat.Fenced(placement.relayId(), placement.epoch()));
                    }
                }
                List<AgentHeartbeat> outcomes = on.heartbeatAgentBatch(requests, LONG_TTL);
                assertThat(outcomes).hasSize(requests.size());
                for (int i = 0; i < requests.size(); i++) {
                    if (expected.get(i) == null) {
                        assertThat(outcomes.get(i)).as("%s", requests.get(i)).isInstanceOf(AgentHeartbeat.Renewed.class);
                    } else {
                        assertThat(outcomes.get(i)).as("%s", requests.get(i)).isEqualTo(expected.get(i));
                    }
                    count++;
                }
                List<String> ids = requests.stream().map(AgentHeartbeatRequest::agentId).toList();
                List<Optional<RelayPlacement>> found = on.getPlacementBatch(ids);
                for (int i = 0; i < ids.size(); i++) {
                    PlacementRecord placement = placed.get(ids.get(i));
                    assertThat(found.get(i).map(p -> p.placement().epoch())).as("lookup of %s", ids.get(i))
                            .isEqualTo(Optional.ofNullable(placement).map(PlacementRecord::epoch));
                }
            }
            return count;
        });

        assertThat(checked.stream().mapToInt(Integer::intValue).sum()).isEqualTo(threads * rounds * 60);
        assertThat(allAgentIds(backend, Optional.empty(), 50)).hasSize(agents);
    }

    // ---------------------------------------------------------------- provider

    @Test
    public void shared_racing_registration_batches_through_two_instances_leave_one_placement_per_agent_with_increasing_epochs()
            throws Exception {
        List<RegistryBackend> instances = List.of(backend, peerInstance());
        List<String> relays = List.of("relay-a", "relay-b", "relay-c");
        relays.forEach(this::registerRelay);
        int agents = 20;
        int threads = Math.max(4, concurrencyThreads());
        int rounds = Math.max(5, concurrencyRoundsPerThread() / 4);

        List<List<PlacementRecord>> observed = runConcurrently(threads, thread -> {
            RegistryBackend on = instances.get(thread % 2);
            List<PlacementRecord> mine = new ArrayList<>();
            Map<String, Long> lastEpoch = new HashMap<>();
            for (int round = 0; round < rounds; round++) {
                List<AgentRegistrationRequest> requests = new ArrayList<>();
                for (int i = 0; i < agents; i++) {
                    // Threads and rounds name different relays, so moves race whatever the interleaving.
                    requests.add(new AgentRegistrationRequest(String.format("agent-%02d", i), relays.get((thread + round + i) % relays.size())));
                }
                List<Optional<PlacementRecord>> outcomes = on.registerAgentBatch(requests, LONG_TTL);
                assertThat(outcomes).hasSize(agents);
                for (int i = 0; i < agents; i++) {
                    AgentRegistrationRequest request = requests.get(i);
                    PlacementRecord placed = outcomes.get(i).orElseThrow(() -> new AssertionError(request + ": relay is live"));
                    assertThat(placed.relayId()).as("%s", request).isEqualTo(request.relayId());
                    Long earlier = lastEpoch.put(request.agentId(), placed.epoch());
                    assertThat(placed.epoch()).as("epoch of %s after this thread's earlier registration returned %s", request, earlier)
                            .isGreaterThanOrEqualTo(earlier == null ? 1 : earlier);
                    mine.add(placed);
                }
            }
            return mine;
        });

        Map<String, PlacementRecord> highest = new HashMap<>();
        Map<String, String> relayOfEpoch = new HashMap<>();
        for (PlacementRecord placed : observed.stream().flatMap(List::stream).toList()) {
            String key = placed.agentId() + "@" + placed.epoch();
            String other = relayOfEpoch.putIfAbsent(key, placed.relayId());
            assertThat(other == null ? placed.relayId() : other).as("relay of %s's epoch %d", placed.agentId(), placed.epoch())
                    .isEqualTo(placed.relayId());
            highest.merge(placed.agentId(), placed, (a, b) -> a.epoch() >= b.epoch() ? a : b);
        }
        int listed = 0;
        for (String relayId : relays) {
            listed += allAgentIds(backend, Optional.of(relayId), 50).size();
        }
        assertThat(listed).as("relay lists holding the agents").isEqualTo(agents);
        for (PlacementRecord last : highest.values()) {
            PlacementRecord stored = backend.getPlacement(last.agentId()).orElseThrow().placement();
            assertThat(stored.epoch()).as("stored epoch of %s: the highest answered", last.agentId()).isEqualTo(last.epoch());
            assertThat(stored.relayId()).as("stored relay of %s", last.agentId()).isEqualTo(last.relayId());
        }
    }

    @Test
    public void provider_name_is_lower_case_and_unique_among_the_loaded_backends() {
        RegistryBackendProvider provider = providerUnderTest();
        String name = provider.name();

        assertThat(name).as("provider name, which operators type in --backend NAME and --NAME-KEY flags: lower-case letters, "
                + "digits and '-', starting with a letter").isNotNull().matches("[a-z][a-z0-9-]*");
        List<String> clashing = ServiceLoader.load(RegistryBackendProvider.class, provider.getClass().getClassLoader()).stream()
                .filter(found -> !found.type().equals(provider.getClass()))
                .map(ServiceLoader.Provider::get)
                .filter(other -> name.equals(other.name()))
                .map(other -> other.getClass().getName())
                .toList();
        assertThat(clashing).as("other providers on the class path named '%s': the server refuses to choose", name).isEmpty();
    }

    @Test
    public void provider_is_listed_in_the_services_file() {
        RegistryBackendProvider provider = providerUnderTest();
        List<String> listed = ServiceLoader.load(RegistryBackendProvider.class, provider.getClass().getClassLoader()).stream()
                .map(found -> found.type().getName())
                .toList();

        assertThat(listed).as("providers listed in META-INF/services/%s on the test class path: the server finds backends only "
                + "through that file", RegistryBackendProvider.class.getName()).contains(provider.getClass().getName());
    }

    @Test
    public void provider_creates_a_backend_from_valid_options_and_refuses_an_unknown_option_naming_it() {
        RegistryBackendProvider provider = providerUnderTest();
        BackendOptions valid = providerOptions(namespace);
        RegistryBackend created = tracked(provider.create(valid, context()));
        created.probe();

        Map<String, String> withUnknown = new HashMap<>(valid.asMap());
        withUnknown.put("tck-no-such-option", "1");
        Throwable refused = catchThrowable(() -> tracked(provider.create(BackendOptions.of(provider.name(), withUnknown), context())));

        assertThat(refused).as("create with --backend-option tck-no-such-option=1: a typo must stop start-up with an "
                + "IllegalArgumentException naming the option, not be ignored").isInstanceOf(IllegalArgumentException.class);
        assertThat(refused.getMessage()).as("message shown to the operator").contains("tck-no-such-option");
    }

    @Test
    public void provider_create_succeeds_while_the_storage_is_down_and_the_backend_works_once_it_is_back() {
        RegistryBackendProvider provider = providerUnderTest();
        StorageControl storage = storageControl().orElse(null);
        assumeTrue(storage != null, "the storage of this backend cannot be stopped by the test");
        RegistryBackend created;
        storage.stop();
        try {
            long start = System.nanoTime();
            try {
                created = tracked(provider.create(providerOptions(namespace), context()));
            } catch (RuntimeException e) {
                throw new AssertionError("create failed while the storage was down; a server must start and recover when the "
                        + "storage returns, so create must not need the storage: " + e, e);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time create took while the storage was down")
                    .isLessThanOrEqualTo(outageFailFastBound());
            assertThatThrownBy(created::probe).as("probe of the new backend while the storage is down")
                    .isInstanceOf(BackendUnavailableException.class);
        } finally {
            storage.start();
        }

        BoundedWait.untilWorks("the backend created while the storage was down works once the storage is back (bound: "
                + "outageRecoveryBound)", outageRecoveryBound(), Duration.ofMillis(100), () -> {
                    created.probe();
                    created.registerRelay(relay("relay-a"), LONG_TTL);
                });
        assertThat(created.getRelay("relay-a")).as("relay registered through the backend created while the storage was down")
                .isPresent();
    }

    private RegistryBackendProvider providerUnderTest() {
        Optional<RegistryBackendProvider> provider = provider();
        assumeTrue(provider.isPresent(), "this test checks a wrapper with no provider of its own");
        return provider.get();
    }

    // ---------------------------------------------------------------- health and outages

    @Test
    public void outage_probe_answers_while_the_storage_is_up() {
        backend.probe();
        registerRelay("relay-a");
        backend.probe();
    }

    @Test
    public void outage_calls_fail_fast_while_the_storage_is_down_and_the_same_instance_recovers() {
        StorageControl storage = storageControl().orElse(null);
        assumeTrue(storage != null, "the storage of this backend cannot be stopped by the test");
        registerRelay("relay-a");
        registerAgent("agent-1", "relay-a");

        storage.stop();
        try {
            List<Runnable> calls = List.of(
                    () -> backend.probe(),
                    () -> backend.registerRelay(relay("relay-b"), LONG_TTL),
                    () -> backend.heartbeatRelay("relay-a", LONG_TTL),
                    () -> backend.getRelay("relay-a"),
                    () -> backend.listRelays(Map.of(), PageRequest.first(10)),
                    () -> backend.registerAgent("agent-2", "relay-a", LONG_TTL),
                    () -> backend.heartbeatAgent("agent-1", Fence.NONE, LONG_TTL),
                    () -> backend.heartbeatAgents("relay-a", List.of("agent-1"), LONG_TTL),
                    () -> backend.getPlacement("agent-1"),
                    () -> backend.getPlacements(List.of("agent-1")),
                    () -> backend.listAgents(Optional.empty(), PageRequest.first(10)),
                    () -> backend.deregisterAgent("agent-1", "relay-a"),
                    () -> backend.deregisterRelay("relay-a"));
            for (Runnable call : calls) {
                long start = System.nanoTime();
                assertThatThrownBy(call::run).isInstanceOf(BackendUnavailableException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time to fail").isLessThanOrEqualTo(outageFailFastBound());
            }
        } finally {
            storage.start();
        }

        BoundedWait.untilWorks("the same instance works again once the storage is back (bound: outageRecoveryBound)",
                outageRecoveryBound(), Duration.ofMillis(100), () -> {
            backend.probe();
            backend.registerRelay(relay("relay-c"), LONG_TTL);
        });
        assertThat(liveRelay("relay-c").relayId()).isEqualTo("relay-c");
        assertThat(registerAgent("agent-3", "relay-c").relayId()).isEqualTo("relay-c");
    }

    // ---------------------------------------------------------------- shared rule bodies

    /** One registration as a thread saw it: what it returned and when it ran. */
    private record TimedPlacement(PlacementRecord placement, long startNanos, long endNanos) {}

    /**
     * Many threads move one agent between relays through {@code instances}. Afterwards exactly one
     * placement exists, each epoch names one relay, no call returned an epoch below one returned by
     * a call that had finished before it started (so every thread saw its epochs never go down),
     * and the final placement carries the highest epoch any call returned.
     */
    private void assertRacingMovesKeepOnePlacement(List<RegistryBackend> instances) throws Exception {
        List<String> relays = List.of("relay-a", "relay-b", "relay-c", "relay-d");
        relays.forEach(this::registerRelay);
        int threads = concurrencyThreads();
        int rounds = concurrencyRoundsPerThread();

        List<List<TimedPlacement>> observed = runConcurrently(threads, thread -> {
            RegistryBackend through = instances.get(thread % instances.size());
            List<TimedPlacement> mine = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                // Each call names another relay than this thread's previous one, so moves happen whatever the interleaving.
                String relayId = relays.get((thread + i) % relays.size());
                long start = System.nanoTime();
                PlacementRecord placement = registerAgent(through, "agent-contended", relayId);
                mine.add(new TimedPlacement(placement, start, System.nanoTime()));
            }
            return mine;
        });

        List<TimedPlacement> byEnd = observed.stream().flatMap(List::stream)
                .sorted(Comparator.comparingLong(TimedPlacement::endNanos)).toList();
        List<TimedPlacement> byStart = observed.stream().flatMap(List::stream)
                .sorted(Comparator.comparingLong(TimedPlacement::startNanos)).toList();
        int finished = 0;
        long highestFinished = 0;
        for (TimedPlacement call : byStart) {
            while (finished < byEnd.size() && byEnd.get(finished).endNanos() < call.startNanos()) {
                highestFinished = Math.max(highestFinished, byEnd.get(finished).placement().epoch());
                finished++;
            }
            assertThat(call.placement().epoch()).as("epoch of a registration that started after one returning %d had finished",
                    highestFinished).isGreaterThanOrEqualTo(highestFinished);
        }

        Map<Long, String> relayOfEpoch = new HashMap<>();
        PlacementRecord highest = null;
        for (List<TimedPlacement> mine : observed) {
            for (TimedPlacement call : mine) {
                PlacementRecord placement = call.placement();
                String other = relayOfEpoch.putIfAbsent(placement.epoch(), placement.relayId());
                assertThat(other == null ? placement.relayId() : other).as("relay of epoch %d", placement.epoch())
                        .isEqualTo(placement.relayId());
                if (highest == null || placement.epoch() > highest.epoch()) {
                    highest = placement;
                }
            }
        }
        assertThat(relayOfEpoch.size()).as("distinct placements created by the moves").isGreaterThan(1);
        PlacementRecord finalPlacement = backend.getPlacement("agent-contended").orElseThrow().placement();
        assertThat(finalPlacement.epoch()).isEqualTo(highest.epoch());
        assertThat(finalPlacement.relayId()).isEqualTo(highest.relayId());
        int listed = 0;
        for (String relayId : relays) {
            listed += allAgentIds(backend, Optional.of(relayId), 10).size();
        }
        assertThat(listed).as("relay lists holding the agent").isEqualTo(1);
        assertThat(allAgentIds(backend, Optional.empty(), 10)).containsExactly("agent-contended");
        int total = 0;
        for (String relayId : relays) {
            total += liveRelay(relayId).agentCount();
        }
        assertThat(total).as("agent counts over all relays").isEqualTo(1);
    }

    private interface ThreadBody<T> {
        T run(int thread) throws Exception;
    }

    private <T> List<T> runConcurrently(int threads, ThreadBody<T> body) throws Exception {
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    return body.run(thread);
                }));
            }
            List<T> results = new ArrayList<>();
            long deadline = System.nanoTime() + concurrencyBound().toNanos();
            for (Future<T> future : futures) {
                try {
                    results.add(future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                } catch (TimeoutException e) {
                    throw new AssertionError(threads + " threads of " + concurrencyRoundsPerThread() + " calls each did not finish within "
                            + concurrencyBound().toSeconds() + " s (concurrencyBound()): a call hangs, or the backend is too slow "
                            + "for concurrencyThreads() and concurrencyRoundsPerThread()", e);
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Paces a loop; never an assertion. */
    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

}
