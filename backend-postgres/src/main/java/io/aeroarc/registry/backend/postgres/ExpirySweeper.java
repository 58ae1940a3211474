package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.support.Sweeper;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;

/**
 * Deletes placement rows no read can show any more, and change-log rows older than the feed keeps,
 * in batches, on a background thread. Reads never rely on it: they filter on expiry themselves.
 * Every registry server sharing the database runs one; they skip each other's locked rows instead
 * of waiting. Expired relays are deleted by the {@link ExpiryReporter}, which logs their expiry.
 */
final class ExpirySweeper implements AutoCloseable {

    /**
     * How long a placement row is kept after its last write once it is invisible. Epochs depend on
     * it: a registration that creates a row takes its epoch before inserting, and that epoch is
     * only sure to be the highest yet if no row of the agent written after that moment was
     * deleted before the insert. A statement lasts at most the timeout (at most 20s), so keeping
     * rows for longer than two timeouts rules that out.
     */
    static final Duration DELETE_GRACE = Duration.ofMinutes(1);
    /** Change-log rows per trim statement, so a sweep never holds many locks or runs long. */
    static final int TRIM_BATCH = 10_000;
    /** Trim statements per sweep; what is left waits for the next sweep. */
    static final int MAX_TRIM_BATCHES = 50;
    /** The change feed resumes from positions of the last hour... */
    static final Duration CHANGE_RETENTION = Duration.ofHours(1);
    /** ...and of the newest million changes, whichever is less. */
    static final long CHANGES_KEPT = 1_000_000;
    /** Placement rows one delete statement examines: a bounded key range, so it stays short. */
    static final int PLACEMENT_CHUNK = 1000;
    /** Placement chunks per sweep; a larger table is walked over several sweeps. */
    static final int MAX_PLACEMENT_CHUNKS = 200;

    /** Half the registry's default TTL; each sweep scans the placements table, so not more often. */
    static final Duration INTERVAL = Duration.ofSeconds(15);

    private final Database database;
    private final Sql sql;
    private final Duration deleteGrace;
    private final Sweeper scheduler;
    /** The last placement id the walk examined; "" starts from the beginning of the table. */
    private String placementCursor = "";

    /**
     * @param interval time between sweeps; {@link Duration#ZERO} for none (tests call {@link #sweep()})
     */
    ExpirySweeper(Database database, Sql sql, Duration deleteGrace, Duration interval) {
        this.database = database;
        this.sql = sql;
        this.deleteGrace = deleteGrace;
        this.scheduler = Sweeper.every(interval, "postgres-backend-sweeper", this::sweep);
    }

    /**
     * Deletes placements invisible for longer than the grace, then trims the change log.
     *
     * @return the placement rows deleted
     * @throws BackendUnavailableException when the database fails
     */
    synchronized int sweep() {
        int deleted = deleteEndedPlacements();
        trimChanges(CHANGE_RETENTION, CHANGES_KEPT);
        return deleted;
    }

    /**
     * Deletes the change-log rows older than {@code age} or beyond the newest {@code kept}, oldest
     * first, a batch per statement.
     *
     * @return the rows deleted
     */
    int trimChanges(Duration age, long kept) {
        int deleted = 0;
        for (int i = 0; i < MAX_TRIM_BATCHES; i++) {
            int rows = database.run("trim the change log", connection -> {
                try (PreparedStatement trim = connection.prepareStatement(sql.trimChanges)) {
                    trim.setInt(1, TRIM_BATCH);
                    trim.setLong(2, age.toMillis());
                    trim.setLong(3, kept);
                    try (ResultSet row = trim.executeQuery()) {
                        row.next();
                        return row.getInt(1);
                    }
                }
            });
            deleted += rows;
            if (rows < TRIM_BATCH) {
                break;
            }
        }
        return deleted;
    }

    /**
     * Walks the placements table in key order, one chunk per statement, continuing where the last
     * sweep stopped, until the end of the table or {@link #MAX_PLACEMENT_CHUNKS} chunks.
     */
    private int deleteEndedPlacements() {
        int deleted = 0;
        for (int i = 0; i < MAX_PLACEMENT_CHUNKS; i++) {
            String after = placementCursor;
            Chunk chunk = database.run("delete ended placements", connection -> {
                try (PreparedStatement delete = connection.prepareStatement(sql.deleteEndedPlacements)) {
                    delete.setLong(1, deleteGrace.toMillis());
                    delete.setString(2, after);
                    delete.setInt(3, PLACEMENT_CHUNK);
                    delete.setLong(4, deleteGrace.toMillis());
                    try (ResultSet row = delete.executeQuery()) {
                        row.next();
                        return new Chunk(row.getString(1), row.getInt(2));
                    }
                }
            });
            deleted += chunk.deleted();
            if (chunk.lastId() == null) {
                placementCursor = "";
                break;
            }
            placementCursor = chunk.lastId();
        }
        return deleted;
    }

    /** What one chunk statement did: the last id it examined (null past the end), and the rows it deleted. */
    private record Chunk(String lastId, int deleted) {}

    @Override
    public void close() {
        // A running sweep ends within one statement timeout; the pool closes after it.
        scheduler.close();
    }
}
