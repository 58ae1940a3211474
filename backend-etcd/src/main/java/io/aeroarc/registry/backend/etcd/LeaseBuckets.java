package io.aeroarc.registry.backend.etcd;

import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The etcd leases that remove keys nobody renews: one lease per second of expiry time, shared by
 * every key this instance writes with an expiry in that second, and outliving the second by a
 * margin.
 *
 * <p>Leases here only collect garbage; visibility is decided by the expiry stored in each value.
 * Why per second of expiry and not per relay or per agent: every renewal rewrites the value
 * anyway (its exact expiry), so it can point the key at the lease of its new second for free. No
 * lease is ever kept alive, none is revoked, and an instance grants at most one lease per second
 * while it renews anything; a lease per agent would cost a grant per registration and a lease per
 * relay would keep dead agents of a live relay forever.
 */
final class LeaseBuckets {

    private static final long BUCKET_MS = 1000;
    /**
     * Beyond the end of its second: etcd counts lease TTLs in whole seconds from when it granted
     * them, a little after this instance computed them.
     */
    private static final long MARGIN_SECONDS = 1;

    private final EtcdCalls calls;
    private final Clock clock;
    private final ConcurrentHashMap<Long, Long> leaseByBucket = new ConcurrentHashMap<>();

    LeaseBuckets(EtcdCalls calls, Clock clock) {
        this.calls = calls;
        this.clock = clock;
    }

    /** A lease that lives at least until {@code expiresAtMs}, granted now if this second has none yet. */
    long leaseFor(long expiresAtMs, Deadline deadline) {
        long bucket = Math.floorDiv(expiresAtMs, BUCKET_MS) + 1;
        Long known = leaseByBucket.get(bucket);
        if (known != null) {
            return known;
        }
        long nowMs = clock.millis();
        long bucketEndMs = bucket * BUCKET_MS;
        long ttlSeconds = Math.max(1, ceilDiv(bucketEndMs - nowMs, 1000)) + MARGIN_SECONDS;
        long granted = calls.grantLease(ttlSeconds, deadline);
        leaseByBucket.keySet().removeIf(past -> past * BUCKET_MS <= nowMs);
        // Two threads may grant for the same second at once: both leases are valid, one is kept
        // and the other simply expires unused.
        Long raced = leaseByBucket.putIfAbsent(bucket, granted);
        return raced == null ? granted : raced;
    }

    /** Forgets every lease, after etcd said it lost one (as after a restore from a backup). */
    void forgetAll() {
        leaseByBucket.clear();
    }

    private static long ceilDiv(long dividend, long divisor) {
        return -Math.floorDiv(-dividend, divisor);
    }
}
