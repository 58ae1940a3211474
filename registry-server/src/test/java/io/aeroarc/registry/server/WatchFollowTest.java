package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.AgentPlacement;
import io.aeroarc.registry.api.v1.ListAgentsRequest;
import io.aeroarc.registry.api.v1.ListAgentsResponse;
import io.aeroarc.registry.api.v1.RemovalReason;
import io.aeroarc.registry.api.v1.WatchAgentsRequest;
import io.aeroarc.registry.api.v1.WatchEventType;
import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.tck.ForwardingBackend;
import io.aeroarc.registry.tck.ManualClock;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The acceptance test of issue 14 on the server: a client follows 10,000 placements through
 * moves, expiries, a relay's end, a disconnect (resumed exactly) and a registry-server restart
 * (a resync snapshot), and ends with exactly what a full ListAgents gives. Time is a stepped
 * clock, so expiries happen when the test says.
 */
class WatchFollowTest {

    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int RELAYS = 50;
    private static final int AGENTS = 10_000;

    private final ManualClock clock = ManualClock.startingAt(1_700_000_000_000L);
    private final MemoryBackend memory = new MemoryBackend(clock, Duration.ofHours(1));
    private final ListingTestFeed feed = new ListingTestFeed(memory, clock, 50);
    /** The storage outlives each server, as shared storage does: stopping a server does not close it. */
    private final RegistryBackend storage = new ForwardingBackend(memory) {
        @Override
        public ChangeFeed changeFeed(BackendContext context) {
            return nativeFeed() ? memory.changeFeed(context) : feed;
        }

        @Override
        public void close() {}
    };

    /** Whether the memory backend's own feed serves the server, rather than the test's listing feed. */
    boolean nativeFeed() {
        return false;
    }

    /** Lets the listing feed see what was written so far (the native feed sees every write by itself). */
    private void syncFeed() {
        if (!nativeFeed()) {
            feed.poll();
        }
    }
    private RunningRegistry registry;

    @AfterEach
    void stop() throws InterruptedException {
        if (registry != null) {
            registry.close();
        }
        feed.stop();
        memory.close();
    }

    private RunningRegistry startServer() {
        return new RunningRegistry(storage, new RegistrySettings(TTL, TTL, 10_000), Duration.ofSeconds(5));
    }

    private static String relay(int i) {
        return "relay-" + i;
    }

    private static String agent(int i) {
        return String.format("agent-%05d", i);
    }

    private void place(int agent, int relay) {
        memory.registerAgent(agent(agent), relay(relay), TTL).orElseThrow();
    }

    /** agent id -> relay id, from a full paged ListAgents through the server. */
    private Map<String, String> listAgents() {
        Map<String, String> truth = new TreeMap<>();
        String token = "";
        do {
            ListAgentsResponse page = registry.registry().listAgents(ListAgentsRequest.newBuilder().setPageSize(5000).setPageToken(token).build());
            for (Agent agent : page.getAgentsList()) {
                truth.put(agent.getAgentId(), agent.getRelayId());
            }
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        return truth;
    }

    private Map<String, Long> storedEpochs() {
        Map<String, Long> epochs = new TreeMap<>();
        String after = "";
        List<PlacementRecord> page;
        do {
            page = memory.listAgents(Optional.empty(), new PageRequest(after, 5000)).items();
            page.forEach(p -> epochs.put(p.agentId(), p.epoch()));
            after = page.isEmpty() ? after : page.get(page.size() - 1).agentId();
        } while (!page.isEmpty());
        return epochs;
    }

    private static Map<String, String> relaysOf(Map<String, AgentPlacement> followed) {
        Map<String, String> relays = new TreeMap<>();
        followed.forEach((agent, placement) -> relays.put(agent, placement.getRelayId()));
        return relays;
    }

    private static Map<String, Long> epochsOf(Map<String, AgentPlacement> followed) {
        Map<String, Long> epochs = new TreeMap<>();
        followed.forEach((agent, placement) -> epochs.put(agent, placement.getEpoch()));
        return epochs;
    }

    private void awaitTruth(AgentFollower follower) {
        syncFeed();
        Map<String, String> truth = listAgents();
        await().atMost(WAIT).untilAsserted(() -> assertThat(relaysOf(follower.placements())).isEqualTo(truth));
        assertThat(epochsOf(follower.placements())).isEqualTo(storedEpochs());
    }

    @Test
    void a_client_follows_ten_thousand_placements_through_moves_expiries_a_disconnect_and_a_restart() {
        for (int r = 0; r < RELAYS; r++) {
            memory.registerRelay(new RelayRegistration(relay(r), "10.0.0." + r, 7000, Map.of("zone", r % 2 == 0 ? "a" : "b")), TTL);
        }
        for (int a = 0; a < AGENTS / 2; a++) {
            place(a, a % RELAYS);
        }
        registry = startServer();
        AgentFollower follower = new AgentFollower();
        follower.watch(registry.channel, WatchAgentsRequest.getDefaultInstance());
        await().atMost(WAIT).until(() -> follower.snapshots.get() == 1);
        assertThat(follower.placements()).hasSize(AGENTS / 2);
        assertThat(follower.resyncs.get()).as("a new watch's snapshot is not a resync").isZero();

        // The second half arrives as events.
        for (int a = AGENTS / 2; a < AGENTS; a++) {
            place(a, a % RELAYS);
        }
        awaitTruth(follower);
        assertThat(follower.placements()).hasSize(AGENTS);

        // 2,000 moves: each a MOVED with the relay it left and a new epoch.
        int eventsBefore = follower.events.get();
        for (int a = 0; a < 2000; a++) {
            place(a, (a + 1) % RELAYS);
        }
        awaitTruth(follower);
        List<io.aeroarc.registry.api.v1.PlacementEvent> moves = follower.received.subList(eventsBefore, follower.received.size());
        assertThat(moves).hasSize(2000).allSatisfy(e -> {
            assertThat(e.getType()).isEqualTo(WatchEventType.WATCH_EVENT_TYPE_MOVED);
            assertThat(e.getPreviousRelayId()).isNotEqualTo(e.getPlacement().getRelayId());
            assertThat(e.getResumeToken()).isNotEmpty();
        });

        // Renewals are not events: after renewing every placement, the next event is the next real change.
        clock.advance(Duration.ofSeconds(20));
        for (int r = 0; r < RELAYS; r++) {
            memory.heartbeatRelay(relay(r), TTL);
        }
        renewAgentsOnRelays(5, RELAYS);
        syncFeed();
        int afterRenewals = follower.events.get();
        memory.deregisterAgent(agent(9_999), relay(9_999 % RELAYS));
        awaitTruth(follower);
        assertThat(follower.received.subList(afterRenewals, follower.received.size())).singleElement().satisfies(e -> {
            assertThat(e.getType()).isEqualTo(WatchEventType.WATCH_EVENT_TYPE_REMOVED);
            assertThat(e.getReason()).isEqualTo(RemovalReason.REMOVAL_REASON_DEREGISTERED);
            assertThat(e.getPlacement().getAgentId()).isEqualTo(agent(9_999));
        });

        // Expiries: agents on relays 0-4 were not renewed; relays 45-49 will not be renewed again.
        clock.advance(Duration.ofSeconds(15));
        for (int r = 0; r < RELAYS - 5; r++) {
            memory.heartbeatRelay(relay(r), TTL);
        }
        renewAgentsOnRelays(5, RELAYS - 5); // a relay's HeartbeatAgents renews the relay too
        clock.advance(Duration.ofSeconds(20));
        int beforeExpiry = follower.received.size();
        awaitTruth(follower);
        List<io.aeroarc.registry.api.v1.PlacementEvent> ends = follower.received.subList(beforeExpiry, follower.received.size());
        assertThat(ends).extracting(io.aeroarc.registry.api.v1.PlacementEvent::getReason)
                .contains(RemovalReason.REMOVAL_REASON_EXPIRED, RemovalReason.REMOVAL_REASON_RELAY_GONE);
        assertThat(ends).allSatisfy(e -> assertThat(e.getType()).isEqualTo(WatchEventType.WATCH_EVENT_TYPE_REMOVED));
        assertThat(listAgents()).hasSizeBetween(AGENTS / 2, AGENTS - 1000);

        // A disconnect, changes meanwhile, and a resume with the last token: exactly the missed events, no snapshot.
        follower.disconnect();
        await().atMost(WAIT).until(() -> registry.server.watches().watchers() == 0);
        for (int a = 2000; a < 2500; a++) {
            place(a, (a + 7) % (RELAYS - 5));
        }
        syncFeed();
        follower.watch(registry.channel, WatchAgentsRequest.getDefaultInstance());
        awaitTruth(follower);
        assertThat(follower.snapshots.get()).as("resumed, not snapshotted").isEqualTo(1);

        // A registry-server restart: the stream ends UNAVAILABLE; the new server does not know the
        // token and answers with a resync snapshot.
        registry.server.stop();
        await().atMost(WAIT).untilAsserted(() -> assertThat(follower.ended.get()).isNotNull()
                .extracting(Status::getCode).isEqualTo(Status.Code.UNAVAILABLE));
        for (int a = 2500; a < 3000; a++) {
            place(a, (a + 3) % (RELAYS - 5));
        }
        memory.deregisterRelay(relay(10));
        registry = startServer();
        follower.watch(registry.channel, WatchAgentsRequest.getDefaultInstance());
        awaitTruth(follower);
        assertThat(follower.snapshots.get()).isEqualTo(2);
        assertThat(follower.resyncs.get()).isEqualTo(1);

        // And it keeps following on the new server.
        for (int a = 3000; a < 3100; a++) {
            place(a, 11 + a % 30); // relays that are still live (10 was deregistered)
        }
        awaitTruth(follower);
    }

    private void renewAgentsOnRelays(int fromRelay, int toRelay) {
        Map<String, List<String>> byRelay = new HashMap<>();
        for (PlacementRecord placement : memory.listAgents(Optional.empty(), new PageRequest("", AGENTS)).items()) {
            byRelay.computeIfAbsent(placement.relayId(), r -> new ArrayList<>()).add(placement.agentId());
        }
        for (int r = fromRelay; r < toRelay; r++) {
            List<String> agents = byRelay.getOrDefault(relay(r), List.of());
            if (!agents.isEmpty()) {
                memory.heartbeatAgents(relay(r), agents, TTL);
            }
        }
    }
}
