package io.aeroarc.registry.backend.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.spi.AgentDeregistration;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.feed.RemovalReason;
import io.aeroarc.registry.testsupport.LocalServerProcess;
import io.aeroarc.registry.testsupport.PostgresTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The change log and its feed on a real PostgreSQL: what is logged (and what is not), expiry
 * reports across two backends, resume and gaps, positions that commit out of order, outages.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresChangeFeedTest {

    private static final Duration LONG_TTL = Duration.ofMinutes(5);
    private static final Duration SHORT_TTL = Duration.ofMillis(500);
    /** The contract's bound plus slack for a machine shared with builds. */
    private static final Duration EXPIRY_WAIT = Duration.ofMillis(ChangeFeed.EXPIRY_LAG_BOUND_MS).plusSeconds(4);
    private static final BackendContext CONTEXT = new BackendContext(Clock.systemUTC());

    private static TestServer server;
    private static TestSchemas schemas;

    private final List<AutoCloseable> opened = new ArrayList<>();
    private String namespace;

    @BeforeAll
    static void startServer() {
        server = PostgresTestServer.start();
        schemas = new TestSchemas(server);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            schemas.dropAll();
            server.close();
        }
    }

    @BeforeEach
    void newNamespace() {
        namespace = "feed" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
    }

    private PostgresBackend backend(Duration reportInterval) {
        PostgresBackend backend = PostgresBackendProvider.open(
                schemas.settings(namespace), ExpirySweeper.DELETE_GRACE, Duration.ZERO, reportInterval);
        opened.add(backend);
        return backend;
    }

    private Recorder subscribe(PostgresBackend backend, Optional<String> after) {
        ChangeFeed feed = backend.changeFeed(CONTEXT);
        opened.add(feed);
        Recorder recorder = new Recorder();
        FeedSubscription subscription = feed.subscribe(after, recorder);
        opened.add(subscription);
        return recorder;
    }

    /** A subscription "from now" that is surely running: it has seen a change made after it started. */
    private Recorder subscribeAndSettle(PostgresBackend backend) {
        Recorder recorder = subscribe(backend, Optional.empty());
        String marker = "marker-" + UUID.randomUUID();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            backend.registerRelay(new RelayRegistration(marker, "m", 1, Map.of()), LONG_TTL);
            return recorder.changes.stream().anyMatch(c -> c instanceof FleetChange.RelayUpserted u && u.relay().relayId().equals(marker));
        });
        backend.deregisterRelay(marker);
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes.stream()
                .anyMatch(c -> c instanceof FleetChange.RelayRemoved r && r.relayId().equals(marker)));
        recorder.changes.clear();
        return recorder;
    }

    @Test
    void visible_changes_are_logged_once_in_order_and_renewals_are_not() throws Exception {
        PostgresBackend backend = backend(ExpiryReporter.INTERVAL);
        Recorder recorder = subscribeAndSettle(backend);
        long before = countChanges();

        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of("zone", "1")), LONG_TTL);
        backend.registerRelay(new RelayRegistration("relay-b", "b", 1, Map.of()), LONG_TTL);
        backend.heartbeatRelay("relay-a", LONG_TTL).orElseThrow();
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of("zone", "1")), LONG_TTL); // renewal
        backend.registerRelay(new RelayRegistration("relay-a", "a2", 1, Map.of("zone", "1")), LONG_TTL); // new address
        backend.registerRelay(new RelayRegistration("relay-a", "a2", 1, Map.of("zone", "2")), LONG_TTL); // new labels
        PlacementRecord first = backend.registerAgent("agent-1", "relay-a", LONG_TTL).orElseThrow();
        backend.heartbeatAgent("agent-1", new Fence(Optional.of("relay-a"), first.epoch()), LONG_TTL);
        backend.heartbeatAgents("relay-a", List.of("agent-1"), LONG_TTL).orElseThrow();
        backend.registerAgent("agent-1", "relay-a", LONG_TTL).orElseThrow(); // renewal, same epoch
        PlacementRecord moved = backend.registerAgent("agent-1", "relay-b", LONG_TTL).orElseThrow();
        assertThat(backend.deregisterAgent("agent-1", "relay-a")).as("fenced").isInstanceOf(AgentDeregistration.Fenced.class);
        assertThat(backend.deregisterAgent("agent-1", "relay-b")).isInstanceOf(AgentDeregistration.Removed.class);
        assertThat(backend.deregisterRelay("relay-a")).isTrue();

        List<String> expected = List.of(
                "relay+ relay-a a {zone=1}", "relay+ relay-b b {}", "relay+ relay-a a2 {zone=1}", "relay+ relay-a a2 {zone=2}",
                "placement+ agent-1 relay-a " + first.epoch(), "placement+ agent-1 relay-b " + moved.epoch(),
                "placement- agent-1 relay-b " + moved.epoch() + " DEREGISTERED", "relay- relay-a DEREGISTERED");
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes.size() >= expected.size());
        assertThat(recorder.describe()).containsExactlyElementsOf(expected);
        assertThat(countChanges() - before).as("rows logged").isEqualTo(expected.size());
        assertThat(recorder.positions()).as("positions increase").isSorted().doesNotHaveDuplicates();
        assertThat(recorder.ended()).isFalse();
    }

    @Test
    void expiries_are_reported_within_the_bound_without_any_call() {
        PostgresBackend backend = backend(ExpiryReporter.INTERVAL);
        Recorder recorder = subscribeAndSettle(backend);
        backend.registerRelay(new RelayRegistration("relay-long", "a", 1, Map.of()), LONG_TTL);
        long relayExpiry = backend.registerRelay(new RelayRegistration("relay-short", "b", 1, Map.of()), SHORT_TTL);
        PlacementRecord placement = backend.registerAgent("agent-short", "relay-long", SHORT_TTL).orElseThrow();

        await().atMost(EXPIRY_WAIT).until(() -> recorder.changes.stream().filter(c -> c instanceof FleetChange.RelayRemoved
                || c instanceof FleetChange.PlacementRemoved).count() == 2);
        FleetChange.PlacementRemoved removed = recorder.changes.stream().filter(c -> c instanceof FleetChange.PlacementRemoved)
                .map(c -> (FleetChange.PlacementRemoved) c).findFirst().orElseThrow();
        assertThat(removed.reason()).isEqualTo(RemovalReason.EXPIRED);
        assertThat(removed.epoch()).isEqualTo(placement.epoch());
        assertThat(removed.atMs()).isEqualTo(placement.expiresAtMs());
        FleetChange.RelayRemoved relay = recorder.changes.stream().filter(c -> c instanceof FleetChange.RelayRemoved)
                .map(c -> (FleetChange.RelayRemoved) c).findFirst().orElseThrow();
        assertThat(relay.relayId()).isEqualTo("relay-short");
        assertThat(relay.reason()).isEqualTo(RemovalReason.EXPIRED);
        assertThat(relay.atMs()).isEqualTo(relayExpiry);
        // The lag itself is a bench number; here only that it is bounded with slack.
        assertThat(recorder.receivedAtMs(removed) - removed.atMs()).isLessThan(EXPIRY_WAIT.toMillis());
    }

    @Test
    void two_backends_on_one_database_report_each_expiry_once_to_each_feed() throws Exception {
        PostgresBackend one = backend(ExpiryReporter.INTERVAL);
        PostgresBackend two = backend(ExpiryReporter.INTERVAL);
        Recorder viaOne = subscribeAndSettle(one);
        Recorder viaTwo = subscribeAndSettle(two);
        one.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        int agents = 300;
        for (int i = 0; i < agents; i++) {
            (i % 2 == 0 ? one : two).registerAgent("agent-" + i, "relay-a", SHORT_TTL).orElseThrow();
        }

        for (Recorder recorder : List.of(viaOne, viaTwo)) {
            await().atMost(EXPIRY_WAIT.plusSeconds(5)).until(() -> recorder.removals(RemovalReason.EXPIRED).size() >= agents);
        }
        // Both reporters keep ticking; still one report per expiry, in the log and in each feed.
        Duration ticks = Duration.ofMillis(3 * ExpiryReporter.INTERVAL.toMillis());
        await().during(ticks).atMost(ticks.plusSeconds(5)).until(() -> viaOne.removals(RemovalReason.EXPIRED).size() == agents
                && viaTwo.removals(RemovalReason.EXPIRED).size() == agents);
        for (Recorder recorder : List.of(viaOne, viaTwo)) {
            List<String> agentIds = recorder.removals(RemovalReason.EXPIRED);
            assertThat(agentIds).hasSize(agents).doesNotHaveDuplicates();
            assertThat(recorder.ended()).isFalse();
        }
        assertThat(countChanges("kind = " + Sql.PLACEMENT_REMOVED + " AND reason = " + Sql.EXPIRED)).isEqualTo(agents);
    }

    @Test
    void an_entry_that_expired_unreported_is_reported_before_it_is_registered_again() {
        PostgresBackend backend = backend(Duration.ZERO);
        Recorder recorder = subscribeAndSettle(backend);
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), SHORT_TTL);
        backend.registerRelay(new RelayRegistration("relay-b", "b", 1, Map.of()), LONG_TTL);
        PlacementRecord old = backend.registerAgent("agent-1", "relay-b", SHORT_TTL).orElseThrow();
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.getRelay("relay-a").isEmpty() && backend.getPlacement("agent-1").isEmpty());

        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        PlacementRecord again = backend.registerAgent("agent-1", "relay-b", LONG_TTL).orElseThrow();
        assertThat(backend.reportExpiries().placementsExpired()).as("nothing left to report").isZero();

        List<String> expected = List.of(
                "relay+ relay-a a {}", "relay+ relay-b b {}", "placement+ agent-1 relay-b " + old.epoch(),
                "relay- relay-a EXPIRED", "relay+ relay-a a {}",
                "placement- agent-1 relay-b " + old.epoch() + " EXPIRED", "placement+ agent-1 relay-b " + again.epoch());
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes.size() >= expected.size());
        assertThat(recorder.describe()).containsExactlyElementsOf(expected);
    }

    @Test
    void a_version_1_schema_migrates_with_its_placements_and_only_live_ones_are_reported_when_they_expire() throws Exception {
        String schema = TestSchemas.schemaOf(namespace);
        schemas.options(namespace); // dropped after the tests like the others
        try (Connection connection = schemas.connect(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
            statement.execute(Sql.inSchema("CREATE TABLE {s}.schema_version (version integer PRIMARY KEY,"
                    + " description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", schema));
            SchemaMigrations.Migration first = SchemaMigrations.MIGRATIONS.get(0);
            assertThat(first.version()).isEqualTo(1);
            for (String ddl : first.statements()) {
                statement.execute(Sql.inSchema(ddl, schema));
            }
            statement.execute(Sql.inSchema("INSERT INTO {s}.schema_version (version, description) VALUES (1, 'as released')", schema));
            statement.execute(Sql.inSchema("INSERT INTO {s}.relays VALUES ('relay-a', 1, 'a', 1, '{}', now(), now(), now() + interval '5 minutes')", schema));
            statement.execute(Sql.inSchema("""
                    INSERT INTO {s}.placements VALUES
                        ('agent-ended', 'relay-a', 1, 11, now() - interval '10 seconds', now() - interval '5 seconds'),
                        ('agent-expiring', 'relay-a', 1, 12, now(), now() + interval '3 seconds'),
                        ('agent-live', 'relay-a', 1, 13, now(), now() + interval '5 minutes')""", schema));
        }

        PostgresBackend backend = backend(ExpiryReporter.INTERVAL);
        Recorder recorder = subscribeAndSettle(backend);
        assertThat(backend.getPlacement("agent-live")).as("a placement from before the migration").isPresent();

        await().atMost(EXPIRY_WAIT.plusSeconds(3)).until(() -> !recorder.removals(RemovalReason.EXPIRED).isEmpty());
        Duration ticks = Duration.ofMillis(3 * ExpiryReporter.INTERVAL.toMillis());
        await().during(ticks).atMost(ticks.plusSeconds(5)).until(() -> recorder.removals(RemovalReason.EXPIRED).size() == 1);
        assertThat(recorder.removals(RemovalReason.EXPIRED)).as("expiries reported").containsExactly("agent-expiring");
        assertThat(countChanges("kind = " + Sql.PLACEMENT_REMOVED)).as("removals logged").isEqualTo(1);
        try (Connection connection = schemas.connect(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(Sql.inSchema(
                        "SELECT agent_id, expiry_check = 'infinity', expiry_check = expires_at FROM {s}.placements ORDER BY 1", schema))) {
            List<String> states = new ArrayList<>();
            while (rows.next()) {
                states.add(rows.getString(1) + " done=" + rows.getBoolean(2) + " armed=" + rows.getBoolean(3));
            }
            assertThat(states).containsExactly("agent-ended done=true armed=false", "agent-expiring done=true armed=false",
                    "agent-live done=false armed=true");
        }
    }

    @Test
    void a_resumed_subscription_continues_right_after_its_position() {
        PostgresBackend backend = backend(ExpiryReporter.INTERVAL);
        Recorder first = subscribeAndSettle(backend);
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        backend.registerAgent("agent-1", "relay-a", LONG_TTL).orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> first.changes.size() == 2);
        String position = first.changes.get(1).position();
        backend.registerAgent("agent-2", "relay-a", LONG_TTL).orElseThrow();
        backend.deregisterAgent("agent-1", "relay-a");

        Recorder resumed = subscribe(backend, Optional.of(position));
        await().atMost(Duration.ofSeconds(10)).until(() -> resumed.changes.size() >= 2);
        assertThat(resumed.describe()).hasSize(2).allSatisfy(line -> assertThat(line).contains("agent-"));
        assertThat(resumed.describe().get(0)).startsWith("placement+ agent-2");
        assertThat(resumed.describe().get(1)).startsWith("placement- agent-1");
        Recorder fromStart = subscribe(backend, Optional.of(first.changes.get(0).position()));
        await().atMost(Duration.ofSeconds(10)).until(() -> fromStart.changes.size() >= 3);
        assertThat(fromStart.describe().get(0)).startsWith("placement+ agent-1");
    }

    @Test
    void positions_no_longer_kept_or_unknown_get_a_gap() {
        PostgresBackend backend = backend(ExpiryReporter.INTERVAL);
        Recorder first = subscribeAndSettle(backend);
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        backend.registerRelay(new RelayRegistration("relay-b", "b", 1, Map.of()), LONG_TTL);
        await().atMost(Duration.ofSeconds(10)).until(() -> first.changes.size() == 2);
        String oldest = first.changes.get(0).position();
        String newest = first.changes.get(1).position();

        assertThat(backend.trimChanges(Duration.ofDays(1), 1)).as("rows trimmed").isPositive();

        Recorder tooOld = subscribe(backend, Optional.of(Long.toString(Long.parseLong(oldest) - 1)));
        Recorder kept = subscribe(backend, Optional.of(oldest));
        Recorder future = subscribe(backend, Optional.of(Long.toString(Long.parseLong(newest) + 1_000_000)));
        Recorder garbage = subscribe(backend, Optional.of("not-a-position"));
        for (Recorder recorder : List.of(tooOld, future, garbage)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.gap != null);
            assertThat(recorder.changes).isEmpty();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> kept.changes.size() == 1);
        assertThat(kept.changes.get(0).position()).isEqualTo(newest);
        assertThat(kept.ended()).isFalse();
        // The live subscription that already passed the trim point carries on.
        backend.registerRelay(new RelayRegistration("relay-c", "c", 1, Map.of()), LONG_TTL);
        await().atMost(Duration.ofSeconds(10)).until(() -> first.changes.size() == 3);
    }

    @Test
    void a_change_committed_after_a_later_position_is_delivered_before_it_and_a_rolled_back_one_is_passed() throws Exception {
        PostgresBackend backend = backend(ExpiryReporter.INTERVAL);
        Recorder recorder = subscribeAndSettle(backend);
        String schema = TestSchemas.schemaOf(namespace);
        String insert = "INSERT INTO %s.changes (kind, relay_id, registered_at, reason, at) VALUES (%d, 'relay-slow', now(), %d, now())"
                .formatted(schema, Sql.RELAY_REMOVED, Sql.DEREGISTERED);
        try (Connection slow = schemas.connect()) {
            slow.setAutoCommit(false);
            try (Statement statement = slow.createStatement()) {
                statement.execute(insert); // draws a position, not committed yet
            }
            backend.registerRelay(new RelayRegistration("relay-fast", "f", 1, Map.of()), LONG_TTL);
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> recorder.changes.isEmpty());
            slow.commit();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes.size() == 2);
        assertThat(recorder.describe()).containsExactly("relay- relay-slow DEREGISTERED", "relay+ relay-fast f {}");

        try (Connection aborted = schemas.connect()) {
            aborted.setAutoCommit(false);
            try (Statement statement = aborted.createStatement()) {
                statement.execute(insert);
            }
            backend.registerRelay(new RelayRegistration("relay-after", "x", 1, Map.of()), LONG_TTL);
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> recorder.changes.size() == 2);
            aborted.rollback();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes.size() == 3);
        assertThat(recorder.describe().get(2)).isEqualTo("relay+ relay-after x {}");
        assertThat(recorder.positions()).isSorted();
    }

    @Test
    void many_concurrent_writers_are_delivered_completely_and_in_position_order() throws Exception {
        PostgresBackend backend = backend(ExpiryReporter.INTERVAL);
        Recorder recorder = subscribeAndSettle(backend);
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        int writers = 4;
        int perWriter = 150;
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            Thread thread = new Thread(() -> {
                for (int i = 0; i < perWriter; i++) {
                    backend.registerAgent("agent-" + writer + "-" + i, "relay-a", LONG_TTL).orElseThrow();
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> recorder.changes.size() >= 1 + writers * perWriter);
        assertThat(recorder.changes).hasSize(1 + writers * perWriter);
        assertThat(recorder.positions()).isSorted().doesNotHaveDuplicates();
        assertThat(recorder.changes.stream().map(FleetChange::position).collect(Collectors.toSet()))
                .containsAll(positions("seq >= " + recorder.changes.get(0).position()));
    }

    @Test
    void racing_first_registrations_of_one_agent_on_one_relay_log_its_epoch_once() throws Exception {
        PostgresBackend backend = backend(ExpiryReporter.INTERVAL);
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        int agents = 300;
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < agents; i++) {
                    backend.registerAgent("agent-" + i, "relay-a", LONG_TTL).orElseThrow();
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(countChanges("kind = " + Sql.PLACEMENT_UPSERTED)).as("one logged epoch per agent").isEqualTo(agents);
        assertThat(countChanges("kind = " + Sql.PLACEMENT_UPSERTED + " AND epoch IN (SELECT epoch FROM "
                + TestSchemas.schemaOf(namespace) + ".placements)")).as("the epochs the placements have").isEqualTo(agents);
    }

    @Test
    void a_frozen_database_ends_the_subscription_with_a_failure_in_bounded_time() {
        Optional<LocalServerProcess> process = server.localProcess();
        Assumptions.assumeTrue(process.isPresent(), "needs a server process this test may freeze");
        PostgresBackend backend = PostgresBackendProvider.open(
                PostgresSettings.from(schemas.options(namespace, Map.of(PostgresSettings.TIMEOUT, "1s"))),
                ExpirySweeper.DELETE_GRACE, Duration.ZERO, Duration.ZERO);
        opened.add(backend);
        Recorder recorder = subscribeAndSettle(backend);
        process.get().freeze();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.failure != null);
            assertThat(recorder.gap).isNull();
        } finally {
            process.get().thaw();
        }
        // The same backend serves a new subscription once the database answers again.
        Recorder again = subscribeAndSettle(backend);
        backend.registerRelay(new RelayRegistration("relay-after", "x", 1, Map.of()), LONG_TTL);
        await().atMost(Duration.ofSeconds(10)).until(() -> again.ended() || !again.changes.isEmpty());
        assertThat(again.describe()).containsExactly("relay+ relay-after x {}");
    }

    private long countChanges() throws SQLException {
        return countChanges("true");
    }

    private long countChanges(String condition) throws SQLException {
        try (Connection connection = schemas.connect(); Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("SELECT count(*) FROM %s.changes WHERE %s"
                        .formatted(TestSchemas.schemaOf(namespace), condition))) {
            row.next();
            return row.getLong(1);
        }
    }

    private List<String> positions(String condition) throws SQLException {
        List<String> positions = new ArrayList<>();
        try (Connection connection = schemas.connect(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT seq FROM %s.changes WHERE %s ORDER BY seq"
                        .formatted(TestSchemas.schemaOf(namespace), condition))) {
            while (rows.next()) {
                positions.add(Long.toString(rows.getLong(1)));
            }
        }
        return positions;
    }

    /** Records what a subscription delivers, and when. */
    static final class Recorder implements FeedListener {
        final List<FleetChange> changes = new CopyOnWriteArrayList<>();
        final Map<FleetChange, Long> receivedAt = new java.util.concurrent.ConcurrentHashMap<>();
        volatile String gap;
        volatile BackendUnavailableException failure;

        @Override
        public void onChanges(List<FleetChange> batch) {
            long now = System.currentTimeMillis();
            for (FleetChange change : batch) {
                receivedAt.put(change, now);
            }
            changes.addAll(batch);
        }

        @Override
        public void onGap(String why) {
            gap = why;
        }

        @Override
        public void onFailure(BackendUnavailableException cause) {
            failure = cause;
        }

        boolean ended() {
            return gap != null || failure != null;
        }

        long receivedAtMs(FleetChange change) {
            return receivedAt.get(change);
        }

        List<Long> positions() {
            return changes.stream().map(c -> Long.parseLong(c.position())).toList();
        }

        List<String> removals(RemovalReason reason) {
            return changes.stream().filter(c -> c instanceof FleetChange.PlacementRemoved r && r.reason() == reason)
                    .map(c -> ((FleetChange.PlacementRemoved) c).agentId()).toList();
        }

        List<String> describe() {
            return changes.stream().map(Recorder::describe).toList();
        }

        private static String describe(FleetChange change) {
            if (change instanceof FleetChange.RelayUpserted u) {
                return "relay+ " + u.relay().relayId() + " " + u.relay().address() + " " + new java.util.TreeMap<>(u.relay().labels());
            }
            if (change instanceof FleetChange.RelayRemoved r) {
                return "relay- " + r.relayId() + " " + r.reason();
            }
            if (change instanceof FleetChange.PlacementUpserted p) {
                return "placement+ " + p.placement().agentId() + " " + p.placement().relayId() + " " + p.placement().epoch();
            }
            FleetChange.PlacementRemoved p = (FleetChange.PlacementRemoved) change;
            return "placement- " + p.agentId() + " " + p.relayId() + " " + p.epoch() + " " + p.reason();
        }
    }
}
