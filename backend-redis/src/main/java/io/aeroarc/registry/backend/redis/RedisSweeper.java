package io.aeroarc.registry.backend.redis;

import static io.aeroarc.registry.backend.redis.Replies.toList;
import static io.aeroarc.registry.backend.redis.Replies.toLong;
import static io.aeroarc.registry.backend.redis.Replies.toText;

import io.aeroarc.registry.spi.support.Sweeper;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Removes the per-relay index entries of placements that expired while their relay stayed live,
 * and moves on the scores of placements renewed since their score was written (agents renewing
 * less often than every half TTL, see {@code reindex_due} in prelude.lua), in short script calls
 * on a daemon thread. (The global indexes are the
 * {@link RedisExpiryReporter}'s: it reports each end as it drops it.) Reads never depend on it:
 * they check every entry's expiry themselves. Every registry server runs one; they may overlap
 * harmlessly because each call is atomic and idempotent.
 *
 * <p>Each script call does a bounded amount of work, and the sweeper pauses after each call for a
 * multiple of the time the call took, so a sweep with much to do spreads it out rather than
 * holding Redis for long stretches. A sweep makes at most {@link #MAX_CALLS_PER_INDEX} calls; what
 * is left waits for the next sweep, which continues where this one stopped.
 */
final class RedisSweeper implements AutoCloseable {

    /** Relays whose own indexes one call looks at, and entries scored at or before now it settles there at most. */
    static final int RELAY_INDEXES_PER_CALL = 100;
    static final int RELAY_INDEX_ENTRIES_PER_CALL = 500;
    /** Calls per sweep at most. */
    static final int MAX_CALLS_PER_INDEX = 200;
    /** After each call the sweeper waits this many times as long as the call took... */
    private static final int PAUSE_FACTOR = 3;
    /** ...and at least this long, so Redis serves other clients between the sweeper's calls. */
    private static final long MIN_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ScriptRunner scripts;
    private final String keyPrefix;
    private final Sweeper sweeper;
    /** Where the per-relay pass continues; only the sweeper thread (or a test calling sweepOnce) uses it. */
    private String relayIndexCursor = "";

    RedisSweeper(ScriptRunner scripts, String keyPrefix, Duration interval) {
        this.scripts = scripts;
        this.keyPrefix = keyPrefix;
        this.sweeper = Sweeper.every(interval, "redis-backend-sweeper", this::sweepOnce);
    }

    /**
     * Removes expired placements from the indexes of live relays, and re-scores renewed ones.
     *
     * @return the entries removed
     * @throws InterruptedException when the sweeper closes during a pause
     */
    synchronized int sweepOnce() throws InterruptedException {
        return sweepRelayIndexes();
    }

    private int sweepRelayIndexes() throws InterruptedException {
        int removed = 0;
        for (int calls = 0; calls < MAX_CALLS_PER_INDEX; calls++) {
            long started = System.nanoTime();
            List<Object> reply = toList(scripts.run(RegistryScript.SWEEP_RELAY_INDEXES, List.of(keyPrefix,
                    relayIndexCursor, Integer.toString(RELAY_INDEXES_PER_CALL),
                    Integer.toString(RELAY_INDEX_ENTRIES_PER_CALL))));
            removed += (int) toLong(reply.get(0));
            boolean ended = toLong(reply.get(2)) == 1;
            relayIndexCursor = ended ? "" : toText(reply.get(1));
            if (ended) {
                break;
            }
            pauseAfter(started);
        }
        return removed;
    }

    private static void pauseAfter(long startedNanos) throws InterruptedException {
        long took = System.nanoTime() - startedNanos;
        TimeUnit.NANOSECONDS.sleep(Math.max(MIN_PAUSE_NANOS, PAUSE_FACTOR * took));
    }

    @Override
    public void close() {
        sweeper.close();
    }
}
