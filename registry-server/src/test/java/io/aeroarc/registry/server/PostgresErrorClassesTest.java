package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.backend.postgres.PostgresBackendProvider;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.testsupport.PostgresTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The backend error classes on a real PostgreSQL, end to end: a role without rights on the
 * registry's schema stops start-up as a configuration error; a column dropped by hand (the SQL no
 * longer fits the table, as a bug would) answers INTERNAL and leaves health SERVING.
 */
class PostgresErrorClassesTest {

    private static TestServer server;

    @BeforeAll
    static void startPostgres() throws SQLException {
        server = PostgresTestServer.start();
        admin("DROP ROLE IF EXISTS registry_no_rights", "CREATE ROLE registry_no_rights LOGIN PASSWORD 'no-rights-password'",
                "CREATE SCHEMA errors_no_rights");
    }

    @AfterAll
    static void stopPostgres() throws SQLException {
        if (server != null) {
            admin("DROP SCHEMA IF EXISTS errors_no_rights CASCADE", "DROP SCHEMA IF EXISTS errors_dropped_column CASCADE",
                    "DROP ROLE IF EXISTS registry_no_rights");
            server.close();
        }
    }

    private static void admin(String... statements) throws SQLException {
        Map<String, String> options = server.backendOptions();
        try (Connection connection = DriverManager.getConnection(options.get("url"), options.get("user"), options.get("password"));
                Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    @Test
    void a_role_without_rights_on_the_schema_stops_start_up_with_status_2_as_a_configuration_error() {
        List<String> args = new ArrayList<>(List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0", "--backend", "postgres",
                "--backend-option", "url=" + server.backendOptions().get("url"), "--backend-option", "user=registry_no_rights",
                "--backend-option", "password=no-rights-password", "--backend-option", "schema=errors_no_rights"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int status = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Main.run(args, Map.of(),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8)));

        assertThat(status).as("exit status of a server whose database refuses its role the schema").isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).as("the one line an operator reads")
                .contains("backend postgres refuses the registry's configuration", "42501", "permission denied")
                .doesNotContain("no-rights-password");
    }

    @Test
    void a_column_dropped_by_hand_answers_internal_and_health_stays_serving() throws Exception {
        try (RunningRegistry registry = new RunningRegistry(backend("errors_dropped_column"), settings(), Duration.ofSeconds(5))) {
            registry.registry().registerRelay(relay("relay-a"));
            admin("ALTER TABLE errors_dropped_column.relays DROP COLUMN labels");

            assertThatThrownBy(() -> registry.registry().getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).as("status of a call whose SQL no longer fits the table")
                                .isEqualTo(Status.Code.INTERNAL);
                        assertThat(e.getStatus().getDescription()).as("what the client is told").doesNotContain("labels", "42703");
                    });
            assertThat(registry.health("")).as("health after a bug").isEqualTo(ServingStatus.SERVING);
        }
    }

    private static RegistryBackend backend(String schema) {
        Map<String, String> options = new HashMap<>(server.backendOptions());
        options.put("schema", schema);
        return new PostgresBackendProvider().create(BackendOptions.of("postgres", options),
                new BackendContext(Clock.systemUTC()));
    }

    private static RegistrySettings settings() {
        return new RegistrySettings(Duration.ofSeconds(30), Duration.ofSeconds(30), 100);
    }

    private static RegisterRelayRequest relay(String relayId) {
        return RegisterRelayRequest.newBuilder().setRelay(Relay.newBuilder().setRelayId(relayId).setAddress("10.0.0.1").setGrpcPort(7000))
                .build();
    }
}
