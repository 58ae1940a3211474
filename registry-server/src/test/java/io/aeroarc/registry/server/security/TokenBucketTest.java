package io.aeroarc.registry.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Test
    void a_full_bucket_allows_its_burst_then_the_rate_and_says_when_to_retry() {
        TokenBucket bucket = new TokenBucket(10, 3, nanos.get());

        for (int i = 0; i < 3; i++) {
            assertThat(bucket.take(nanos.get()).taken()).isTrue();
        }
        TokenBucket.Take refused = bucket.take(nanos.get());
        assertThat(refused.taken()).isFalse();
        assertThat(refused.retryAfterMillis()).isEqualTo(100);
        assertThat(refused.startedRefusing()).isTrue();
        assertThat(bucket.take(nanos.get()).startedRefusing()).isFalse();

        nanos.addAndGet(40_000_000L);
        assertThat(bucket.take(nanos.get()).retryAfterMillis()).isEqualTo(60);
        nanos.addAndGet(60_000_000L);
        assertThat(bucket.take(nanos.get()).taken()).isTrue();
        // Held to its rate, the client is still in the same episode of refusals.
        assertThat(bucket.take(nanos.get()).startedRefusing()).isFalse();

        // A long quiet spell refills to the burst, not beyond, and ends the episode.
        nanos.addAndGet(60_000_000_000L);
        for (int i = 0; i < 3; i++) {
            assertThat(bucket.take(nanos.get()).taken()).isTrue();
        }
        TokenBucket.Take again = bucket.take(nanos.get());
        assertThat(again.taken()).isFalse();
        assertThat(again.startedRefusing()).isTrue();
    }

    @Test
    void clients_and_kinds_have_buckets_of_their_own() {
        RateLimiter limiter = new RateLimiter(nanos::get);
        Policy.RateLimit limit = new Policy.RateLimit(1, 1, 1, 2);

        assertThat(limiter.take("a", RateLimiter.Kind.WRITE, limit).taken()).isTrue();
        assertThat(limiter.take("a", RateLimiter.Kind.WRITE, limit).taken()).isFalse();
        assertThat(limiter.take("a", RateLimiter.Kind.READ, limit).taken()).isTrue();
        assertThat(limiter.take("a", RateLimiter.Kind.READ, limit).taken()).isTrue();
        assertThat(limiter.take("a", RateLimiter.Kind.READ, limit).taken()).isFalse();
        assertThat(limiter.take("b", RateLimiter.Kind.WRITE, limit).taken()).isTrue();
    }
}
