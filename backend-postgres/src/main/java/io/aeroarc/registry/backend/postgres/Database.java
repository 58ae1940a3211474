package io.aeroarc.registry.backend.postgres;

import com.zaxxer.hikari.HikariDataSource;
import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.CallDeadline;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs work on a pooled connection, making sure the schema is migrated first, and turns every
 * SQL failure into the SPI's class for it ({@link PostgresErrors}).
 *
 * <p>The schema is migrated at start-up when the database answers, and otherwise by the first
 * call that reaches it. A call that finds the schema gone (a database restored from scratch)
 * makes the next one migrate again.
 */
final class Database implements AutoCloseable {

    /** The work of one call on one connection. */
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private static final System.Logger LOG = System.getLogger(Database.class.getName());

    /** How much longer than statement_timeout the socket waits, for a live server's own timeout to win. */
    static final Duration SOCKET_MARGIN = Duration.ofMillis(250);

    private final HikariDataSource pool;
    private final SchemaMigrations migrations;
    /** Shared with every per-call view. */
    private final AtomicBoolean migrated;
    private final Duration timeout;
    /** The call's deadline in a per-call view; null for the backend's own timeout only. */
    private final CallDeadline deadline;

    /** @param timeout how long one call may wait for the database once it has a connection */
    Database(HikariDataSource pool, SchemaMigrations migrations, Duration timeout) {
        this(pool, migrations, new AtomicBoolean(), timeout, null);
    }

    private Database(HikariDataSource pool, SchemaMigrations migrations, AtomicBoolean migrated, Duration timeout, CallDeadline deadline) {
        this.pool = pool;
        this.migrations = migrations;
        this.migrated = migrated;
        this.timeout = timeout;
        this.deadline = deadline;
    }

    /** This database for one call: its reads from the socket wait no longer than the call's time left. */
    Database boundedBy(CallDeadline callDeadline) {
        return new Database(pool, migrations, migrated, timeout, callDeadline);
    }

    /**
     * Runs {@code work}; {@code operation} names it in the error.
     *
     * @throws BackendUnavailableException when the database cannot be reached or times out, and
     *     its subclass BackendMisconfiguredException when it refuses the registry's credentials or
     *     rights; IllegalStateException for any other SQL failure, a bug
     */
    <T> T run(String operation, Work<T> work) {
        try (Connection connection = pool.getConnection()) {
            if (!migrated.get()) {
                migrate(connection);
            }
            connection.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, socketReadBound().toMillis()));
            return work.run(connection);
        } catch (SQLException e) {
            String state = PostgresErrors.sqlState(e);
            if (PostgresErrors.UNDEFINED_TABLE.equals(state) || PostgresErrors.INVALID_SCHEMA_NAME.equals(state)) {
                migrated.set(false);
            }
            throw PostgresErrors.classify(operation, e, describe(e));
        }
    }

    /**
     * The socket read timeout of this call alone (the pool resets it when the connection
     * returns): a frozen or black-holed server cannot hold the call past it, where
     * statement_timeout, enforced by that very server, would never fire. With the whole timeout
     * left it runs {@link #SOCKET_MARGIN} longer, so a live server's statement_timeout ends a
     * stuck statement first and the connection survives; a nearer call deadline is kept exactly.
     */
    private Duration socketReadBound() {
        if (deadline == null) {
            return timeout.plus(SOCKET_MARGIN);
        }
        Duration bound = deadline.bound(timeout);
        return bound.equals(timeout) ? timeout.plus(SOCKET_MARGIN) : bound;
    }

    /** The message, with the cause's when the pool wraps a failed connection attempt. */
    private static String describe(SQLException e) {
        Throwable cause = e.getCause();
        if (cause == null || cause.getMessage() == null || cause.getMessage().equals(e.getMessage())) {
            return e.getMessage();
        }
        return e.getMessage() + " (" + cause.getMessage() + ")";
    }

    /** Migrates now if the database answers; otherwise leaves it to the first call. Never throws. */
    void migrateIfReachable() {
        try {
            run("schema migration", connection -> null);
        } catch (BackendMisconfiguredException e) {
            LOG.log(System.Logger.Level.ERROR, "PostgreSQL refuses the registry at start-up; the schema is not migrated: " + e.getMessage());
        } catch (BackendUnavailableException e) {
            LOG.log(System.Logger.Level.WARNING, "PostgreSQL is not reachable at start-up; the schema will be migrated by the first call"
                    + " that reaches it: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "the schema migration failed at start-up; the first call tries again", e);
        }
    }

    private void migrate(Connection connection) throws SQLException {
        int found = migrations.migrate(connection);
        if (found > SchemaMigrations.latestVersion()) {
            LOG.log(System.Logger.Level.WARNING, "schema version " + found + " is newer than this release knows ("
                    + SchemaMigrations.latestVersion() + "); running on it, as migrations only add");
        } else if (found < SchemaMigrations.latestVersion()) {
            LOG.log(System.Logger.Level.INFO, "migrated the registry schema from version " + found + " to "
                    + SchemaMigrations.latestVersion());
        }
        migrated.set(true);
    }

    /** The most connections the pool opens. */
    int poolSize() {
        return pool.getMaximumPoolSize();
    }

    @Override
    public void close() {
        pool.close();
    }
}
