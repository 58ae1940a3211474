package io.aeroarc.registry.backend.redis;

import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.support.DaemonThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XReadParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * One subscription to the change stream: a daemon thread with its own connection, reading with
 * {@code XREAD BLOCK} after the last position it delivered. Every entry must be the one right after
 * the previous (ids are consecutive), else the changes in between are gone and the listener gets
 * onGap. A Redis failure (no connection, no answer within the block time plus the timeout) ends it
 * with onFailure; the consumer subscribes again after its last position.
 */
final class RedisFeedSubscription implements FeedSubscription {

    /** How long one XREAD waits for changes: also how soon a closed subscription notices. */
    static final Duration BLOCK = Duration.ofMillis(500);
    /** Changes one XREAD returns at most, delivered in one onChanges call. */
    static final int BATCH = 1000;

    private static final System.Logger LOG = System.getLogger(RedisFeedSubscription.class.getName());

    /** Where a subscription starts: after a known seq, after a position still to check, or failed at once. */
    record Start(long seq, Optional<String> unchecked, Optional<BackendUnavailableException> failure) {

        static Start at(long seq) {
            return new Start(seq, Optional.empty(), Optional.empty());
        }

        static Start resumeAfter(String position) {
            return new Start(0, Optional.of(position), Optional.empty());
        }

        static Start failed(BackendUnavailableException failure) {
            return new Start(0, Optional.empty(), Optional.of(failure));
        }
    }

    private final RedisChangeFeed feed;
    private final ScriptRunner scripts;
    private final String changesKey;
    private final Start start;
    private final FeedListener listener;
    private final Thread thread;
    private volatile boolean closed;

    RedisFeedSubscription(RedisChangeFeed feed, ScriptRunner scripts, String changesKey, Start start, FeedListener listener) {
        this.feed = feed;
        this.scripts = scripts;
        this.changesKey = changesKey;
        this.start = start;
        this.listener = listener;
        this.thread = DaemonThreads.named("redis-change-feed").newThread(this::run);
    }

    void start() {
        thread.start();
    }

    private void run() {
        try {
            if (start.failure().isPresent()) {
                failed(start.failure().get());
                return;
            }
            long last = start.unchecked().isPresent() ? checkedStart(start.unchecked().get()) : start.seq();
            if (last < 0) {
                return;
            }
            try (Jedis connection = scripts.openDedicated(BLOCK)) {
                follow(connection, last);
            }
        } catch (JedisException e) {
            failed(asUnavailable(RedisErrors.classify(scripts.description(), "XREAD " + changesKey, e)));
        } catch (BackendUnavailableException e) {
            failed(e);
        } catch (RuntimeException e) {
            failed(new BackendUnavailableException("redis change feed failed: " + e, e));
        } finally {
            feed.ended(this);
        }
    }

    /** The seq to continue after, or -1 after reporting the gap. */
    private long checkedStart(String position) {
        long seq;
        try {
            seq = Long.parseLong(position);
        } catch (NumberFormatException e) {
            gap("position " + position + " is not one of this feed's");
            return -1;
        }
        if (seq < 0 || !feed.resumable(seq)) {
            gap("the changes after position " + position + " are no longer all in the Redis stream " + changesKey
                    + " (older than the last feed-max-len changes, or Redis lost its data)");
            return -1;
        }
        return seq;
    }

    private void follow(Jedis connection, long after) {
        long last = after;
        XReadParams read = XReadParams.xReadParams().block((int) BLOCK.toMillis()).count(BATCH);
        while (!closed) {
            List<Map.Entry<String, List<StreamEntry>>> reply = connection.xread(read, Map.of(changesKey, new StreamEntryID(last, 0)));
            if (closed) {
                return;
            }
            if (reply == null || reply.isEmpty()) {
                continue;
            }
            List<StreamEntry> entries = reply.get(0).getValue();
            List<FleetChange> changes = new ArrayList<>(entries.size());
            for (StreamEntry entry : entries) {
                long seq = entry.getID().getTime();
                if (seq != last + 1) {
                    if (!changes.isEmpty()) {
                        deliver(changes);
                    }
                    gap("the Redis stream " + changesKey + " went from change " + last + " to " + seq
                            + ": the changes in between were trimmed (the reader fell more than feed-max-len behind)"
                            + " or Redis lost its data");
                    return;
                }
                changes.add(ChangeEntries.decode(seq, entry.getFields()));
                last = seq;
            }
            if (!changes.isEmpty()) {
                deliver(changes);
            }
        }
    }

    private void deliver(List<FleetChange> changes) {
        if (closed) {
            return;
        }
        try {
            listener.onChanges(List.copyOf(changes));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "change feed listener failed; continuing with the next changes", e);
        }
    }

    private void gap(String why) {
        if (!closed) {
            closed = true;
            listener.onGap(why);
        }
    }

    private void failed(BackendUnavailableException cause) {
        if (!closed) {
            closed = true;
            listener.onFailure(cause);
        }
    }

    private static BackendUnavailableException asUnavailable(RuntimeException classified) {
        return classified instanceof BackendUnavailableException unavailable ? unavailable
                : new BackendUnavailableException(classified.getMessage(), classified);
    }

    /** Stops calls to the listener; the thread ends within {@link #BLOCK} or its read's timeout. */
    @Override
    public void close() {
        closed = true;
    }
}
