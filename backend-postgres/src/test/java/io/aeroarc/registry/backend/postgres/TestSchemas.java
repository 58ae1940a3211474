package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.testsupport.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * One schema per test namespace on a test server, opened with the backend's own options, and
 * plain JDBC access to look at the tables; drops them afterwards for servers that outlive the tests.
 */
final class TestSchemas {

    private final TestServer server;
    private final Set<String> created = new LinkedHashSet<>();

    TestSchemas(TestServer server) {
        this.server = server;
    }

    static String schemaOf(String namespace) {
        return "aeroarc_test_" + namespace.toLowerCase();
    }

    /** The backend options of {@code namespace}'s schema, plus {@code extra}. */
    synchronized BackendOptions options(String namespace, Map<String, String> extra) {
        String schema = schemaOf(namespace);
        created.add(schema);
        Map<String, String> options = new HashMap<>(server.backendOptions());
        options.put(PostgresSettings.SCHEMA, schema);
        options.putAll(extra);
        return BackendOptions.of(PostgresBackendProvider.NAME, options);
    }

    BackendOptions options(String namespace) {
        return options(namespace, Map.of());
    }

    PostgresSettings settings(String namespace) {
        return PostgresSettings.from(options(namespace));
    }

    /** A direct connection to the test server, outside any backend. */
    Connection connect() throws SQLException {
        Map<String, String> options = server.backendOptions();
        return DriverManager.getConnection(options.get(PostgresSettings.URL), options.get(PostgresSettings.USER),
                options.get(PostgresSettings.PASSWORD));
    }

    synchronized void dropAll() {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            for (String schema : created) {
                statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
            created.clear();
        } catch (SQLException e) {
            // A stopped or gone server has nothing left to clean.
        }
    }
}
