package io.aeroarc.registry.backend.postgres;

import com.zaxxer.hikari.HikariDataSource;
import io.aeroarc.registry.spi.BackendUnavailableException;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Runs work on a pooled connection, making sure the schema is migrated first, and turns every
 * SQL failure into {@link BackendUnavailableException}.
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

    /** SQLSTATEs of a missing table or schema. */
    private static final String UNDEFINED_TABLE = "42P01";
    private static final String INVALID_SCHEMA_NAME = "3F000";

    private final HikariDataSource pool;
    private final SchemaMigrations migrations;
    private volatile boolean migrated;

    Database(HikariDataSource pool, SchemaMigrations migrations) {
        this.pool = pool;
        this.migrations = migrations;
    }

    /**
     * Runs {@code work}; {@code operation} names it in the error.
     *
     * @throws BackendUnavailableException when the database cannot be reached, times out or fails
     */
    <T> T run(String operation, Work<T> work) {
        try (Connection connection = pool.getConnection()) {
            if (!migrated) {
                migrate(connection);
            }
            return work.run(connection);
        } catch (SQLException e) {
            if (UNDEFINED_TABLE.equals(e.getSQLState()) || INVALID_SCHEMA_NAME.equals(e.getSQLState())) {
                migrated = false;
            }
            throw new BackendUnavailableException("postgres: " + operation + " failed: " + describe(e), e);
        }
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
        } catch (BackendUnavailableException e) {
            LOG.log(System.Logger.Level.WARNING, "PostgreSQL is not reachable at start-up; the schema will be migrated by the first call"
                    + " that reaches it: " + e.getMessage());
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
        migrated = true;
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
