package io.aeroarc.registry.core;

import java.time.Duration;

/**
 * The server's registry policy.
 *
 * @param relayTtl how long a relay stays live after its last register or heartbeat
 * @param agentTtl how long a placement stays visible after its last register or heartbeat
 * @param maxPageSize the most entries one list response holds (page_size 0 means this many)
 */
public record RegistrySettings(Duration relayTtl, Duration agentTtl, int maxPageSize) {

    public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_PAGE_SIZE = 10_000;

    public RegistrySettings {
        requirePositiveMillis("relay-ttl", relayTtl);
        requirePositiveMillis("agent-ttl", agentTtl);
        if (maxPageSize < 1) {
            throw new IllegalArgumentException("max-page-size must be at least 1, was " + maxPageSize);
        }
    }

    private static void requirePositiveMillis(String name, Duration ttl) {
        if (ttl.toMillis() < 1) {
            throw new IllegalArgumentException(name + " must be at least 1ms, was " + ttl);
        }
    }
}
