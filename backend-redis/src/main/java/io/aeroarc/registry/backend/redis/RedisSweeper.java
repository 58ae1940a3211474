package io.aeroarc.registry.backend.redis;

import static io.aeroarc.registry.backend.redis.Replies.toList;
import static io.aeroarc.registry.backend.redis.Replies.toLong;
import static io.aeroarc.registry.backend.redis.Replies.toText;

import io.aeroarc.registry.spi.BackendUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Removes index entries of relays and placements that ended, in bounded script calls on a daemon
 * thread. Reads never depend on it: they check every entry's expiry themselves. Every registry
 * server runs one; they may overlap harmlessly because each call is atomic and idempotent.
 */
final class RedisSweeper implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RedisSweeper.class.getName());

    /** Entries one script call removes at most, so Redis is never blocked for long. */
    static final int ENTRIES_PER_CALL = 500;
    private static final int RELAYS_PER_CALL = 100;
    /** Calls per sweep at most; what is left waits for the next sweep. */
    private static final int MAX_CALLS_PER_SWEEP = 200;

    private final ScriptRunner scripts;
    private final String keyPrefix;
    private final ScheduledExecutorService executor;

    RedisSweeper(ScriptRunner scripts, String keyPrefix, Duration interval) {
        this.scripts = scripts;
        this.keyPrefix = keyPrefix;
        this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "redis-backend-sweeper");
            thread.setDaemon(true);
            return thread;
        });
        long millis = interval.toMillis();
        executor.scheduleWithFixedDelay(this::sweepQuietly, millis, millis, TimeUnit.MILLISECONDS);
    }

    /**
     * Removes ended relays and placements from the global indexes, then expired placements from the
     * indexes of each live relay.
     *
     * @return the entries removed
     */
    int sweepOnce() {
        int removed = 0;
        int calls = 0;
        boolean more = true;
        while (more && calls++ < MAX_CALLS_PER_SWEEP) {
            List<Object> reply = toList(scripts.run(RegistryScript.SWEEP_EXPIRED,
                    List.of(keyPrefix, Integer.toString(ENTRIES_PER_CALL))));
            removed += (int) toLong(reply.get(0));
            more = toLong(reply.get(1)) == 1;
        }
        String afterRelay = "";
        boolean ended = false;
        while (!ended && calls++ < MAX_CALLS_PER_SWEEP) {
            List<Object> reply = toList(scripts.run(RegistryScript.SWEEP_RELAY_INDEXES, List.of(keyPrefix, afterRelay,
                    Integer.toString(RELAYS_PER_CALL), Integer.toString(ENTRIES_PER_CALL))));
            removed += (int) toLong(reply.get(0));
            afterRelay = toText(reply.get(1));
            ended = toLong(reply.get(2)) == 1;
        }
        return removed;
    }

    private void sweepQuietly() {
        try {
            sweepOnce();
        } catch (BackendUnavailableException e) {
            // Redis is away; requests report that. The next sweep catches up.
            LOG.log(System.Logger.Level.DEBUG, "redis backend sweep skipped: {0}", e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "redis backend sweep failed", e);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
