package io.aeroarc.registry.backend.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

/**
 * Opens the change feed's own connections, outside the pool: a feed holds its connection for as
 * long as it runs (LISTEN belongs to a session), which would take a pooled connection from the
 * calls for good. Every wait on them is bounded like the pool's: connect, login, socket reads,
 * statements.
 */
final class FeedConnections {

    private final PostgresSettings settings;

    FeedConnections(PostgresSettings settings) {
        this.settings = settings;
    }

    /** The bound of every wait on the database, as configured. */
    Duration timeout() {
        return settings.timeout();
    }

    Connection open() throws SQLException {
        long timeoutMillis = settings.timeout().toMillis();
        int timeoutSeconds = (int) Math.max(1, (timeoutMillis + 999) / 1000);
        Properties properties = new Properties();
        settings.user().ifPresent(user -> properties.setProperty("user", user));
        settings.password().ifPresent(password -> properties.setProperty("password", password));
        properties.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
        properties.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
        // Longer than the feed's longest wait for a notification, so only a silent server trips it.
        properties.setProperty("socketTimeout", Integer.toString(timeoutSeconds + 1));
        properties.setProperty("tcpKeepAlive", "true");
        properties.setProperty("ApplicationName", "aeroarc-relay-registry-feed");
        Connection connection = DriverManager.getConnection(settings.url(), properties);
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET statement_timeout = " + timeoutMillis);
            // The feed's reads are small index range scans; compiling them never pays off.
            statement.execute("SET jit = off");
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
        return connection;
    }
}
