package io.aeroarc.registry.server;

import java.time.Duration;

/**
 * How registry calls are admitted (see {@link CallAdmission}).
 *
 * @param defaultDeadline the deadline of a call whose client sent none
 * @param maxQueuedCalls calls that may wait for a thread, per lane (liveness, other); more are shed
 * @param maxQueueWait a call that waited longer for a thread is shed instead of run
 * @param threads calls running at once
 * @param reservedForLiveness threads that calls other than registers and heartbeats never take
 */
record CallLimits(Duration defaultDeadline, int maxQueuedCalls, Duration maxQueueWait, int threads, int reservedForLiveness) {

    static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(5);
    /**
     * A second of a 1,000-relay × 100-agent fleet's heartbeats (10,000/s): a storage round trip
     * that takes a few hundred milliseconds longer than usual is absorbed, not shed (with 2,000, issue
     * 17's fleet on etcd shed 15,000 heartbeats when its lookups started). The thread lanes are bounded
     * by {@link #DEFAULT_MAX_QUEUE_WAIT} as well; gathered calls by their deadlines.
     */
    static final int DEFAULT_MAX_QUEUED_CALLS = 10_000;
    /**
     * Long enough for a burst on a cold server (connections and scripts loading, a fleet
     * re-registering) to be served rather than shed; sustained overload fills the queue bound instead.
     */
    static final Duration DEFAULT_MAX_QUEUE_WAIT = Duration.ofMillis(250);

    CallLimits {
        if (threads < 2 || reservedForLiveness < 1 || reservedForLiveness >= threads) {
            throw new IllegalArgumentException("need at least 2 threads and 1 to " + (threads - 1) + " reserved for liveness calls");
        }
        if (maxQueuedCalls < 1) {
            throw new IllegalArgumentException("maxQueuedCalls must be at least 1");
        }
    }

    static CallLimits defaults() {
        return of(DEFAULT_DEADLINE, DEFAULT_MAX_QUEUED_CALLS, DEFAULT_MAX_QUEUE_WAIT, DEFAULT_THREADS);
    }

    /**
     * Calls running at once. At most the Redis and PostgreSQL pools' default size: with more threads
     * than connections, calls wait for a connection inside the backend, where the threads kept for
     * liveness calls no longer protect anything (a list flood on 64 threads over 16 connections left
     * heartbeats waiting for a connection until relays expired). More threads let coalescing gather
     * larger batches on shared storage; raise it together with the backend's pool. A backend may
     * ask for another count ({@code RegistryBackend.callConcurrency()}), which the server then uses
     * unless {@code --call-threads} is set.
     */
    static final int DEFAULT_THREADS = 16;

    /** These bounds on {@code threads} threads instead, a quarter of them kept for liveness calls. */
    CallLimits withThreads(int threads) {
        return of(defaultDeadline, maxQueuedCalls, maxQueueWait, threads);
    }

    /** The given bounds on {@code threads} threads, a quarter of them kept for liveness calls. */
    static CallLimits of(Duration defaultDeadline, int maxQueuedCalls, Duration maxQueueWait, int threads) {
        return new CallLimits(defaultDeadline, maxQueuedCalls, maxQueueWait, threads, Math.max(2, threads / 4));
    }
}
