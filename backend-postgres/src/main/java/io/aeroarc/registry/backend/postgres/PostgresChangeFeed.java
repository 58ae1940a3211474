package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.support.DaemonThreads;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The change feed of the postgres backend: every visible change is a row of the {@code changes}
 * table, written in the transaction of the change itself (expiries by the {@link ExpiryReporter}),
 * with a position from a sequence. Each subscription is a {@link ChangeLogReader} on a connection
 * of its own that LISTENs for wake-ups and polls as well.
 *
 * <p>"From now" needs a position without waiting for the database at {@link #subscribe}: the feed
 * keeps one reader of its own (the head) following the log from when the feed opened, and a
 * subscription from now resumes after the head's position at the call. Every change committed
 * after the call is after that position; a change committed just before it may be delivered too
 * (the head trails by about a notification).
 *
 * <p>Resume window: {@link ExpirySweeper#CHANGE_RETENTION} of changes, at most the newest
 * {@link ExpirySweeper#CHANGES_KEPT}; the sweeper trims older rows every
 * {@link ExpirySweeper#INTERVAL}. Older positions (and positions of another schema) get
 * {@link FeedListener#onGap}.
 */
final class PostgresChangeFeed implements ChangeFeed {

    private static final System.Logger LOG = System.getLogger(PostgresChangeFeed.class.getName());

    private final Database database;
    private final Sql sql;
    private final FeedConnections connections;
    private final String channel;
    private final Set<ChangeLogReader> readers = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService restarts = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("postgres-change-feed-head"));
    private volatile ChangeLogReader head;
    /** The last position the head reached, kept across its restarts. */
    private volatile OptionalLong lastHead = OptionalLong.empty();
    private volatile boolean closed;

    /** Starts the head and waits up to {@code startWait} for it to know its position (not at all when the database is down). */
    PostgresChangeFeed(Database database, Sql sql, FeedConnections connections, String channel, Duration startWait) {
        this.database = database;
        this.sql = sql;
        this.connections = connections;
        this.channel = channel;
        startHead(Optional.empty());
        long deadline = System.nanoTime() + startWait.toNanos();
        while (headPosition().isEmpty() && head != null && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    @Override
    public FeedSubscription subscribe(Optional<String> after, FeedListener listener) {
        if (closed) {
            throw new IllegalStateException("the change feed is closed");
        }
        Optional<String> start = after;
        if (after.isEmpty()) {
            OptionalLong now = headPosition();
            if (now.isEmpty()) {
                return failedAtOnce(listener);
            }
            start = Optional.of(Long.toString(now.getAsLong()));
        }
        ChangeLogReader reader = new ChangeLogReader(database, sql, connections, channel, start, listener, readers::remove);
        readers.add(reader);
        reader.start();
        return reader;
    }

    private OptionalLong headPosition() {
        ChangeLogReader current = head;
        OptionalLong position = current == null ? OptionalLong.empty() : current.position();
        return position.isPresent() ? position : lastHead;
    }

    /** Starts the head reader after {@code after}, or from now; it starts again whenever it ends. */
    private void startHead(Optional<String> after) {
        if (closed) {
            return;
        }
        ChangeLogReader reader = new ChangeLogReader(database, sql, connections, channel, after, new HeadListener(), this::headEnded);
        head = reader;
        reader.start();
    }

    private void headEnded(ChangeLogReader ended) {
        ended.position().ifPresent(position -> lastHead = OptionalLong.of(position));
        if (!closed) {
            restarts.schedule(() -> startHead(lastHead.isPresent() ? Optional.of(Long.toString(lastHead.getAsLong())) : Optional.empty()),
                    ChangeLogReader.POLL.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** The head only moves its position; a gap (it was away longer than the log keeps) starts it from now. */
    private final class HeadListener implements FeedListener {
        @Override
        public void onChanges(List<FleetChange> changes) {}

        @Override
        public void onGap(String why) {
            LOG.log(System.Logger.Level.WARNING, "the change feed's head lost its place (" + why + "); it starts from now");
            lastHead = OptionalLong.empty();
        }

        @Override
        public void onFailure(BackendUnavailableException cause) {
            LOG.log(System.Logger.Level.DEBUG, "the change feed's head failed; it starts again: {0}", cause.getMessage());
        }
    }

    /** A subscription from now before the feed ever reached the database: the outage, as the contract says. */
    private FeedSubscription failedAtOnce(FeedListener listener) {
        restarts.execute(() -> listener.onFailure(new BackendUnavailableException(
                "postgres: the change log has not been reachable since the feed opened")));
        return () -> {};
    }

    @Override
    public String resumeWindow() {
        return "the last " + ExpirySweeper.CHANGE_RETENTION.toMinutes() + " minutes of changes, at most the newest "
                + ExpirySweeper.CHANGES_KEPT + " (the database's change log, trimmed every "
                + ExpirySweeper.INTERVAL.toSeconds() + " s)";
    }

    @Override
    public void close() {
        closed = true;
        restarts.shutdownNow();
        ChangeLogReader current = head;
        if (current != null) {
            current.close();
        }
        for (ChangeLogReader reader : readers) {
            reader.close();
        }
    }
}
