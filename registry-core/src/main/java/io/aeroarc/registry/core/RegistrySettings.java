package io.aeroarc.registry.core;

import java.time.Duration;

/**
 * The server's registry policy.
 *
 * @param relayTtl how long a relay stays live after its last register or heartbeat
 * @param agentTtl how long a placement stays visible after its last register or heartbeat
 * @param maxPageSize the most entries one list response holds (page_size 0 means this many)
 * @param maxPageBytes the most bytes of entries one list response holds, whatever its entry count:
 *     the default stays under every gRPC client's default 4 MiB receive limit
 */
public record RegistrySettings(Duration relayTtl, Duration agentTtl, int maxPageSize, int maxPageBytes) {

    public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_PAGE_SIZE = 10_000;
    public static final int DEFAULT_MAX_PAGE_BYTES = 3 * 1024 * 1024 + 512 * 1024;
    /** Room for one largest entry (a relay with every label at its maximum) and the response's own fields. */
    public static final int MIN_PAGE_BYTES = 64 * 1024;

    public RegistrySettings(Duration relayTtl, Duration agentTtl, int maxPageSize) {
        this(relayTtl, agentTtl, maxPageSize, DEFAULT_MAX_PAGE_BYTES);
    }

    public RegistrySettings {
        if (maxPageBytes < MIN_PAGE_BYTES) {
            throw new IllegalArgumentException("max-page-bytes must be at least " + MIN_PAGE_BYTES + ", was " + maxPageBytes);
        }
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
