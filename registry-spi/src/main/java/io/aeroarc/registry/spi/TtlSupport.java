package io.aeroarc.registry.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * The TTLs a backend can honour.
 *
 * @param minimumTtl the shortest TTL the backend keeps exactly; the core refuses to start with
 *     a shorter configured TTL
 * @param resolution the granularity of expiry: an entry may live up to this much longer than its
 *     TTL (etcd leases count whole seconds). The TCK allows for it.
 */
public record TtlSupport(Duration minimumTtl, Duration resolution) {

    /** Millisecond expiry with no minimum beyond one millisecond. */
    public static final TtlSupport MILLISECONDS = new TtlSupport(Duration.ofMillis(1), Duration.ofMillis(1));

    public TtlSupport {
        Objects.requireNonNull(minimumTtl, "minimumTtl");
        Objects.requireNonNull(resolution, "resolution");
        if (minimumTtl.isNegative() || minimumTtl.isZero()) {
            throw new IllegalArgumentException("minimumTtl must be positive");
        }
        if (resolution.isNegative() || resolution.isZero()) {
            throw new IllegalArgumentException("resolution must be positive");
        }
    }
}
