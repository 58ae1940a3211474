package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.support.Sweeper;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;

/**
 * Logs expiries in the change log within a second of them, even when no call touches the
 * entries: every registry server on the database runs one, and each expiry is claimed and logged
 * by exactly one of them in one transaction ({@link Sql#reportExpiredRelays},
 * {@link Sql#reportExpiredPlacements}). Reads never depend on it; they check expiry themselves.
 */
final class ExpiryReporter implements AutoCloseable {

    /** Well inside the feed's one-second expiry bound, leaving room for the reader's poll. */
    static final Duration INTERVAL = Duration.ofMillis(200);
    /** Rows per statement, so a tick never holds many locks or runs long. */
    static final int BATCH_SIZE = 1000;
    /** Statements per kind per tick; a larger backlog (after an outage) waits for the next ticks. */
    static final int MAX_BATCHES = 20;

    private final Database database;
    private final Sql sql;
    private final ChangeNotifier notifier;
    private final Sweeper scheduler;

    /** @param interval time between ticks; {@link Duration#ZERO} for none (tests call {@link #tick()}) */
    ExpiryReporter(Database database, Sql sql, ChangeNotifier notifier, Duration interval) {
        this.database = database;
        this.sql = sql;
        this.notifier = notifier;
        this.scheduler = Sweeper.every(interval, "postgres-expiry-reporter", this::tick);
    }

    /** What one tick did. */
    record Tick(int relaysExpired, int placementsChecked, int placementsExpired) {}

    /**
     * Logs the expiries due now, relays first (a relay's end implies its placements').
     *
     * @throws BackendUnavailableException when the database fails
     */
    synchronized Tick tick() {
        int relays = 0;
        for (int i = 0; i < MAX_BATCHES; i++) {
            Counts batch = run("report expired relays", sql.reportExpiredRelays);
            relays += batch.rows();
            if (batch.rows() < BATCH_SIZE) {
                break;
            }
        }
        int checked = 0;
        int expired = 0;
        for (int i = 0; i < MAX_BATCHES; i++) {
            Counts batch = run("report expired placements", sql.reportExpiredPlacements);
            checked += batch.rows();
            expired += batch.logged();
            if (batch.rows() < BATCH_SIZE) {
                break;
            }
        }
        return new Tick(relays, checked, expired);
    }

    private Counts run(String operation, String statementSql) {
        Counts counts = database.run(operation, connection -> {
            try (PreparedStatement statement = connection.prepareStatement(statementSql)) {
                statement.setInt(1, BATCH_SIZE);
                try (ResultSet row = statement.executeQuery()) {
                    row.next();
                    return new Counts(row.getInt(1), row.getInt(2));
                }
            }
        });
        notifier.logged(counts.logged());
        return counts;
    }

    /** Rows a statement claimed, and the changes it logged. */
    private record Counts(int rows, int logged) {}

    @Override
    public void close() {
        scheduler.close();
    }
}
