package io.aeroarc.registry.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
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
import io.aeroarc.registry.spi.feed.FleetChange.PlacementRemoved;
import io.aeroarc.registry.spi.feed.FleetChange.PlacementUpserted;
import io.aeroarc.registry.spi.feed.FleetChange.RelayRemoved;
import io.aeroarc.registry.spi.feed.FleetChange.RelayUpserted;
import io.aeroarc.registry.spi.feed.PollingChangeFeed;
import io.aeroarc.registry.spi.feed.RemovalReason;
import io.aeroarc.registry.testsupport.RedisTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Redis change feed on a real Redis: what is recorded (and what is not), expiry reports with
 * no calls, one report per expiry with two registry servers on one Redis, resuming, gaps and
 * outages. The backend-tck's change-feed rules cover the contract; these cover the Redis parts.
 */
class RedisChangeFeedTest {

    private static final Duration LONG_TTL = Duration.ofMinutes(5);
    private static final BackendContext CONTEXT = new BackendContext(Clock.systemUTC());
    /** The contract's bound, plus slack for a loaded machine: await, never sleep, so it rarely costs. */
    private static final Duration EXPIRY_WAIT = Duration.ofMillis(ChangeFeed.EXPIRY_LAG_BOUND_MS).plusSeconds(4);

    private static TestServer server;

    /** A new client per test, because the outage test restarts the server under any older one. */
    private RawRedis raw;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String prefix;
    private RegistryBackend backend;
    private ChangeFeed feed;

    @BeforeAll
    static void startRedis() {
        server = RedisTestServer.start();
    }

    @AfterAll
    static void stopRedis() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void createBackend() {
        raw = new RawRedis(server);
        prefix = "aeroarc:registry:feed:" + UUID.randomUUID() + ":";
        backend = create(Map.of());
        feed = backend.changeFeed(CONTEXT);
        toClose.add(feed);
    }

    @AfterEach
    void closeAndDeleteKeys() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        try (RawRedis fresh = new RawRedis(server)) {
            fresh.deleteAll(prefix);
        }
        raw.close();
    }

    private RegistryBackend create(Map<String, String> extraOptions) {
        Map<String, String> options = new HashMap<>(server.backendOptions());
        options.put(RedisSettings.KEY_PREFIX, prefix);
        options.putAll(extraOptions);
        RegistryBackend created = new RedisBackendProvider().create(BackendOptions.of("redis", options), CONTEXT);
        toClose.add(created);
        return created;
    }

    private Recorder subscribe(Optional<String> after) {
        Recorder recorder = new Recorder();
        recorder.subscription = feed.subscribe(after, recorder);
        toClose.add(recorder.subscription);
        return recorder;
    }

    @Test
    void every_visible_change_is_recorded_once_in_order_and_renewals_are_not() {
        Recorder recorder = subscribe(Optional.empty());
        RelayRegistration relayA = new RelayRegistration("relay-a", "a.test", 7443, Map.of("zone", "1"));

        backend.registerRelay(relayA, LONG_TTL);
        backend.registerRelay(relayA, LONG_TTL); // same data: a renewal
        backend.heartbeatRelay("relay-a", LONG_TTL);
        backend.registerRelay(new RelayRegistration("relay-a", "a.test", 7443, Map.of("zone", "2")), LONG_TTL);
        backend.registerRelay(new RelayRegistration("relay-b", "b.test", 7444, Map.of()), LONG_TTL);
        PlacementRecord placed = backend.registerAgent("agent-1", "relay-a", LONG_TTL).orElseThrow();
        long streamBeforeRenewals = raw.client.xlen(prefix + "changes");
        assertThat(backend.heartbeatAgent("agent-1", Fence.NONE, LONG_TTL)).isInstanceOf(AgentHeartbeat.Renewed.class);
        assertThat(backend.heartbeatAgents("relay-a", List.of("agent-1"), LONG_TTL)).isPresent();
        backend.heartbeatAgentBatch(List.of(new AgentHeartbeatRequest("agent-1", Fence.NONE)), LONG_TTL);
        assertThat(backend.registerAgent("agent-1", "relay-a", LONG_TTL).orElseThrow().epoch()).isEqualTo(placed.epoch());
        assertThat(raw.client.xlen(prefix + "changes")).as("stream entries written by renewals").isEqualTo(streamBeforeRenewals);
        PlacementRecord moved = backend.registerAgent("agent-1", "relay-b", LONG_TTL).orElseThrow();
        backend.deregisterAgent("agent-1", "relay-b");
        backend.deregisterRelay("relay-a");

        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes.size() >= 7);
        List<FleetChange> changes = recorder.changes;
        assertThat(changes).hasSize(7);
        assertThat(changes.get(0)).isInstanceOfSatisfying(RelayUpserted.class,
                c -> assertThat(c.relay().labels()).containsExactly(Map.entry("zone", "1")));
        assertThat(changes.get(1)).isInstanceOfSatisfying(RelayUpserted.class, c -> {
            assertThat(c.relay().labels()).containsExactly(Map.entry("zone", "2"));
            assertThat(c.relay().registeredAtMs()).isEqualTo(((RelayUpserted) changes.get(0)).relay().registeredAtMs());
        });
        assertThat(changes.get(2)).isInstanceOfSatisfying(RelayUpserted.class, c -> {
            assertThat(c.relay().relayId()).isEqualTo("relay-b");
            assertThat(c.relay().address()).isEqualTo("b.test");
            assertThat(c.relay().grpcPort()).isEqualTo(7444);
        });
        assertThat(changes.get(3)).isInstanceOfSatisfying(PlacementUpserted.class,
                c -> assertThat(c.placement()).isEqualTo(placed));
        assertThat(changes.get(4)).isInstanceOfSatisfying(PlacementUpserted.class,
                c -> assertThat(c.placement()).isEqualTo(moved));
        assertThat(changes.get(5)).isInstanceOfSatisfying(PlacementRemoved.class, c -> {
            assertThat(c.agentId()).isEqualTo("agent-1");
            assertThat(c.relayId()).isEqualTo("relay-b");
            assertThat(c.epoch()).isEqualTo(moved.epoch());
            assertThat(c.reason()).isEqualTo(RemovalReason.DEREGISTERED);
        });
        assertThat(changes.get(6)).isInstanceOfSatisfying(RelayRemoved.class, c -> {
            assertThat(c.relayId()).isEqualTo("relay-a");
            assertThat(c.reason()).isEqualTo(RemovalReason.DEREGISTERED);
            assertThat(c.registeredAtMs()).isEqualTo(((RelayUpserted) changes.get(0)).relay().registeredAtMs());
        });
        assertThat(changes).extracting(FleetChange::position).doesNotHaveDuplicates();
        assertThat(recorder.ended()).isEmpty();
    }

    @Test
    void expiries_are_reported_with_no_calls_and_a_relay_end_implies_its_later_placements_ends() {
        Recorder recorder = subscribe(Optional.empty());
        backend.registerRelay(new RelayRegistration("relay-long", "l.test", 7443, Map.of()), LONG_TTL);
        backend.registerRelay(new RelayRegistration("relay-short", "s.test", 7443, Map.of()), Duration.ofMillis(600));
        PlacementRecord shortAgent = backend.registerAgent("agent-short", "relay-long", Duration.ofMillis(300)).orElseThrow();
        PlacementRecord beforeRelay = backend.registerAgent("agent-before-relay", "relay-short", Duration.ofMillis(200)).orElseThrow();
        backend.registerAgent("agent-outlives-relay", "relay-short", LONG_TTL).orElseThrow();

        await().atMost(EXPIRY_WAIT).until(() -> recorder.removals().size() >= 3);
        List<FleetChange> removals = recorder.removals();
        Map<String, FleetChange> byId = removals.stream().collect(Collectors.toMap(RedisChangeFeedTest::entryId, Function.identity()));
        assertThat(byId).containsOnlyKeys("agent-short", "agent-before-relay", "relay-short");
        assertThat(byId.get("agent-short")).isInstanceOfSatisfying(PlacementRemoved.class, c -> {
            assertThat(c.reason()).isEqualTo(RemovalReason.EXPIRED);
            assertThat(c.atMs()).isEqualTo(shortAgent.expiresAtMs());
            assertThat(c.epoch()).isEqualTo(shortAgent.epoch());
        });
        assertThat(byId.get("agent-before-relay")).isInstanceOfSatisfying(PlacementRemoved.class,
                c -> assertThat(c.atMs()).isEqualTo(beforeRelay.expiresAtMs()));
        assertThat(byId.get("relay-short")).isInstanceOfSatisfying(RelayRemoved.class,
                c -> assertThat(c.reason()).isEqualTo(RemovalReason.EXPIRED));
        assertThat(removals.indexOf(byId.get("agent-before-relay")))
                .as("the placement that expired first is reported before its relay")
                .isLessThan(removals.indexOf(byId.get("relay-short")));
        // Redis' clock and this JVM's are the same machine's: the lag is the reporter's
        long lag = recorder.receivedAtMs.get(byId.get("agent-short")) - shortAgent.expiresAtMs();
        System.out.println("expiry reported " + lag + " ms after the placement's expiry");
        assertThat(lag).as("ms from expiry to receipt, with the test's slack").isLessThan(EXPIRY_WAIT.toMillis());
    }

    @Test
    void a_registration_over_an_unreported_expiry_reports_the_expiry_first() throws Exception {
        // No expiry reporter runs: only the registrations can meet the expired entries.
        RedisBackend quiet = new RedisBackend(new ScriptRunner(RedisSettings.from(BackendOptions.of("redis",
                Map.of(RedisSettings.URL, server.backendOptions().get(RedisSettings.URL), RedisSettings.KEY_PREFIX, prefix)))),
                prefix, RedisSettings.DEFAULT_FEED_MAX_LEN, Duration.ZERO, Duration.ZERO);
        toClose.add(quiet);
        feed.close();
        backend.close(); // its reporter would race the registrations
        feed = quiet.changeFeed(CONTEXT);
        toClose.add(feed);
        quiet.registerRelay(new RelayRegistration("relay-a", "a.test", 7443, Map.of()), Duration.ofMillis(200));
        quiet.registerRelay(new RelayRegistration("relay-b", "b.test", 7443, Map.of()), LONG_TTL);
        PlacementRecord first = quiet.registerAgent("agent-1", "relay-b", Duration.ofMillis(100)).orElseThrow();
        Recorder recorder = subscribe(Optional.empty());
        long expiredBy = System.currentTimeMillis() + 300;
        await().until(() -> System.currentTimeMillis() > expiredBy);

        quiet.registerRelay(new RelayRegistration("relay-a", "a.test", 7443, Map.of()), LONG_TTL);
        PlacementRecord second = quiet.registerAgent("agent-1", "relay-b", LONG_TTL).orElseThrow();

        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes.size() >= 4);
        assertThat(recorder.changes).hasSize(4);
        assertThat(recorder.changes.get(0)).isInstanceOfSatisfying(RelayRemoved.class,
                c -> assertThat(c.reason()).isEqualTo(RemovalReason.EXPIRED));
        assertThat(recorder.changes.get(1)).isInstanceOfSatisfying(RelayUpserted.class,
                c -> assertThat(c.relay().expiresAtMs()).isGreaterThan(expiredBy));
        assertThat(recorder.changes.get(2)).isInstanceOfSatisfying(PlacementRemoved.class, c -> {
            assertThat(c.reason()).isEqualTo(RemovalReason.EXPIRED);
            assertThat(c.epoch()).isEqualTo(first.epoch());
        });
        assertThat(recorder.changes.get(3)).isInstanceOfSatisfying(PlacementUpserted.class,
                c -> assertThat(c.placement().epoch()).isEqualTo(second.epoch()).isGreaterThan(first.epoch()));
        assertThat(quiet.sweepExpired()).as("nothing left to report").isZero();
    }

    @Test
    void two_registry_servers_on_one_redis_report_each_expiry_once() throws Exception {
        RegistryBackend second = create(Map.of());
        ChangeFeed secondFeed = second.changeFeed(CONTEXT);
        toClose.add(secondFeed);
        Recorder first = subscribe(Optional.empty());
        Recorder other = new Recorder();
        toClose.add(secondFeed.subscribe(Optional.empty(), other));
        backend.registerRelay(new RelayRegistration("relay-a", "a.test", 7443, Map.of()), LONG_TTL);
        int agents = 200;
        for (int i = 0; i < agents; i++) {
            (i % 2 == 0 ? backend : second).registerAgent("agent-" + i, "relay-a", Duration.ofMillis(300 + i));
        }

        await().atMost(EXPIRY_WAIT).until(() -> first.removals().size() >= agents && other.removals().size() >= agents);
        // a duplicate written late would arrive within one more reporter interval or two
        long settledBy = System.currentTimeMillis() + 3 * RedisExpiryReporter.INTERVAL.toMillis();
        await().until(() -> System.currentTimeMillis() > settledBy);

        for (Recorder recorder : List.of(first, other)) {
            assertThat(recorder.removals()).hasSize(agents).allSatisfy(change -> assertThat(change)
                    .isInstanceOfSatisfying(PlacementRemoved.class, c -> assertThat(c.reason()).isEqualTo(RemovalReason.EXPIRED)));
            assertThat(recorder.removals()).extracting(RedisChangeFeedTest::entryId).doesNotHaveDuplicates();
        }
        assertThat(other.changes).isEqualTo(first.changes);
    }

    @Test
    void resuming_after_a_position_delivers_exactly_what_was_missed() {
        Recorder before = subscribe(Optional.empty());
        backend.registerRelay(new RelayRegistration("relay-a", "a.test", 7443, Map.of()), LONG_TTL);
        backend.registerAgent("agent-1", "relay-a", LONG_TTL);
        await().atMost(Duration.ofSeconds(10)).until(() -> before.changes.size() == 2);
        String position = before.changes.get(0).position();
        before.subscription.close();

        backend.registerAgent("agent-2", "relay-a", LONG_TTL);
        backend.deregisterAgent("agent-1", "relay-a");
        Recorder after = subscribe(Optional.of(position));

        await().atMost(Duration.ofSeconds(10)).until(() -> after.changes.size() >= 3);
        assertThat(after.changes).extracting(RedisChangeFeedTest::entryId).containsExactly("agent-1", "agent-2", "agent-1");
        assertThat(after.changes.get(0)).isEqualTo(before.changes.get(1));
        assertThat(after.changes.get(2)).isInstanceOf(PlacementRemoved.class);
        assertThat(after.ended()).isEmpty();

        // Up to date: resuming after the last position waits for the next change.
        Recorder upToDate = subscribe(Optional.of(after.changes.get(2).position()));
        backend.deregisterRelay("relay-a");
        await().atMost(Duration.ofSeconds(10)).until(() -> !upToDate.changes.isEmpty());
        assertThat(upToDate.changes).singleElement().isInstanceOf(RelayRemoved.class);
    }

    @Test
    void a_trimmed_unknown_or_lost_position_is_a_gap_at_once() {
        backend = create(Map.of(RedisSettings.FEED_MAX_LEN, "10"));
        feed = backend.changeFeed(CONTEXT);
        toClose.add(feed);
        Recorder recorder = subscribe(Optional.empty());
        backend.registerRelay(new RelayRegistration("relay-a", "a.test", 7443, Map.of()), LONG_TTL);
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes.size() == 1);
        String oldest = recorder.changes.get(0).position();
        for (int i = 0; i < 500; i++) {
            backend.registerAgent("agent-" + i, "relay-a", LONG_TTL);
        }
        assertThat(raw.client.xlen(prefix + "changes")).as("entries kept after trimming to about 10").isLessThan(400);

        assertThat(subscribe(Optional.of(oldest)).awaitEnd()).isEqualTo("gap");
        assertThat(subscribe(Optional.of("not-a-position")).awaitEnd()).isEqualTo("gap");
        assertThat(subscribe(Optional.of(Long.toString(Long.parseLong(oldest) + 1_000_000))).awaitEnd())
                .as("a position beyond the last change").isEqualTo("gap");

        // Redis lost the registry's data: the old position is unknown to the stream written since.
        String latest = raw.client.get(prefix + "changes-seq");
        raw.deleteAll(prefix);
        backend.registerRelay(new RelayRegistration("relay-a", "a.test", 7443, Map.of()), LONG_TTL);
        assertThat(subscribe(Optional.of(latest)).awaitEnd()).isEqualTo("gap");
        assertThat(recorder.awaitEnd()).as("the running subscription sees the jump (or fell behind the trim before)")
                .isEqualTo("gap");
    }

    @Test
    void a_redis_outage_ends_a_subscription_with_on_failure_in_bounded_time() {
        assumeTrue(server.control().isPresent(), "stops the server");
        backend = create(Map.of(RedisSettings.TIMEOUT, "500ms"));
        feed = backend.changeFeed(CONTEXT);
        toClose.add(feed);
        Recorder recorder = subscribe(Optional.empty());
        backend.registerRelay(new RelayRegistration("relay-a", "a.test", 7443, Map.of()), LONG_TTL);
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes.size() == 1);

        server.control().get().stop();
        try {
            long stopped = System.nanoTime();
            assertThat(recorder.awaitEnd()).isEqualTo("failure");
            assertThat(Duration.ofNanos(System.nanoTime() - stopped)).as("time to onFailure")
                    .isLessThan(RedisFeedSubscription.BLOCK.plusMillis(500).plusSeconds(5));
            assertThat(recorder.failure.get()).isInstanceOf(BackendUnavailableException.class);
        } finally {
            server.control().get().start();
        }
    }

    @Test
    void feed_max_len_zero_writes_no_stream_and_falls_back_to_the_polling_feed() {
        RegistryBackend withoutStream = create(Map.of(RedisSettings.FEED_MAX_LEN, "0"));
        ChangeFeed polling = withoutStream.changeFeed(CONTEXT);
        toClose.add(polling);
        withoutStream.registerRelay(new RelayRegistration("relay-a", "a.test", 7443, Map.of()), LONG_TTL);
        withoutStream.registerAgent("agent-1", "relay-a", Duration.ofMillis(100));
        withoutStream.deregisterRelay("relay-a");

        assertThat(polling).isInstanceOf(PollingChangeFeed.class);
        assertThat(raw.client.exists(prefix + "changes")).as("stream written").isFalse();
    }

    private static String entryId(FleetChange change) {
        if (change instanceof RelayUpserted c) {
            return c.relay().relayId();
        }
        if (change instanceof RelayRemoved c) {
            return c.relayId();
        }
        if (change instanceof PlacementUpserted c) {
            return c.placement().agentId();
        }
        return ((PlacementRemoved) change).agentId();
    }

    private static boolean isRemoval(FleetChange change) {
        return change instanceof RelayRemoved || change instanceof PlacementRemoved;
    }

    /** Records what a subscription delivers. */
    private static final class Recorder implements FeedListener {
        final List<FleetChange> changes = new CopyOnWriteArrayList<>();
        final Map<FleetChange, Long> receivedAtMs = new ConcurrentHashMap<>();
        final AtomicReference<String> end = new AtomicReference<>();
        final AtomicReference<BackendUnavailableException> failure = new AtomicReference<>();
        FeedSubscription subscription;

        @Override
        public void onChanges(List<FleetChange> batch) {
            assertThat(batch).isNotEmpty();
            long now = System.currentTimeMillis();
            batch.forEach(change -> receivedAtMs.put(change, now));
            changes.addAll(batch);
        }

        @Override
        public void onGap(String why) {
            assertThat(end.getAndSet("gap")).as("a second end").isNull();
        }

        @Override
        public void onFailure(BackendUnavailableException cause) {
            failure.set(cause);
            assertThat(end.getAndSet("failure")).as("a second end").isNull();
        }

        List<FleetChange> removals() {
            return changes.stream().filter(RedisChangeFeedTest::isRemoval).toList();
        }

        Optional<String> ended() {
            return Optional.ofNullable(end.get());
        }

        String awaitEnd() {
            await().atMost(Duration.ofSeconds(15)).until(() -> end.get() != null);
            return end.get();
        }
    }
}
