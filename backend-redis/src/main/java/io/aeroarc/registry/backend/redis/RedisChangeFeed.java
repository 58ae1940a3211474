package io.aeroarc.registry.backend.redis;

import static io.aeroarc.registry.backend.redis.Replies.toList;
import static io.aeroarc.registry.backend.redis.Replies.toLong;
import static io.aeroarc.registry.backend.redis.Replies.toText;

import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The change feed of the Redis backend: a Redis stream ({@code P changes}) that every writing
 * script appends to in the same atomic step as its write, and the {@link RedisExpiryReporter}
 * appends expiries to. Entry ids are consecutive numbers, so a reader knows for sure whether it
 * missed one (trimmed away, or Redis lost its data): then it reports a gap instead.
 *
 * <p>Each subscription reads on its own connection and thread ({@link RedisFeedSubscription}).
 * The registry server subscribes once per backend and fans out itself, so this is one connection
 * per server, not per watcher.
 */
final class RedisChangeFeed implements ChangeFeed {

    private final ScriptRunner scripts;
    private final String keyPrefix;
    private final int maxLen;
    private final Set<RedisFeedSubscription> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    RedisChangeFeed(ScriptRunner scripts, String keyPrefix, int maxLen) {
        this.scripts = scripts;
        this.keyPrefix = keyPrefix;
        this.maxLen = maxLen;
    }

    /**
     * Starting "now" (no position) reads the current last position with one script call on the
     * caller's thread, at most the Redis timeout, so the subscription covers every change written
     * after this method returns; a failure there reaches the listener as onFailure like any
     * other. A given position is checked on the subscription's own thread.
     */
    @Override
    public FeedSubscription subscribe(Optional<String> after, FeedListener listener) {
        RedisFeedSubscription.Start start;
        if (closed) {
            start = RedisFeedSubscription.Start.failed(new BackendUnavailableException("the Redis change feed is closed"));
        } else if (after.isPresent()) {
            start = RedisFeedSubscription.Start.resumeAfter(after.get());
        } else {
            try {
                start = RedisFeedSubscription.Start.at(startNow());
            } catch (BackendUnavailableException e) {
                start = RedisFeedSubscription.Start.failed(e);
            }
        }
        RedisFeedSubscription subscription = new RedisFeedSubscription(this, scripts, changesKey(), start, listener);
        open.add(subscription);
        subscription.start();
        return subscription;
    }

    /** The seq of the last change written. */
    private long startNow() {
        List<Object> reply = toList(scripts.run(RegistryScript.FEED_START, List.of(keyPrefix, "")));
        return Long.parseLong(toText(reply.get(1)));
    }

    /** Whether every change after {@code seq} is still in the stream, checked atomically against writes. */
    boolean resumable(long seq) {
        List<Object> reply = toList(scripts.run(RegistryScript.FEED_START, List.of(keyPrefix, Long.toString(seq))));
        return toLong(reply.get(0)) == 1;
    }

    private String changesKey() {
        return keyPrefix + "changes";
    }

    void ended(RedisFeedSubscription subscription) {
        open.remove(subscription);
    }

    @Override
    public String resumeWindow() {
        return "the last ~" + maxLen + " changes (backend option " + RedisSettings.FEED_MAX_LEN
                + "), kept in the Redis stream " + changesKey() + "; none after Redis loses its data";
    }

    @Override
    public void close() {
        closed = true;
        for (RedisFeedSubscription subscription : List.copyOf(open)) {
            subscription.close();
        }
    }
}
