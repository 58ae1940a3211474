package io.aeroarc.registry.backend.redis;

import static io.aeroarc.registry.backend.redis.Replies.toList;
import static io.aeroarc.registry.backend.redis.Replies.toLong;

import io.aeroarc.registry.spi.support.Sweeper;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reports expiries to the change stream: every {@link #INTERVAL} it pops the relays and placements
 * whose expiry passed from the expiry indexes ({@code relay-expiries}, {@code agent-expiries}),
 * and in the same script records each end in the stream and drops the entry. Every registry
 * server runs one; since a script is atomic, whichever server pops an entry reports it, once.
 *
 * <p>Relay scores are exact (every renewal rewrites them), and an agent's score is at most its
 * expiry and stays ahead of now while the agent renews more often than every half TTL (see
 * {@code reindex_due} in prelude.lua), so an idle fleet costs one short script per interval that
 * finds nothing. An agent it finds renewed since gets its expiry as its score. With a backlog (a mass expiry) each script does a
 * bounded amount of work (about 1 ms) and the reporter pauses after each for twice as long as it
 * took, so Redis keeps serving everyone else: the issue-17 lesson. A mass expiry of 100,000
 * placements is thus reported over about 4 s, not within the usual lag.
 *
 * <p>It replaces the sweeper's pass over the global indexes: an expired entry must not be dropped
 * without being reported.
 */
final class RedisExpiryReporter implements AutoCloseable {

    /** Short enough that an expiry reaches the stream well within ChangeFeed.EXPIRY_LAG_BOUND_MS. */
    static final Duration INTERVAL = Duration.ofMillis(200);
    /** Ended relays one call reports at most, counting the placements reported with them. */
    static final int RELAYS_PER_CALL = 100;
    /** Ended placements one call reports at most: about 11 commands, ~12 us of Redis time each. */
    static final int AGENTS_PER_CALL = 100;
    /** With a backlog the reporter waits after each call this many times as long as the call took... */
    private static final int PAUSE_FACTOR = 2;
    /** ...and at least this long, so Redis serves other clients between the reporter's calls. */
    private static final long MIN_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ScriptRunner scripts;
    private final String keyPrefix;
    private final String feedMaxLen;
    private final Sweeper timer;

    /** @param interval {@link Duration#ZERO} runs no thread: tests call {@link #reportOnce()} */
    RedisExpiryReporter(ScriptRunner scripts, String keyPrefix, int feedMaxLen, Duration interval) {
        this.scripts = scripts;
        this.keyPrefix = keyPrefix;
        this.feedMaxLen = Integer.toString(feedMaxLen);
        this.timer = Sweeper.every(interval, "redis-expiry-reporter", this::reportOnce);
    }

    /**
     * Reports and drops everything expired by now, in as many bounded calls as it takes.
     *
     * @return the entries dropped
     * @throws InterruptedException when the reporter closes during a pause
     */
    synchronized int reportOnce() throws InterruptedException {
        int dropped = 0;
        boolean relaysLeft = true;
        boolean agentsLeft = true;
        while (relaysLeft || agentsLeft) {
            long started = System.nanoTime();
            List<Object> reply = toList(scripts.run(RegistryScript.REPORT_EXPIRED, List.of(keyPrefix, feedMaxLen,
                    Integer.toString(relaysLeft ? RELAYS_PER_CALL : 0), Integer.toString(agentsLeft ? AGENTS_PER_CALL : 0))));
            dropped += (int) toLong(reply.get(0));
            relaysLeft = toLong(reply.get(1)) == 1;
            agentsLeft = toLong(reply.get(2)) == 1;
            if (relaysLeft || agentsLeft) {
                long took = System.nanoTime() - started;
                TimeUnit.NANOSECONDS.sleep(Math.max(MIN_PAUSE_NANOS, PAUSE_FACTOR * took));
            }
        }
        return dropped;
    }

    @Override
    public void close() {
        timer.close();
    }
}
