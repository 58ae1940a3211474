package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.support.DurationText;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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
 *
 * <p>One grant per second at most: the first call that needs a second's lease grants it, and the
 * calls that need it meanwhile wait for that grant instead of granting their own. (Under load
 * every calling thread used to grant at each second's turn, each grant a write etcd has to commit
 * and later expire: ten or more per second instead of one.)
 *
 * <p>The next second's lease is granted ahead, in the background, as soon as a call uses this
 * second's. A grant is a raft write: under load it takes as long as a batch's round trip, and every
 * write of the new second used to wait for it, a stall at each turn of the second (in issue 17's
 * etcd fleet, writes parked on grants for 123 s of thread time in 2 minutes; 2 s since).
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
    /** The bound of a grant made ahead, which no call's deadline bounds. */
    private final Duration timeout;
    /** The grant of each second's lease, done or in flight; a failed grant is removed before it completes. */
    private final ConcurrentHashMap<Long, CompletableFuture<Long>> leaseByBucket = new ConcurrentHashMap<>();

    LeaseBuckets(EtcdCalls calls, Clock clock, Duration timeout) {
        this.calls = calls;
        this.clock = clock;
        this.timeout = timeout;
    }

    /** A lease that lives at least until {@code expiresAtMs}, granted now if this second has none yet. */
    long leaseFor(long expiresAtMs, Deadline deadline) {
        long bucket = Math.floorDiv(expiresAtMs, BUCKET_MS) + 1;
        grantAhead(bucket + 1);
        while (true) {
            CompletableFuture<Long> known = leaseByBucket.get(bucket);
            if (known == null) {
                CompletableFuture<Long> mine = new CompletableFuture<>();
                known = leaseByBucket.putIfAbsent(bucket, mine);
                if (known == null) {
                    return grant(bucket, mine, deadline);
                }
            }
            Long lease = awaitGrant(known, deadline);
            if (lease != null) {
                return lease;
            }
            // That grant failed and was removed: grant again while this call has time.
        }
    }

    private long grant(long bucket, CompletableFuture<Long> grant, Deadline deadline) {
        long nowMs = clock.millis();
        long granted;
        try {
            granted = calls.grantLease(ttlSeconds(bucket, nowMs), deadline);
        } catch (RuntimeException e) {
            leaseByBucket.remove(bucket, grant);
            grant.completeExceptionally(e);
            throw e;
        }
        grant.complete(granted);
        forgetPast(nowMs);
        return granted;
    }

    /** Starts granting the bucket's lease in the background, unless it is granted or being granted. */
    private void grantAhead(long bucket) {
        if (leaseByBucket.containsKey(bucket)) {
            return;
        }
        CompletableFuture<Long> ahead = new CompletableFuture<>();
        if (leaseByBucket.putIfAbsent(bucket, ahead) != null) {
            return;
        }
        long nowMs = clock.millis();
        CompletableFuture<Long> granting;
        try {
            granting = calls.grantLeaseInBackground(ttlSeconds(bucket, nowMs), timeout);
        } catch (RuntimeException e) {
            // As after any failed grant, a call waiting for this one grants the lease itself.
            leaseByBucket.remove(bucket, ahead);
            ahead.completeExceptionally(e);
            return;
        }
        granting.whenComplete((lease, failure) -> {
            if (failure != null) {
                leaseByBucket.remove(bucket, ahead);
                ahead.completeExceptionally(failure);
            } else {
                ahead.complete(lease);
                forgetPast(nowMs);
            }
        });
    }

    /** Whole seconds from now to the end of the bucket's second, plus the margin. */
    private static long ttlSeconds(long bucket, long nowMs) {
        return Math.max(1, ceilDiv(bucket * BUCKET_MS - nowMs, 1000)) + MARGIN_SECONDS;
    }

    private void forgetPast(long nowMs) {
        leaseByBucket.keySet().removeIf(past -> past * BUCKET_MS <= nowMs);
    }

    /** The lease another call is granting, or null when that grant failed. */
    private static Long awaitGrant(CompletableFuture<Long> grant, Deadline deadline) {
        try {
            return grant.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (deadline.isExpired()) {
                throw new BackendUnavailableException("etcd did not grant a lease within the timeout of "
                        + DurationText.format(deadline.timeout()) + ": " + e.getCause().getMessage(), e.getCause());
            }
            return null;
        } catch (TimeoutException e) {
            throw new BackendUnavailableException("etcd did not grant a lease within the timeout of "
                    + DurationText.format(deadline.timeout()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("interrupted while waiting for etcd to grant a lease", e);
        }
    }

    /** Forgets every lease, after etcd said it lost one (as after a restore from a backup). */
    void forgetAll() {
        leaseByBucket.clear();
    }

    private static long ceilDiv(long dividend, long divisor) {
        return -Math.floorDiv(-dividend, divisor);
    }
}
