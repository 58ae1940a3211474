package io.aeroarc.registry.server.security;

/**
 * A bucket of {@code burst} tokens refilled at {@code perSecond}; a call takes one. Not a rolling
 * window: a client may burst up to the bucket's size after being quiet, then gets the steady rate.
 */
final class TokenBucket {

    private final double perNano;
    private final double capacity;
    private double tokens;
    private long lastRefillNanos;
    private boolean refusing;

    TokenBucket(double perSecond, int burst, long nowNanos) {
        this.perNano = perSecond / 1e9;
        this.capacity = burst;
        this.tokens = burst;
        this.lastRefillNanos = nowNanos;
    }

    /**
     * The outcome of one attempt. {@code startedRefusing} is true for the first refusal of an episode,
     * which ends when the bucket has filled up again: a client held to its rate takes a token now and
     * then without starting a new episode each time.
     */
    record Take(boolean taken, long retryAfterMillis, boolean startedRefusing) {}

    synchronized Take take(long nowNanos) {
        long elapsed = nowNanos - lastRefillNanos;
        if (elapsed > 0) {
            tokens = Math.min(capacity, tokens + elapsed * perNano);
            lastRefillNanos = nowNanos;
        }
        if (tokens >= capacity) {
            refusing = false;
        }
        if (tokens >= 1) {
            tokens -= 1;
            return new Take(true, 0, false);
        }
        long retryAfterMillis = Math.max(1, (long) Math.ceil((1 - tokens) / perNano / 1e6));
        boolean started = !refusing;
        refusing = true;
        return new Take(false, retryAfterMillis, started);
    }
}
