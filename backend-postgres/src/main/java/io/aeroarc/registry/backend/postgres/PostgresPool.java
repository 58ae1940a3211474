package io.aeroarc.registry.backend.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;

/** The HikariCP pool of a backend, set up so that no call waits longer than the timeout. */
final class PostgresPool {

    private PostgresPool() {}

    static HikariDataSource open(PostgresSettings settings) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("registry-postgres");
        config.setJdbcUrl(settings.url());
        settings.user().ifPresent(config::setUsername);
        settings.password().ifPresent(config::setPassword);
        config.setMaximumPoolSize(settings.poolSize());
        long timeoutMillis = settings.timeout().toMillis();
        // Waiting for a pooled connection, including connecting while the database is down.
        config.setConnectionTimeout(timeoutMillis);
        config.setValidationTimeout(Math.max(PostgresSettings.MIN_TIMEOUT.toMillis(), timeoutMillis / 2));
        // The pool starts without the database; calls fail with the unavailable error until it answers.
        config.setInitializationFailTimeout(-1);
        // Set per session rather than in the URL's options, so an operator's URL cannot drop them.
        // The idle-in-transaction bound frees the migration's advisory lock if this process stalls.
        // No JIT: every statement here is a short keyed one, but a plan the planner misjudges as
        // costly (a table not analysed yet, such as the one-row changes_trimmed) gets compiled,
        // and compiling takes a second or more, a thousand times longer than running it (measured
        // on the change feed's read, see notes/feed-postgres-closing.md).
        config.setConnectionInitSql("SET statement_timeout = " + timeoutMillis
                + "; SET idle_in_transaction_session_timeout = " + Duration.ofSeconds(30).toMillis()
                + "; SET jit = off");
        // Bounds for what statement_timeout cannot cover: connecting, and a server that stopped answering.
        int timeoutSeconds = (int) Math.max(1, (timeoutMillis + 999) / 1000);
        config.addDataSourceProperty("connectTimeout", timeoutSeconds);
        config.addDataSourceProperty("loginTimeout", timeoutSeconds);
        config.addDataSourceProperty("socketTimeout", timeoutSeconds + 1);
        config.addDataSourceProperty("tcpKeepAlive", true);
        config.addDataSourceProperty("ApplicationName", "aeroarc-relay-registry");
        return new HikariDataSource(config);
    }
}
