package io.aeroarc.registry.backend.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.testsupport.PostgresTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Which statements commit asynchronously, and the sweeper's walk of the placements in chunks. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresCommitAndSweepTest {

    private static final Duration LONG_TTL = Duration.ofMinutes(5);
    private static final Duration SHORT_TTL = Duration.ofMillis(500);

    private static TestServer server;
    private static TestSchemas schemas;

    private final List<PostgresBackend> opened = new ArrayList<>();
    private String namespace;
    private Sql sql;

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
        namespace = "commit" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        sql = new Sql(TestSchemas.schemaOf(namespace));
    }

    @AfterEach
    void closeBackends() {
        opened.forEach(PostgresBackend::close);
    }

    private PostgresBackend withManualSweeper(Duration deleteGrace) {
        PostgresBackend backend = PostgresBackendProvider.open(schemas.settings(namespace), deleteGrace, Duration.ZERO);
        opened.add(backend);
        return backend;
    }

    /** A statement the test binds, run in an open transaction so its transaction-local settings can be read. */
    private interface Binding {
        void bind(Connection connection, PreparedStatement statement) throws SQLException;
    }

    /** synchronous_commit as the statement's transaction would commit with it, the session having it on. */
    private static String commitModeOf(String statementSql, Binding binding) throws SQLException {
        try (Connection connection = schemas.connect()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("SET synchronous_commit = on");
            }
            try (PreparedStatement statement = connection.prepareStatement(statementSql)) {
                binding.bind(connection, statement);
                statement.execute();
            }
            try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery("SHOW synchronous_commit")) {
                row.next();
                return row.getString(1);
            } finally {
                connection.rollback();
            }
        }
    }

    @Test
    void renewals_commit_asynchronously_and_ownership_changes_synchronously() throws SQLException {
        PostgresBackend backend = withManualSweeper(ExpirySweeper.DELETE_GRACE);
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        backend.registerAgent("agent-1", "relay-a", LONG_TTL).orElseThrow();

        assertThat(commitModeOf(sql.heartbeatAgent, (connection, statement) -> {
            statement.setNull(1, Types.VARCHAR);
            statement.setLong(2, 0);
            statement.setLong(3, LONG_TTL.toMillis());
            statement.setString(4, "agent-1");
        })).as("agent heartbeat").isEqualTo("off");
        assertThat(commitModeOf(sql.heartbeatAgents, (connection, statement) -> {
            statement.setLong(1, LONG_TTL.toMillis());
            statement.setString(2, "relay-a");
            statement.setArray(3, connection.createArrayOf("text", new String[] {"agent-1"}));
        })).as("batch agent heartbeat").isEqualTo("off");
        assertThat(commitModeOf(sql.heartbeatAgentBatch, (connection, statement) -> {
            java.sql.Array ids = connection.createArrayOf("text", new String[] {"agent-1"});
            statement.setArray(1, ids);
            statement.setLong(2, LONG_TTL.toMillis());
            statement.setArray(3, ids);
            statement.setArray(4, connection.createArrayOf("text", new String[] {null}));
            statement.setArray(5, connection.createArrayOf("bigint", new Long[] {0L}));
            statement.setArray(6, ids);
        })).as("coalesced single-agent heartbeats").isEqualTo("off");
        assertThat(commitModeOf(sql.heartbeatRelay, (connection, statement) -> {
            statement.setLong(1, LONG_TTL.toMillis());
            statement.setString(2, "relay-a");
        })).as("relay heartbeat").isEqualTo("off");

        assertThat(commitModeOf(sql.registerAgent, (connection, statement) -> {
            statement.setString(1, "relay-a");
            statement.setString(2, "agent-2");
            statement.setLong(3, LONG_TTL.toMillis());
        })).as("agent registration").isEqualTo("on");
        assertThat(commitModeOf(sql.deregisterAgent, (connection, statement) -> {
            statement.setString(1, "relay-a");
            statement.setString(2, "agent-1");
        })).as("agent deregistration").isEqualTo("on");
        assertThat(commitModeOf(sql.registerRelay, (connection, statement) -> {
            statement.setString(1, "relay-b");
            statement.setString(2, "b");
            statement.setInt(3, 1);
            statement.setArray(4, connection.createArrayOf("text", new String[0]));
            statement.setArray(5, connection.createArrayOf("text", new String[0]));
            statement.setLong(6, LONG_TTL.toMillis());
        })).as("relay registration").isEqualTo("on");
        assertThat(commitModeOf(sql.deregisterRelay, (connection, statement) -> statement.setString(1, "relay-a")))
                .as("relay deregistration").isEqualTo("on");
    }

    @Test
    void the_sweep_walks_the_placements_in_chunks_and_deletes_exactly_the_ended_ones() throws SQLException {
        PostgresBackend backend = withManualSweeper(Duration.ZERO);
        backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), LONG_TTL);
        int agents = ExpirySweeper.PLACEMENT_CHUNK * 2 + 500;
        List<String> kept = new ArrayList<>();
        try (Connection connection = schemas.connect(); Statement statement = connection.createStatement()) {
            // Every third placement ends at once; the others live on. Written directly for speed.
            statement.execute(("INSERT INTO %1$s.placements SELECT 'agent-' || lpad(i::text, 5, '0'), r.relay_id, r.incarnation,"
                    + " nextval('%1$s.placement_epochs'), now(), now() + CASE WHEN i %% 3 = 0 THEN interval '%2$d milliseconds'"
                    + " ELSE interval '5 minutes' END FROM %1$s.relays r, generate_series(0, %3$d) i")
                    .formatted(TestSchemas.schemaOf(namespace), SHORT_TTL.toMillis(), agents - 1));
        }
        for (int i = 0; i < agents; i++) {
            if (i % 3 != 0) {
                kept.add(String.format("agent-%05d", i));
            }
        }
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> backend.getPlacement("agent-00000").isEmpty());

        assertThat(backend.sweepExpired()).as("rows deleted").isEqualTo(agents - kept.size());

        List<String> left = new ArrayList<>();
        try (Connection connection = schemas.connect(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT agent_id FROM %s.placements ORDER BY 1".formatted(TestSchemas.schemaOf(namespace)))) {
            while (rows.next()) {
                left.add(rows.getString(1));
            }
        }
        assertThat(left).containsExactlyElementsOf(kept);
        assertThat(backend.sweepExpired()).as("a second sweep, from the start again").isZero();
    }
}
