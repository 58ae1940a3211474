package io.aeroarc.registry.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.feed.RemovalReason;
import io.aeroarc.registry.tck.ManualClock;
import io.aeroarc.registry.testsupport.EtcdTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The etcd change feed on a real etcd: what it reports for each kind of write, that renewals and
 * lease deletes are not changes, expiry from the values within the bound, deregistration told
 * from expiry, resuming on another instance, and gaps.
 */
class EtcdChangeFeedTest {

    private static final Duration LONG_TTL = Duration.ofMinutes(5);
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static TestServer server;
    private static Client etcd;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private String namespace;

    @BeforeAll
    static void startEtcd() {
        server = EtcdTestServer.start();
        etcd = Client.builder().endpoints(server.backendOptions().get("endpoints")).build();
        try (RegistryBackend warmUp = backend(Clock.systemUTC(), "warm-up")) {
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                warmUp.probe();
                return true;
            });
        }
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void freshNamespace() {
        namespace = "feed-" + UUID.randomUUID();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void every_visible_change_once_in_order_and_renewals_are_not_changes() {
        RegistryBackend backend = open(Clock.systemUTC());
        Recorder recorder = subscribe(backend, Optional.empty());

        backend.registerRelay(relay("relay-a", "zone", "a"), LONG_TTL);
        backend.registerRelay(relay("relay-b", "zone", "b"), LONG_TTL);
        PlacementRecord placed = backend.registerAgent("agent-1", "relay-a", LONG_TTL).orElseThrow();
        for (int i = 0; i < 20; i++) {
            backend.heartbeatAgent("agent-1", Fence.NONE, LONG_TTL);
            backend.heartbeatRelay("relay-a", LONG_TTL);
        }
        backend.heartbeatAgents("relay-a", List.of("agent-1"), LONG_TTL);
        backend.registerAgent("agent-1", "relay-a", LONG_TTL); // same relay: a renewal
        backend.registerRelay(relay("relay-a", "zone", "a"), LONG_TTL); // same address and labels: a renewal
        backend.registerRelay(relay("relay-a", "zone", "c"), LONG_TTL);
        PlacementRecord moved = backend.registerAgent("agent-1", "relay-b", LONG_TTL).orElseThrow();
        backend.registerAgent("agent-2", "relay-b", LONG_TTL).orElseThrow();
        backend.deregisterAgent("agent-2", "relay-b");
        backend.deregisterRelay("relay-b");

        await().atMost(WAIT).until(() -> recorder.changes().size() >= 8);
        List<FleetChange> changes = recorder.changes();
        assertThat(changes).hasSize(8);
        assertThat(relayUpsert(changes.get(0)).relayId()).isEqualTo("relay-a");
        assertThat(relayUpsert(changes.get(1)).relayId()).isEqualTo("relay-b");
        assertThat(((FleetChange.PlacementUpserted) changes.get(2)).placement().epoch()).isEqualTo(placed.epoch());
        assertThat(relayUpsert(changes.get(3)).labels()).containsEntry("zone", "c");
        FleetChange.PlacementUpserted move = (FleetChange.PlacementUpserted) changes.get(4);
        assertThat(move.placement().relayId()).isEqualTo("relay-b");
        assertThat(move.placement().epoch()).isEqualTo(moved.epoch()).isGreaterThan(placed.epoch());
        assertThat(((FleetChange.PlacementUpserted) changes.get(5)).placement().agentId()).isEqualTo("agent-2");
        FleetChange.PlacementRemoved deregistered = (FleetChange.PlacementRemoved) changes.get(6);
        assertThat(deregistered.agentId()).isEqualTo("agent-2");
        assertThat(deregistered.reason()).isEqualTo(RemovalReason.DEREGISTERED);
        FleetChange.RelayRemoved relayGone = (FleetChange.RelayRemoved) changes.get(7);
        assertThat(relayGone.relayId()).isEqualTo("relay-b");
        assertThat(relayGone.reason()).isEqualTo(RemovalReason.DEREGISTERED);
        assertThat(changes).extracting(FleetChange::position).doesNotHaveDuplicates();
        assertThat(recorder.ending()).isNull();
    }

    @Test
    void expiry_is_reported_from_the_value_within_the_bound_and_the_lease_delete_is_no_second_report() {
        RegistryBackend backend = open(Clock.systemUTC());
        backend.registerRelay(relay("relay-a", "zone", "a"), LONG_TTL);
        Recorder recorder = subscribe(backend, Optional.empty());
        long relayExpiry = backend.registerRelay(relay("relay-short", "zone", "a"), Duration.ofSeconds(1));
        PlacementRecord agent = backend.registerAgent("agent-1", "relay-a", Duration.ofSeconds(2)).orElseThrow();

        await().atMost(WAIT).until(() -> recorder.changes().size() >= 4);
        FleetChange.RelayRemoved relayExpired = (FleetChange.RelayRemoved) recorder.changes().get(2);
        assertThat(relayExpired.reason()).isEqualTo(RemovalReason.EXPIRED);
        assertThat(relayExpired.atMs()).isEqualTo(relayExpiry);
        FleetChange.PlacementRemoved agentExpired = (FleetChange.PlacementRemoved) recorder.changes().get(3);
        assertThat(agentExpired.reason()).isEqualTo(RemovalReason.EXPIRED);
        assertThat(agentExpired.atMs()).isEqualTo(agent.expiresAtMs());
        // The bound of the SPI, plus slack for a loaded shared machine.
        assertThat(recorder.receivedAtMs(2) - relayExpiry).isBetween(0L, ChangeFeed.EXPIRY_LAG_BOUND_MS + 500);
        assertThat(recorder.receivedAtMs(3) - agent.expiresAtMs()).isBetween(0L, ChangeFeed.EXPIRY_LAG_BOUND_MS + 500);

        // Once etcd's leases delete the keys (1-3 s later), nothing more is reported.
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> count("relays/relay-short") == 0 && count("agents/agent-1") == 0);
        backend.registerRelay(relay("relay-z", "zone", "z"), LONG_TTL); // a later change, to know the feed got past the deletes
        await().atMost(WAIT).until(() -> recorder.changes().size() >= 5);
        assertThat(recorder.changes()).hasSize(5);
        assertThat(relayUpsert(recorder.changes().get(4)).relayId()).isEqualTo("relay-z");
    }

    @Test
    void a_relay_ending_takes_its_placements_with_it_implied_and_a_new_incarnation_is_a_new_relay() {
        RegistryBackend backend = open(Clock.systemUTC());
        Recorder recorder = subscribe(backend, Optional.empty());
        long expiry = backend.registerRelay(relay("relay-a", "zone", "a"), Duration.ofSeconds(1));
        backend.registerAgent("agent-1", "relay-a", LONG_TTL).orElseThrow();
        await().atMost(WAIT).until(() -> recorder.changes().size() >= 3);
        assertThat(((FleetChange.RelayRemoved) recorder.changes().get(2)).atMs()).isEqualTo(expiry);

        backend.registerRelay(relay("relay-a", "zone", "a"), LONG_TTL);
        await().atMost(WAIT).until(() -> recorder.changes().size() >= 4);
        assertThat(relayUpsert(recorder.changes().get(3)).registeredAtMs()).isGreaterThanOrEqualTo(expiry);
        // The old placement names the ended incarnation: it stays out of the view.
        backend.registerRelay(relay("relay-z", "zone", "z"), LONG_TTL);
        await().atMost(WAIT).until(() -> recorder.changes().size() >= 5);
        assertThat(recorder.changes()).hasSize(5);
    }

    @Test
    void each_instance_reports_each_expiry_once() {
        RegistryBackend one = open(Clock.systemUTC());
        RegistryBackend two = open(Clock.systemUTC());
        one.registerRelay(relay("relay-a", "zone", "a"), LONG_TTL);
        Recorder first = subscribe(one, Optional.empty());
        Recorder second = subscribe(two, Optional.empty());
        List<String> agents = IntStream.range(0, 50).mapToObj(i -> "agent-" + i).toList();
        agents.forEach(agent -> one.registerAgent(agent, "relay-a", Duration.ofSeconds(2)).orElseThrow());
        // Renewed through the other instance, for a while, then left to expire.
        two.heartbeatAgents("relay-a", agents, Duration.ofSeconds(2));

        for (Recorder recorder : List.of(first, second)) {
            await().atMost(WAIT).until(() -> recorder.changes().size() >= 100);
        }
        one.registerRelay(relay("relay-z", "zone", "z"), LONG_TTL);
        for (Recorder recorder : List.of(first, second)) {
            await().atMost(WAIT).until(() -> recorder.changes().size() >= 101);
            List<FleetChange> changes = recorder.changes();
            assertThat(changes).hasSize(101);
            assertThat(changes.subList(50, 100)).allSatisfy(change -> assertThat(((FleetChange.PlacementRemoved) change).reason())
                    .isEqualTo(RemovalReason.EXPIRED));
            assertThat(changes.subList(50, 100)).extracting(change -> ((FleetChange.PlacementRemoved) change).agentId())
                    .containsExactlyInAnyOrderElementsOf(agents);
        }
    }

    @Test
    void another_instance_resumes_strictly_after_any_position_inside_a_revision_or_an_expiry() {
        RegistryBackend writer = open(Clock.systemUTC());
        Recorder full = subscribe(writer, Optional.empty());
        writer.registerRelay(relay("relay-a", "zone", "a"), LONG_TTL);
        List<String> agents = IntStream.range(0, 5).mapToObj(i -> "agent-" + i).toList();
        agents.forEach(agent -> writer.registerAgent(agent, "relay-a", LONG_TTL).orElseThrow());
        // One batch renewal gives all five the same expiry: their removals share one expiry step.
        writer.heartbeatAgents("relay-a", agents, Duration.ofSeconds(1));
        await().atMost(WAIT).until(() -> full.changes().size() >= 11);
        writer.registerRelay(relay("relay-a", "zone", "b"), LONG_TTL);
        writer.deregisterRelay("relay-a");
        await().atMost(WAIT).until(() -> full.changes().size() >= 13);
        List<FleetChange> all = full.changes();
        assertThat(all).hasSize(13);
        assertThat(all.subList(6, 11)).allSatisfy(change -> assertThat(change).isInstanceOf(FleetChange.PlacementRemoved.class));

        RegistryBackend other = open(Clock.systemUTC());
        for (int from : new int[] {0, 3, 6, 8, 10, 11}) {
            Recorder resumed = subscribe(other, Optional.of(all.get(from).position()));
            // The same changes of each entry in the same order; a resumed subscription replays etcd's
            // revisions before it reports time passing, so entries may interleave differently.
            await().atMost(WAIT).untilAsserted(() -> assertThat(perEntry(resumed.changes()))
                    .as("after change %d (%s), ended: %s", from, all.get(from).position(), resumed.ending())
                    .isEqualTo(perEntry(all.subList(from + 1, all.size()))));
            assertThat(resumed.ending()).isNull();
        }
    }

    @Test
    void resuming_far_behind_catches_up_through_watch_messages_larger_than_grpcs_default() throws Exception {
        RegistryBackend backend = open(Clock.systemUTC());
        Recorder recorder = subscribe(backend, Optional.empty());
        backend.registerRelay(relay("relay-a", "zone", "a"), LONG_TTL);
        await().atMost(WAIT).until(() -> recorder.changes().size() == 1);
        String before = recorder.changes().get(0).position();
        List<String> agents = IntStream.range(0, 500).mapToObj(i -> String.format("agent-%03d", i)).toList();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<?>> registrations = new ArrayList<>();
            for (String agent : agents) {
                registrations.add(pool.submit(() -> backend.registerAgent(agent, "relay-a", LONG_TTL).orElseThrow()));
            }
            for (java.util.concurrent.Future<?> registration : registrations) {
                registration.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        // About 6 MB of watch events (611 bytes per renewal), all within etcd's 1 000-revision batch for a watcher behind.
        for (int round = 0; round < 20; round++) {
            backend.heartbeatAgents("relay-a", agents, LONG_TTL).orElseThrow();
        }
        backend.registerRelay(relay("relay-z", "zone", "z"), LONG_TTL);

        Recorder resumed = subscribe(open(Clock.systemUTC()), Optional.of(before));
        await().atMost(WAIT).untilAsserted(() -> assertThat(resumed.changes()).as("ended: %s", resumed.ending()).hasSize(501));
        assertThat(relayUpsert(resumed.changes().get(500)).relayId()).isEqualTo("relay-z");
        assertThat(resumed.ending()).isNull();
    }

    @Test
    void a_renewal_committed_after_the_reported_expiry_makes_the_placement_visible_again() {
        RegistryBackend backend = open(Clock.systemUTC());
        backend.registerRelay(relay("relay-a", "zone", "a"), LONG_TTL);
        Recorder recorder = subscribe(backend, Optional.empty());
        PlacementRecord placed = backend.registerAgent("agent-1", "relay-a", Duration.ofSeconds(1)).orElseThrow();
        await().atMost(WAIT).until(() -> recorder.changes().size() >= 2);
        assertThat(((FleetChange.PlacementRemoved) recorder.changes().get(1)).reason()).isEqualTo(RemovalReason.EXPIRED);

        // A registry server whose renewal was decided before the expiry (its clock says so) and committed after the report.
        RegistryBackend late = open(ManualClock.startingAt(placed.expiresAtMs() - 10));
        assertThat(late.heartbeatAgent("agent-1", Fence.NONE, LONG_TTL)).isInstanceOf(io.aeroarc.registry.spi.AgentHeartbeat.Renewed.class);
        await().atMost(WAIT).until(() -> recorder.changes().size() >= 3);
        FleetChange.PlacementUpserted back = (FleetChange.PlacementUpserted) recorder.changes().get(2);
        assertThat(back.placement().epoch()).isEqualTo(placed.epoch());
        assertThat(backend.getPlacement("agent-1")).isPresent(); // as readers see it
    }

    @Test
    void a_position_etcd_compacted_away_or_unknown_is_a_gap_at_once() throws Exception {
        RegistryBackend backend = open(Clock.systemUTC());
        Recorder recorder = subscribe(backend, Optional.empty());
        backend.registerRelay(relay("relay-a", "zone", "a"), LONG_TTL);
        backend.registerRelay(relay("relay-b", "zone", "a"), LONG_TTL);
        await().atMost(WAIT).until(() -> recorder.changes().size() >= 2);
        String old = recorder.changes().get(0).position();

        Recorder garbage = subscribe(backend, Optional.of("redis:12-0"));
        await().atMost(WAIT).until(() -> garbage.ending() != null);
        assertThat(garbage.ending()).startsWith("gap");
        Recorder future = subscribe(backend, Optional.of("etcd:r:999999999:0:0"));
        await().atMost(WAIT).until(() -> future.ending() != null);
        assertThat(future.ending()).startsWith("gap");

        long now = etcd.getKVClient().get(ByteSequence.from("x", StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS).getHeader().getRevision();
        etcd.getKVClient().compact(now).get(5, TimeUnit.SECONDS);
        Recorder compacted = subscribe(backend, Optional.of(old));
        await().atMost(WAIT).until(() -> compacted.ending() != null);
        assertThat(compacted.ending()).startsWith("gap");
        assertThat(compacted.changes()).isEmpty();
        assertThat(recorder.ending()).isNull();
    }

    // ---------------------------------------------------------------- helpers

    private RegistryBackend open(Clock clock) {
        RegistryBackend backend = backend(clock, namespace);
        resources.add(backend);
        return backend;
    }

    private Recorder subscribe(RegistryBackend backend, Optional<String> after) {
        ChangeFeed feed = backend.changeFeed(new BackendContext(Clock.systemUTC()));
        resources.add(feed);
        Recorder recorder = new Recorder();
        FeedSubscription subscription = feed.subscribe(after, recorder);
        resources.add(subscription);
        return recorder;
    }

    private static RegistryBackend backend(Clock clock, String namespace) {
        Map<String, String> options = new HashMap<>(server.backendOptions());
        options.put(EtcdSettings.NAMESPACE, "/aeroarc/registry-feed-test/" + namespace + "/");
        options.put(EtcdSettings.TIMEOUT, "10s");
        return new EtcdBackendProvider().create(BackendOptions.of(EtcdBackendProvider.NAME, options), new BackendContext(clock));
    }

    private long count(String key) throws Exception {
        return etcd.getKVClient().get(ByteSequence.from("/aeroarc/registry-feed-test/" + namespace + "/" + key, StandardCharsets.UTF_8),
                GetOption.builder().withCountOnly(true).build()).get(5, TimeUnit.SECONDS).getCount();
    }

    /** Each entry's changes in order, without their positions. */
    private static Map<String, List<String>> perEntry(List<FleetChange> changes) {
        Map<String, List<String>> byEntry = new HashMap<>();
        for (FleetChange change : changes) {
            String entry;
            String what;
            if (change instanceof FleetChange.RelayUpserted upserted) {
                entry = "relay " + upserted.relay().relayId();
                what = "upserted " + upserted.relay();
            } else if (change instanceof FleetChange.RelayRemoved removed) {
                entry = "relay " + removed.relayId();
                what = "removed " + removed.registeredAtMs() + " " + removed.reason() + " at " + removed.atMs();
            } else if (change instanceof FleetChange.PlacementUpserted upserted) {
                entry = "agent " + upserted.placement().agentId();
                what = "upserted " + upserted.placement();
            } else {
                FleetChange.PlacementRemoved removed = (FleetChange.PlacementRemoved) change;
                entry = "agent " + removed.agentId();
                what = "removed " + removed.relayId() + " " + removed.epoch() + " " + removed.reason() + " at " + removed.atMs();
            }
            byEntry.computeIfAbsent(entry, key -> new ArrayList<>()).add(what);
        }
        return byEntry;
    }

    private static RelayRegistration relay(String relayId, String label, String value) {
        return new RelayRegistration(relayId, "10.0.0.1", 7443, Map.of(label, value));
    }

    private static io.aeroarc.registry.spi.RelayRecord relayUpsert(FleetChange change) {
        return ((FleetChange.RelayUpserted) change).relay();
    }

    /** Keeps what a subscription reported, with the time each change arrived. */
    static final class Recorder implements FeedListener {

        private final List<FleetChange> changes = new CopyOnWriteArrayList<>();
        private final List<Long> receivedAtMs = new CopyOnWriteArrayList<>();
        private volatile String ending;

        @Override
        public void onChanges(List<FleetChange> batch) {
            long now = System.currentTimeMillis();
            for (FleetChange change : batch) {
                changes.add(change);
                receivedAtMs.add(now);
            }
        }

        @Override
        public void onGap(String why) {
            ending = "gap: " + why;
        }

        @Override
        public void onFailure(BackendUnavailableException cause) {
            ending = "failure: " + cause.getMessage();
        }

        List<FleetChange> changes() {
            return List.copyOf(changes);
        }

        long receivedAtMs(int index) {
            return receivedAtMs.get(index);
        }

        String ending() {
            return ending;
        }

    }
}
