package io.aeroarc.registry.backend.redis;

import static io.aeroarc.registry.backend.redis.Replies.toList;
import static io.aeroarc.registry.backend.redis.Replies.toLong;
import static io.aeroarc.registry.backend.redis.Replies.toText;

import io.aeroarc.registry.spi.support.Sweeper;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Removes index entries of relays and placements that ended, in short script calls on a daemon
 * thread. Reads never depend on it: they check every entry's expiry themselves. Every registry
 * server runs one; they may overlap harmlessly because each call is atomic and idempotent.
 *
 * <p>Each script call does a bounded amount of work, and the sweeper pauses after each call for a
 * multiple of the time the call took, so a sweep with much to do spreads it out rather than
 * holding Redis for long stretches. Each index (ended relays, ended agents, the per-relay agent
 * indexes) has its own call budget per sweep, so a backlog in one never starves the others; what
 * is left waits for the next sweep, and the per-relay pass continues where it stopped.
 */
final class RedisSweeper implements AutoCloseable {

    /** Ended relays one call drops at most (each unlinks its indexes, which Redis frees lazily). */
    static final int RELAYS_PER_CALL = 100;
    /** Ended agents one call drops at most: about 7 commands each. */
    static final int AGENTS_PER_CALL = 100;
    /** Relays whose own indexes one call looks at, and expired entries it drops from them at most. */
    static final int RELAY_INDEXES_PER_CALL = 100;
    static final int RELAY_INDEX_ENTRIES_PER_CALL = 500;
    /** Calls per index per sweep at most. */
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
     * Removes ended relays and placements from the global indexes, then expired placements from the
     * indexes of live relays.
     *
     * @return the entries removed
     * @throws InterruptedException when the sweeper closes during a pause
     */
    synchronized int sweepOnce() throws InterruptedException {
        return sweepGlobalIndexes() + sweepRelayIndexes();
    }

    private int sweepGlobalIndexes() throws InterruptedException {
        int removed = 0;
        int relayCalls = 0;
        int agentCalls = 0;
        boolean relaysLeft = true;
        boolean agentsLeft = true;
        while (relaysLeft || agentsLeft) {
            int relayBudget = relaysLeft ? RELAYS_PER_CALL : 0;
            int agentBudget = agentsLeft ? AGENTS_PER_CALL : 0;
            long started = System.nanoTime();
            List<Object> reply = toList(scripts.run(RegistryScript.SWEEP_EXPIRED,
                    List.of(keyPrefix, Integer.toString(relayBudget), Integer.toString(agentBudget))));
            removed += (int) toLong(reply.get(0));
            relaysLeft = toLong(reply.get(1)) == 1 && ++relayCalls < MAX_CALLS_PER_INDEX;
            agentsLeft = toLong(reply.get(2)) == 1 && ++agentCalls < MAX_CALLS_PER_INDEX;
            pauseAfter(started);
        }
        return removed;
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
