package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The change feed of the postgres backend: every visible change is a row of the {@code changes}
 * table, written in the transaction of the change itself (expiries by the {@link ExpiryReporter}),
 * with a position from a sequence. Each subscription is a {@link ChangeLogReader} on a connection
 * of its own that LISTENs for wake-ups and polls as well.
 *
 * <p>Resume window: {@link ExpirySweeper#CHANGE_RETENTION} of changes, at most the newest
 * {@link ExpirySweeper#CHANGES_KEPT}; the sweeper trims older rows every
 * {@link ExpirySweeper#INTERVAL}. Older positions (and positions of another schema) get
 * {@link FeedListener#onGap}.
 */
final class PostgresChangeFeed implements ChangeFeed {

    private final Database database;
    private final Sql sql;
    private final FeedConnections connections;
    private final String channel;
    private final Set<ChangeLogReader> readers = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    PostgresChangeFeed(Database database, Sql sql, FeedConnections connections, String channel) {
        this.database = database;
        this.sql = sql;
        this.connections = connections;
        this.channel = channel;
    }

    @Override
    public FeedSubscription subscribe(Optional<String> after, FeedListener listener) {
        if (closed) {
            throw new IllegalStateException("the change feed is closed");
        }
        ChangeLogReader reader = new ChangeLogReader(database, sql, connections, channel, after, listener, readers::remove);
        readers.add(reader);
        reader.start();
        return reader;
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
        for (ChangeLogReader reader : readers) {
            reader.close();
        }
    }
}
