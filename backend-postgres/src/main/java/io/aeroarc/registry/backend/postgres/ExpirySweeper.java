package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.BackendUnavailableException;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Deletes rows no read can show any more, in batches, on a background thread. Reads never rely on
 * it: they filter on expiry themselves. Every registry server sharing the database runs one; they
 * skip each other's locked rows instead of waiting.
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
    /** Rows per delete statement, so a sweep never holds many locks or runs long. */
    static final int BATCH_SIZE = 1000;
    /** Statements per table and sweep; what is left waits for the next sweep. */
    static final int MAX_BATCHES = 50;

    private static final System.Logger LOG = System.getLogger(ExpirySweeper.class.getName());
    /** Each sweep scans the placements table, so not more often than this. */
    static final Duration MIN_INTERVAL = Duration.ofSeconds(5);
    static final Duration MAX_INTERVAL = Duration.ofMinutes(1);

    private final Database database;
    private final Sql sql;
    private final Duration deleteGrace;
    private final ScheduledExecutorService scheduler;
    private boolean failing;

    /**
     * @param interval time between sweeps; {@link Duration#ZERO} for none (tests call {@link #sweep()})
     */
    ExpirySweeper(Database database, Sql sql, Duration deleteGrace, Duration interval) {
        this.database = database;
        this.sql = sql;
        this.deleteGrace = deleteGrace;
        if (interval.isZero()) {
            this.scheduler = null;
        } else {
            this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "postgres-backend-sweeper");
                thread.setDaemon(true);
                return thread;
            });
            long millis = interval.toMillis();
            scheduler.scheduleWithFixedDelay(this::sweepQuietly, millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Deletes expired relays and placements invisible for longer than the grace.
     *
     * @return the rows deleted
     * @throws BackendUnavailableException when the database fails
     */
    int sweep() {
        return inBatches(this::deleteExpiredRelays) + inBatches(this::deleteEndedPlacements);
    }

    /** Runs {@code batch} until it deletes less than a full batch, at most {@link #MAX_BATCHES} times. */
    private static int inBatches(IntSupplier batch) {
        int deleted = 0;
        for (int i = 0; i < MAX_BATCHES; i++) {
            int rows = batch.getAsInt();
            deleted += rows;
            if (rows < BATCH_SIZE) {
                break;
            }
        }
        return deleted;
    }

    private int deleteExpiredRelays() {
        return database.run("delete expired relays", connection -> {
            try (PreparedStatement delete = connection.prepareStatement(sql.deleteExpiredRelays)) {
                delete.setInt(1, BATCH_SIZE);
                return delete.executeUpdate();
            }
        });
    }

    private int deleteEndedPlacements() {
        return database.run("delete ended placements", connection -> {
            try (PreparedStatement delete = connection.prepareStatement(sql.deleteEndedPlacements)) {
                delete.setLong(1, deleteGrace.toMillis());
                delete.setInt(2, BATCH_SIZE);
                return delete.executeUpdate();
            }
        });
    }

    private void sweepQuietly() {
        try {
            sweep();
            if (failing) {
                LOG.log(System.Logger.Level.INFO, "expiry sweep works again");
                failing = false;
            }
        } catch (RuntimeException e) {
            // Only storage is at stake, not correctness; say it once per outage, not every sweep.
            if (!failing) {
                LOG.log(System.Logger.Level.WARNING, "expiry sweep failed, retrying every sweep: " + e.getMessage());
                failing = true;
            }
        }
    }

    @Override
    public void close() {
        if (scheduler == null) {
            return;
        }
        scheduler.shutdownNow();
        try {
            // A running sweep ends within one statement timeout; the pool closes after it.
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
