package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.support.DaemonThreads;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;
import org.postgresql.PGConnection;

/**
 * One subscription to the change log: a thread with a connection of its own that delivers the
 * rows after its position in position order, waking on NOTIFY and polling every {@link #POLL}
 * (a notification can be lost while a connection is down).
 *
 * <h2>Positions commit out of order</h2>
 * A position is drawn from a sequence before its transaction commits, so a reader can see
 * position 7 committed while 6 is still in flight, or 6 may never come (its transaction rolled
 * back). Delivering 7 and moving on would skip 6 for good. So the reader delivers only up to the
 * first missing position; at such a gap it notes the transactions writing to the change log
 * right then ({@code pg_locks}: every statement that logs a change holds its table lock from
 * before it draws a position until its commit is visible). Any missing position below the visible
 * one belongs to one of those, or to a transaction already over. Once all of those are over, a
 * position still missing was rolled back and is passed over. Writers are never held up; the
 * reader waits at a gap for about as long as the slowest concurrent write.
 */
final class ChangeLogReader implements FeedSubscription {

    /** How long the reader waits for a notification before it looks anyway. */
    static final Duration POLL = Duration.ofMillis(250);
    /** How long it waits before looking again at a gap. */
    static final Duration GAP_RETRY = Duration.ofMillis(5);
    /** Changes per read and per delivery at most. */
    static final int BATCH = 1000;
    /** How far back a subscription "from now" looks for changes still in flight when it starts. */
    static final int START_WINDOW = 10_000;

    private static final System.Logger LOG = System.getLogger(ChangeLogReader.class.getName());

    private final Database database;
    private final Sql sql;
    private final FeedConnections connections;
    private final String channel;
    private final Optional<String> after;
    private final FeedListener listener;
    private final Consumer<ChangeLogReader> onEnd;
    private final Thread thread;
    private volatile boolean closed;
    /** {@link #delivered} for other threads; {@link Long#MIN_VALUE} until the start is known. */
    private volatile long position = Long.MIN_VALUE;
    /** For measurements: reads, and waits at gaps. */
    private volatile long reads;
    private volatile long gapWaits;
    private volatile long readNanos;
    private volatile long rowsRead;

    // The reader's state; only its thread touches it.
    /** Every position up to here is delivered, or known never to come. */
    private long delivered;
    /** Every missing position up to here is known never to come. */
    private long finalThrough;
    /** The change-log writers at the last gap, and the position that was visible then. */
    private String[] gapWriters;
    private long gapCoveredBelow;
    /** A subscription "from now": changes up to {@code startedAt} are old unless they were missing then. */
    private long startedAt = Long.MIN_VALUE;
    private Set<Long> missingAtStart = Set.of();

    ChangeLogReader(Database database, Sql sql, FeedConnections connections, String channel, Optional<String> after,
            FeedListener listener, Consumer<ChangeLogReader> onEnd) {
        this.database = database;
        this.sql = sql;
        this.connections = connections;
        this.channel = channel;
        this.after = after;
        this.listener = listener;
        this.onEnd = onEnd;
        this.thread = DaemonThreads.named("postgres-change-feed").newThread(this::run);
    }

    void start() {
        thread.start();
    }

    private void run() {
        try {
            // Through the pool once: it migrates the schema when no call has yet.
            database.run("change feed start", connection -> null);
            try (Connection connection = connections.open()) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN " + Sql.quoted(channel));
                }
                if (start(connection)) {
                    position = delivered;
                    follow(connection);
                }
            }
        } catch (SQLException e) {
            fail(new BackendUnavailableException("postgres: change feed failed: " + e.getMessage(), e));
        } catch (BackendUnavailableException e) {
            fail(e);
        } catch (ListenerFailed e) {
            LOG.log(System.Logger.Level.ERROR, "a change feed listener threw; its subscription ends", e.getCause());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "the change feed failed", e);
            fail(new BackendUnavailableException("postgres: change feed failed: " + e, e));
        } finally {
            onEnd.accept(this);
        }
    }

    /** Sets the start position; false (after onGap) when the given one is not kept. */
    private boolean start(Connection connection) throws SQLException {
        if (after.isPresent()) {
            long position;
            try {
                position = Long.parseLong(after.get());
            } catch (NumberFormatException e) {
                return gap("position " + after.get() + " is not one of this change log");
            }
            try (PreparedStatement statement = connection.prepareStatement(sql.latestChange);
                    ResultSet row = statement.executeQuery()) {
                row.next();
                long through = row.getLong(1);
                long drawn = row.getLong(2);
                if (position < through) {
                    return gap("position " + position + " is older than the change log keeps (it keeps positions after " + through + ")");
                }
                if (position > drawn) {
                    return gap("position " + position + " is not one of this change log (its newest is " + drawn + ")");
                }
            }
            delivered = position;
            finalThrough = position;
            return true;
        }
        try (PreparedStatement statement = connection.prepareStatement(sql.feedStart)) {
            statement.setInt(1, START_WINDOW);
            statement.setInt(2, START_WINDOW);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                long newest = row.getLong(2);
                Long[] missing = (Long[]) row.getArray(3).getArray();
                startedAt = newest;
                finalThrough = newest;
                if (missing.length == 0) {
                    delivered = newest;
                    return true;
                }
                // Changes missing now commit after "now": they are delivered, the others up to
                // newest are not; no later one before them.
                missingAtStart = new HashSet<>(Arrays.asList(missing));
                delivered = missing[0] - 1;
                finalThrough = delivered;
            }
        }
        gapWriters = changeWriters(connection);
        gapCoveredBelow = startedAt + 1;
        return true;
    }

    private void follow(Connection connection) throws SQLException {
        while (!closed) {
            Batch batch = read(connection);
            if (delivered < batch.through()) {
                gap("position " + delivered + " is older than the change log keeps (it keeps positions after " + batch.through() + ")");
                return;
            }
            List<FleetChange> changes = new ArrayList<>();
            long blockedAt = 0;
            for (FleetChange change : batch.changes()) {
                long seq = Long.parseLong(change.position());
                // Deliverable when every position between the last delivered and this one is
                // known never to come.
                if (seq - 1 > delivered && seq - 1 > finalThrough) {
                    blockedAt = seq;
                    break;
                }
                delivered = seq;
                if (seq > startedAt || missingAtStart.contains(seq)) {
                    changes.add(change);
                }
            }
            if (!changes.isEmpty() && !closed) {
                deliver(changes);
            }
            position = delivered;
            if (blockedAt != 0) {
                passGap(connection, blockedAt);
            } else if (batch.changes().size() < BATCH) {
                awaitNotification(connection, POLL);
            }
        }
    }

    /** At a gap below {@code visible}: waits for it to fill, or passes it once it never can. */
    private void passGap(Connection connection, long visible) throws SQLException {
        gapWaits++;
        if (gapWriters == null || delivered + 1 >= gapCoveredBelow) {
            gapWriters = changeWriters(connection);
            gapCoveredBelow = visible;
            if (gapWriters.length > 0) {
                awaitNotification(connection, GAP_RETRY);
                return;
            }
        } else if (!changeWritersGone(connection, gapWriters)) {
            awaitNotification(connection, GAP_RETRY);
            return;
        }
        // Every writer that could still commit a missing position below gapCoveredBelow is over:
        // what is missing there now never comes. The next read delivers past it.
        finalThrough = Math.max(finalThrough, gapCoveredBelow - 1);
        gapWriters = null;
    }

    private record Batch(long through, List<FleetChange> changes) {}

    private Batch read(Connection connection) throws SQLException {
        reads++;
        long started = System.nanoTime();
        try (PreparedStatement statement = connection.prepareStatement(sql.readChanges)) {
            statement.setLong(1, delivered);
            statement.setInt(2, BATCH);
            try (ResultSet rows = statement.executeQuery()) {
                long through = Long.MIN_VALUE;
                List<FleetChange> changes = new ArrayList<>();
                while (rows.next()) {
                    through = rows.getLong(1);
                    rows.getLong(2);
                    if (!rows.wasNull()) {
                        changes.add(ChangeRows.change(rows, 2));
                    }
                }
                readNanos += System.nanoTime() - started;
                rowsRead += changes.size();
                return new Batch(through, changes);
            }
        }
    }

    private String[] changeWriters(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql.changeWriters);
                ResultSet row = statement.executeQuery()) {
            row.next();
            return (String[]) row.getArray(1).getArray();
        }
    }

    private boolean changeWritersGone(Connection connection, String[] writers) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql.changeWritersGone)) {
            statement.setArray(1, connection.createArrayOf("text", writers));
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getBoolean(1);
            }
        }
    }

    /** Waits up to {@code timeout} for a notification on the channel; bounded by the socket timeout. */
    private void awaitNotification(Connection connection, Duration timeout) throws SQLException {
        connection.unwrap(PGConnection.class).getNotifications((int) Math.max(1, timeout.toMillis()));
    }

    private void deliver(List<FleetChange> changes) {
        try {
            listener.onChanges(List.copyOf(changes));
        } catch (RuntimeException e) {
            throw new ListenerFailed(e);
        }
    }

    private boolean gap(String why) {
        if (!closed) {
            closed = true;
            try {
                listener.onGap(why);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "a change feed listener threw from onGap", e);
            }
        }
        return false;
    }

    private void fail(BackendUnavailableException cause) {
        if (!closed) {
            closed = true;
            try {
                listener.onFailure(cause);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "a change feed listener threw from onFailure", e);
            }
        }
    }

    /**
     * A position every change up to which is delivered or known never to come; empty until the
     * reader has started. Any change that commits later is after it.
     */
    OptionalLong position() {
        long current = position;
        return current == Long.MIN_VALUE ? OptionalLong.empty() : OptionalLong.of(current);
    }

    /** For measurements: the reads so far and the times it stopped at a gap. */
    String stats() {
        return reads + " reads (" + rowsRead + " rows, " + readNanos / 1_000_000 + " ms), " + gapWaits + " gap waits";
    }

    /** Stops the subscription; a read in progress ends within the connection's timeouts. Never throws. */
    @Override
    public void close() {
        closed = true;
    }

    /** A listener's exception, carried out of the loop so it is not mistaken for a storage failure. */
    private static final class ListenerFailed extends RuntimeException {
        ListenerFailed(RuntimeException cause) {
            super(cause);
        }
    }
}
