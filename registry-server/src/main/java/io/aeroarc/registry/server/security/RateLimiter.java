package io.aeroarc.registry.server.security;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Token buckets per client: one for writes and one for reads, so a relay flooding heartbeats does
 * not lose its lookups and a dashboard paging the fleet does not stop its own writes. Clients are
 * keyed by identity name, or by address when the server does not authenticate. Buckets are kept for
 * the life of the process: identities are as many as the token file and PKI allow, addresses as
 * many as the hosts that reach the port.
 */
final class RateLimiter {

    enum Kind { WRITE, READ }

    private record Buckets(TokenBucket writes, TokenBucket reads) {}

    private final Map<String, Buckets> byClient = new ConcurrentHashMap<>();
    private final LongSupplier nanoClock;

    RateLimiter(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    TokenBucket.Take take(String client, Kind kind, Policy.RateLimit limit) {
        long now = nanoClock.getAsLong();
        Buckets buckets = byClient.computeIfAbsent(client, key -> new Buckets(
                new TokenBucket(limit.writesPerSecond(), limit.writeBurst(), now),
                new TokenBucket(limit.readsPerSecond(), limit.readBurst(), now)));
        return (kind == Kind.WRITE ? buckets.writes() : buckets.reads()).take(now);
    }
}
