package io.aeroarc.registry.backend.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.aeroarc.registry.spi.AgentDeregistration;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.tck.ManualClock;
import io.aeroarc.registry.tck.StorageControl;
import io.aeroarc.registry.testsupport.PostgresTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the TCK cannot see: the schema, its migration, the sweeper, the clock, HOT updates. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PostgresBackendTest {

    private static final Duration LONG_TTL = Duration.ofMinutes(5);
    private static final Duration SHORT_TTL = Duration.ofSeconds(1);
    private static final BackendContext CONTEXT = new BackendContext(Clock.systemUTC());

    private static TestServer server;
    private static TestSchemas schemas;

    private final List<RegistryBackend> opened = new ArrayList<>();
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
        namespace = "unit" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    @AfterEach
    void closeBackends() {
        opened.forEach(RegistryBackend::close);
    }

    private RegistryBackend create(BackendContext context) {
        RegistryBackend backend = new PostgresBackendProvider().create(schemas.options(namespace), context);
        opened.add(backend);
        return backend;
    }

    /** A backend whose sweeper only runs when the test calls it. */
    private PostgresBackend withManualSweeper(Duration deleteGrace) {
        PostgresBackend backend = PostgresBackendProvider.open(schemas.settings(namespace), deleteGrace, Duration.ZERO);
        opened.add(backend);
        return backend;
    }

    @Test
    void concurrent_start_ups_on_one_schema_migrate_it_once() throws Exception {
        int servers = 6;
        CyclicBarrier together = new CyclicBarrier(servers);
        List<RegistryBackend> started = runConcurrently(servers, () -> {
            together.await();
            return create(CONTEXT);
        });

        for (RegistryBackend backend : started) {
            backend.probe();
        }
        assertThat(query("SELECT count(*), max(version) FROM %s.schema_version"))
                .containsExactly((long) SchemaMigrations.MIGRATIONS.size(), (long) SchemaMigrations.latestVersion());
        started.get(0).registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        assertThat(started.get(servers - 1).getRelay("relay-a")).isPresent();
    }

    @Test
    void a_backend_created_while_the_database_is_down_migrates_and_works_once_it_is_up() {
        StorageControl storage = server.control().orElse(null);
        assumeTrue(storage != null, "the test server cannot be stopped");
        RegistryBackend backend;
        storage.stop();
        try {
            backend = create(CONTEXT);
            assertThatThrownBy(backend::probe).isInstanceOf(BackendUnavailableException.class).hasMessageStartingWith("postgres: probe failed");
        } finally {
            storage.start();
        }

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().untilAsserted(backend::probe);
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        assertThat(backend.getRelay("relay-a")).isPresent();
    }

    @Test
    void a_schema_lost_under_a_running_backend_is_migrated_again_and_epochs_keep_increasing() throws SQLException {
        RegistryBackend backend = create(CONTEXT);
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        long before = backend.registerAgent("agent-1", "relay-a", LONG_TTL).orElseThrow().epoch();

        execute("DROP SCHEMA %s CASCADE");

        assertThatThrownBy(() -> backend.getRelay("relay-a")).isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("does not exist");
        assertThat(backend.getRelay("relay-a")).as("the registry is empty again, and works").isEmpty();
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        long after = backend.registerAgent("agent-1", "relay-a", LONG_TTL).orElseThrow().epoch();
        assertThat(after).as("epoch after the loss, from the clock").isGreaterThan(before);
    }

    @Test
    void times_come_from_the_database_clock_not_the_registry_clock() {
        ManualClock farPast = ManualClock.startingAt(978_307_200_000L); // 2001-01-01
        RegistryBackend backend = create(new BackendContext(farPast));

        long before = System.currentTimeMillis();
        long expiresAt = backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);

        // The database runs on this machine, so its clock is this JVM's give or take scheduling.
        assertThat(expiresAt).isBetween(before + LONG_TTL.toMillis() - 5_000, System.currentTimeMillis() + LONG_TTL.toMillis() + 5_000);
        assertThat(backend.getRelay("relay-a")).as("live by the database clock").isPresent();
    }

    @Test
    void labels_with_json_and_array_syntax_round_trip_and_select() {
        RegistryBackend backend = create(CONTEXT);
        Map<String, String> labels = Map.of("quote\"key", "va,l}ue", "ключ", "值 with space", "empty", "", "brace{", "[1,\"2\"]",
                "back\\slash", "NULL");
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, labels), LONG_TTL);
        backend.registerRelay(new RelayRegistration("relay-b", "b", 1, Map.of("ключ", "other")), LONG_TTL);

        assertThat(backend.getRelay("relay-a").orElseThrow().labels()).isEqualTo(labels);
        assertThat(backend.listRelays(Map.of("ключ", "值 with space", "back\\slash", "NULL"), PageRequest.first(10)).items())
                .extracting(RelayRecord::relayId).containsExactly("relay-a");
        assertThat(backend.listRelays(Map.of("empty", ""), PageRequest.first(10)).items()).extracting(RelayRecord::relayId)
                .containsExactly("relay-a");
        assertThat(backend.listRelays(Map.of("quote\"key", "va,l"), PageRequest.first(10)).items()).isEmpty();
    }

    @Test
    void a_batch_heartbeat_of_a_thousand_agents_renews_the_relays_own_and_reports_the_rest() {
        RegistryBackend backend = create(CONTEXT);
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        backend.registerRelay(new RelayRegistration("relay-b", "b", 1, Map.of()), LONG_TTL);
        List<String> ids = new ArrayList<>();
        List<String> expectedLost = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            String agentId = String.format("agent-%04d", i);
            ids.add(agentId);
            if (i % 10 < 2) {
                backend.registerAgent(agentId, "relay-a", LONG_TTL).orElseThrow();
            } else if (i % 10 == 2) {
                backend.registerAgent(agentId, "relay-b", LONG_TTL).orElseThrow();
                expectedLost.add(agentId);
            } else {
                expectedLost.add(agentId); // never registered
            }
        }

        BatchRenewal renewal = backend.heartbeatAgents("relay-a", ids, LONG_TTL).orElseThrow();

        assertThat(renewal.lostAgentIds()).hasSize(800).containsExactlyInAnyOrderElementsOf(expectedLost);
        assertThat(backend.getPlacement("agent-0001").orElseThrow().placement().expiresAtMs()).isEqualTo(renewal.expiresAtMs());
        assertThat(backend.getPlacement("agent-0992").orElseThrow().placement().relayId()).isEqualTo("relay-b");
        assertThat(backend.getRelay("relay-a").orElseThrow().agentCount()).isEqualTo(200);
    }

    @Test
    void sweeps_delete_expired_relays_at_once_and_invisible_placements_after_the_grace() throws Exception {
        PostgresBackend keepsForAMinute = withManualSweeper(Duration.ofMinutes(1));
        PostgresBackend keepsNothing = withManualSweeper(Duration.ZERO);
        keepsForAMinute.registerRelay(new RelayRegistration("relay-short", "a", 1, Map.of()), SHORT_TTL);
        keepsForAMinute.registerRelay(new RelayRegistration("relay-long", "b", 1, Map.of()), LONG_TTL);
        keepsForAMinute.registerAgent("agent-on-short-relay", "relay-short", LONG_TTL).orElseThrow();
        keepsForAMinute.registerAgent("agent-deregistered", "relay-long", LONG_TTL).orElseThrow();
        keepsForAMinute.registerAgent("agent-expiring", "relay-long", SHORT_TTL).orElseThrow();
        keepsForAMinute.registerAgent("agent-kept", "relay-long", LONG_TTL).orElseThrow();
        assertThat(keepsForAMinute.deregisterAgent("agent-deregistered", "relay-long")).isInstanceOf(AgentDeregistration.Removed.class);
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() ->
                keepsForAMinute.getRelay("relay-short").isEmpty() && keepsForAMinute.getPlacement("agent-expiring").isEmpty());

        assertThat(keepsForAMinute.sweepExpired()).as("rows deleted within the grace").isEqualTo(1);
        assertThat(ids("SELECT relay_id FROM %s.relays ORDER BY 1")).containsExactly("relay-long");
        assertThat(ids("SELECT agent_id FROM %s.placements ORDER BY 1"))
                .containsExactly("agent-deregistered", "agent-expiring", "agent-kept", "agent-on-short-relay");

        assertThat(keepsNothing.sweepExpired()).as("rows deleted after the grace").isEqualTo(3);
        assertThat(ids("SELECT agent_id FROM %s.placements ORDER BY 1")).containsExactly("agent-kept");
        assertThat(keepsNothing.getPlacement("agent-kept")).isPresent();
        assertThat(keepsNothing.registerAgent("agent-deregistered", "relay-long", LONG_TTL)).isPresent();
    }

    @Test
    void heartbeats_rewrite_placements_as_heap_only_tuples() throws Exception {
        PostgresBackend backend = withManualSweeper(ExpirySweeper.DELETE_GRACE);
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            ids.add("agent-" + i);
            backend.registerAgent("agent-" + i, "relay-a", LONG_TTL).orElseThrow();
        }
        int rounds = 10;
        for (int round = 0; round < rounds; round++) {
            assertThat(backend.heartbeatAgents("relay-a", ids, LONG_TTL).orElseThrow().lostAgentIds()).isEmpty();
        }
        backend.close(); // sessions report their statistics when they end

        String stats = "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE schemaname = '%s' AND relname = 'placements'";
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> query(stats).get(0) >= rounds * ids.size());
        List<Long> updates = query(stats);
        assertThat(updates.get(1)).as("HOT updates of %d", updates.get(0)).isGreaterThanOrEqualTo(updates.get(0) * 9 / 10);
    }

    /**
     * Expiry and heartbeat times march past whatever ANALYZE saw, and plans built on those stale
     * statistics looped over every relay's placements to find a few agents (see migration 3).
     * ANALYZE must gather nothing for them, so the planner's estimate stays fixed.
     */
    @Test
    void analyze_gathers_no_statistics_on_expiry_and_heartbeat_times() throws Exception {
        RegistryBackend backend = create(CONTEXT);
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        for (int i = 0; i < 50; i++) {
            backend.registerAgent("agent-" + i, "relay-a", LONG_TTL).orElseThrow();
        }

        execute("ANALYZE %1$s.relays, %1$s.placements");

        assertThat(ids("""
                SELECT tablename || '.' || attname FROM pg_stats
                WHERE schemaname = '%s' AND tablename IN ('relays', 'placements') ORDER BY 1""")).contains("placements.agent_id")
                .doesNotContain("relays.expires_at", "relays.last_heartbeat", "placements.expires_at", "placements.last_heartbeat");
    }

    /**
     * The epoch pitfall, made deterministic: a registration that moves an agent waits for the row
     * lock while another server's move, which drew its epoch later, commits first. The waiting
     * one must still come back with a higher epoch, so epochs rise in commit order. The TCK's race
     * rules rarely see this order: waiters queue for the row in the order they drew.
     */
    @Test
    void a_move_that_waited_for_the_row_lock_gets_an_epoch_above_the_one_committed_meanwhile() throws Exception {
        RegistryBackend backend = new PostgresBackendProvider().create(schemas.options(namespace, Map.of("timeout", "10s")), CONTEXT);
        opened.add(backend);
        for (String relayId : List.of("relay-a", "relay-b", "relay-c")) {
            backend.registerRelay(new RelayRegistration(relayId, relayId, 1, Map.of()), LONG_TTL);
        }
        long first = backend.registerAgent("agent-1", "relay-a", LONG_TTL).orElseThrow().epoch();
        String schema = TestSchemas.schemaOf(namespace);
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try (Connection otherServer = schemas.connect()) {
            otherServer.setAutoCommit(false);
            execute(otherServer, "SELECT 1 FROM " + schema + ".placements WHERE agent_id = 'agent-1' FOR UPDATE");

            Future<Long> waiting = caller.submit(() -> backend.registerAgent("agent-1", "relay-b", LONG_TTL).orElseThrow().epoch());
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> sessionsWaitingForALock() == 1);
            long committedMeanwhile;
            try (Statement move = otherServer.createStatement(); ResultSet row = move.executeQuery("UPDATE " + schema + ".placements SET"
                    + " relay_id = 'relay-c', relay_incarnation = (SELECT incarnation FROM " + schema + ".relays WHERE relay_id = 'relay-c'),"
                    + " epoch = nextval('" + schema + ".placement_epochs') WHERE agent_id = 'agent-1' RETURNING epoch")) {
                row.next();
                committedMeanwhile = row.getLong(1);
            }
            otherServer.commit();

            assertThat(committedMeanwhile).isGreaterThan(first);
            assertThat(waiting.get(10, TimeUnit.SECONDS)).isGreaterThan(committedMeanwhile);
        } finally {
            caller.shutdownNow();
        }
        assertThat(backend.getPlacement("agent-1").orElseThrow().placement().relayId()).isEqualTo("relay-b");
    }

    @Test
    void a_call_stuck_in_the_database_fails_after_the_timeout() throws Exception {
        RegistryBackend backend = new PostgresBackendProvider().create(schemas.options(namespace, Map.of("timeout", "500ms")), CONTEXT);
        opened.add(backend);
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        backend.registerAgent("agent-1", "relay-a", LONG_TTL).orElseThrow();
        try (Connection otherSession = schemas.connect()) {
            otherSession.setAutoCommit(false);
            execute(otherSession, "SELECT 1 FROM " + TestSchemas.schemaOf(namespace) + ".placements WHERE agent_id = 'agent-1' FOR UPDATE");

            long start = System.nanoTime();
            assertThatThrownBy(() -> backend.heartbeatAgent("agent-1", Fence.NONE, LONG_TTL))
                    .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("statement timeout");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(400), Duration.ofSeconds(3));
            otherSession.rollback();
        }
        assertThat(backend.heartbeatAgent("agent-1", Fence.NONE, LONG_TTL)).isInstanceOf(AgentHeartbeat.Renewed.class);
    }

    private long sessionsWaitingForALock() throws SQLException {
        try (Connection connection = schemas.connect(); Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("SELECT count(*) FROM pg_stat_activity"
                        + " WHERE application_name = 'aeroarc-relay-registry' AND wait_event_type = 'Lock'")) {
            row.next();
            return row.getLong(1);
        }
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private <T> List<T> runConcurrently(int threads, Callable<T> body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(body));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(30, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The numbers of the one row a query over this test's schema ({@code %s}) returns. */
    private List<Long> query(String template) throws SQLException {
        try (Connection connection = schemas.connect(); Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(template.formatted(TestSchemas.schemaOf(namespace)))) {
            assertThat(row.next()).as("a row from %s", template).isTrue();
            List<Long> values = new ArrayList<>();
            for (int column = 1; column <= row.getMetaData().getColumnCount(); column++) {
                values.add(row.getLong(column));
            }
            return values;
        }
    }

    /** The first column of every row a query over this test's schema ({@code %s}) returns. */
    private List<String> ids(String template) throws SQLException {
        try (Connection connection = schemas.connect();
                PreparedStatement statement = connection.prepareStatement(template.formatted(TestSchemas.schemaOf(namespace)));
                ResultSet rows = statement.executeQuery()) {
            List<String> values = new ArrayList<>();
            while (rows.next()) {
                values.add(rows.getString(1));
            }
            return values;
        }
    }

    private void execute(String template) throws SQLException {
        try (Connection connection = schemas.connect(); Statement statement = connection.createStatement()) {
            statement.execute(template.formatted(TestSchemas.schemaOf(namespace)));
        }
    }

}
