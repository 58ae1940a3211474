package io.aeroarc.registry.backend.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Creates and upgrades the backend's schema. Every registry server runs this at start-up; a
 * transaction-scoped advisory lock per schema makes concurrent runs take turns, and the version
 * table makes a second run a no-op.
 *
 * <p>To change the schema, append a {@link Migration} with the next version; never edit a
 * released one. Keep changes additive (new tables, columns with defaults, indexes) so servers
 * still running the previous release keep working during a rolling upgrade.
 */
final class SchemaMigrations {

    /** One step of the schema's history; its statements run in the migration's transaction. */
    record Migration(int version, String description, List<String> statements) {}

    static final List<Migration> MIGRATIONS = List.of(
            new Migration(1, "relays and placements", List.of(
                    "CREATE SEQUENCE {s}.relay_incarnations",
                    "CREATE SEQUENCE {s}.placement_epochs",
                    // Epochs start from the clock in microseconds, so a schema created again after it
                    // was lost hands out epochs above all earlier ones, and old fences never match.
                    "SELECT setval('{s}.placement_epochs', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)",
                    // fillfactor: heartbeats rewrite every row all the time; free room on each page lets
                    // the new row version stay on it as a heap-only tuple, with no index write.
                    """
                    CREATE TABLE {s}.relays (
                        relay_id       text COLLATE "C" PRIMARY KEY,
                        incarnation    bigint      NOT NULL,
                        address        text        NOT NULL,
                        grpc_port      integer     NOT NULL,
                        labels         jsonb       NOT NULL,
                        registered_at  timestamptz NOT NULL,
                        last_heartbeat timestamptz NOT NULL,
                        expires_at     timestamptz NOT NULL
                    ) WITH (fillfactor = 70)""",
                    """
                    CREATE TABLE {s}.placements (
                        agent_id          text COLLATE "C" PRIMARY KEY,
                        relay_id          text COLLATE "C" NOT NULL,
                        relay_incarnation bigint      NOT NULL,
                        epoch             bigint      NOT NULL,
                        last_heartbeat    timestamptz NOT NULL,
                        expires_at        timestamptz NOT NULL
                    ) WITH (fillfactor = 70)""",
                    // For per-relay agent lists (in agent order) and counts. Deliberately no index on
                    // expires_at or last_heartbeat: heartbeats write them, and an index on either
                    // would end HOT updates.
                    "CREATE INDEX placements_by_relay ON {s}.placements (relay_id, relay_incarnation, agent_id)",
                    // An incarnation belongs to one relay. Without this the planner multiplies the two
                    // equalities' selectivities, expects a handful of rows per relay, and sorts a whole
                    // relay's placements for every page instead of reading the index in order.
                    "CREATE STATISTICS {s}.placements_relay_incarnation (dependencies) ON relay_id, relay_incarnation FROM {s}.placements")),
            new Migration(2, "change feed: change log and placement expiry checks", List.of(
                    // The change log the feed reads: one row per visible change, written in the
                    // transaction of the change itself. Like epochs, positions start from the clock
                    // in microseconds, so a position from a schema that was lost and created again is
                    // older than the new schema's trim point and answered with a gap, never misread.
                    "CREATE SEQUENCE {s}.change_seqs",
                    "SELECT setval('{s}.change_seqs', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)",
                    """
                    CREATE TABLE {s}.changes (
                        seq            bigint      PRIMARY KEY DEFAULT nextval('{s}.change_seqs'),
                        kind           smallint    NOT NULL,
                        relay_id       text COLLATE "C" NOT NULL,
                        agent_id       text COLLATE "C",
                        epoch          bigint,
                        address        text,
                        grpc_port      integer,
                        labels         jsonb,
                        registered_at  timestamptz,
                        last_heartbeat timestamptz,
                        expires_at     timestamptz,
                        reason         smallint,
                        at             timestamptz NOT NULL
                    )""",
                    // Every position at or below "through" is no longer kept (see ExpirySweeper's trim).
                    """
                    CREATE TABLE {s}.changes_trimmed (
                        one     boolean PRIMARY KEY DEFAULT true CHECK (one),
                        through bigint  NOT NULL
                    )""",
                    "INSERT INTO {s}.changes_trimmed (through) SELECT last_value FROM {s}.change_seqs",
                    // When the expiry reporter looks at a placement next: at most its expiry (renewals
                    // only move the expiry later, so it stays a lower bound without renewals writing
                    // it), 'infinity' once its end is reported or implied. Indexed, so a reporter tick
                    // reads only the due rows instead of scanning the table; renewals never write it,
                    // so they stay heap-only updates. The constant default adds the column without
                    // rewriting the table and makes existing placements due at once; those that ended
                    // already are not reported.
                    "ALTER TABLE {s}.placements ADD COLUMN expiry_check timestamptz NOT NULL DEFAULT '-infinity'",
                    "UPDATE {s}.placements SET expiry_check = 'infinity' WHERE expires_at <= now()",
                    "CREATE INDEX placements_by_expiry_check ON {s}.placements (expiry_check)")),
            new Migration(3, "no planner statistics on clock-driven columns", List.of(
                    // Renewals keep moving expiries and heartbeat times past the newest values the
                    // last ANALYZE saw, so the planner took "expires_at > now()" to keep about one row
                    // of thousands. Under the fleet it then looped over every relay's placements to
                    // find 50 agents (0.3 s a lookup, for half of every minute, until the next
                    // autoanalyze). Without statistics it assumes a third of the rows, which leads to
                    // plans that find agents by id and relays by id. Changing a column to its own type
                    // removes the statistics already gathered, without rewriting the table.
                    """
                    ALTER TABLE {s}.relays
                        ALTER COLUMN expires_at SET STATISTICS 0, ALTER COLUMN expires_at TYPE timestamptz,
                        ALTER COLUMN last_heartbeat SET STATISTICS 0, ALTER COLUMN last_heartbeat TYPE timestamptz""",
                    """
                    ALTER TABLE {s}.placements
                        ALTER COLUMN expires_at SET STATISTICS 0, ALTER COLUMN expires_at TYPE timestamptz,
                        ALTER COLUMN last_heartbeat SET STATISTICS 0, ALTER COLUMN last_heartbeat TYPE timestamptz""")));

    private final String schema;

    SchemaMigrations(String schema) {
        this.schema = schema;
    }

    /** The newest version this code knows. */
    static int latestVersion() {
        return MIGRATIONS.get(MIGRATIONS.size() - 1).version();
    }

    /**
     * Brings the schema up to {@link #latestVersion()} in one transaction.
     *
     * @return the schema version found before migrating; 0 for a new schema
     */
    int migrate(Connection connection) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try {
            int found = migrateInTransaction(connection);
            connection.commit();
            return found;
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(connection);
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    private int migrateInTransaction(Connection connection) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
            lock.setString(1, "aeroarc-registry-schema:" + schema);
            lock.execute();
        }
        try (Statement statement = connection.createStatement()) {
            // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database
            // even when the schema exists, and an operator may have created it for a less privileged user.
            if (!schemaExists(connection)) {
                statement.execute("CREATE SCHEMA " + Sql.quoted(schema));
            }
            statement.execute(sql("""
                    CREATE TABLE IF NOT EXISTS {s}.schema_version (
                        version     integer     PRIMARY KEY,
                        description text        NOT NULL,
                        applied_at  timestamptz NOT NULL DEFAULT now()
                    )"""));
            int found;
            try (ResultSet rows = statement.executeQuery(sql("SELECT coalesce(max(version), 0) FROM {s}.schema_version"))) {
                rows.next();
                found = rows.getInt(1);
            }
            for (Migration migration : MIGRATIONS) {
                if (migration.version() > found) {
                    apply(connection, statement, migration);
                }
            }
            return found;
        }
    }

    private boolean schemaExists(Connection connection) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
            query.setString(1, schema);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next();
            }
        }
    }

    private void apply(Connection connection, Statement statement, Migration migration) throws SQLException {
        for (String ddl : migration.statements()) {
            statement.execute(sql(ddl));
        }
        try (PreparedStatement record = connection.prepareStatement(
                sql("INSERT INTO {s}.schema_version (version, description) VALUES (?, ?)"))) {
            record.setInt(1, migration.version());
            record.setString(2, migration.description());
            record.executeUpdate();
        }
    }

    private String sql(String template) {
        return Sql.inSchema(template, schema);
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            // The connection is broken; the pool discards it and the transaction dies with it.
        }
    }
}
