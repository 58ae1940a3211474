package io.aeroarc.registry.core;

import io.aeroarc.registry.spi.TtlSupport;
import java.time.Duration;

/** Refuses configured TTLs that the selected backend cannot keep. */
public final class TtlPolicy {

    private TtlPolicy() {}

    /** @throws IllegalArgumentException naming the flag, the backend and its minimum */
    public static void requireSupported(String backendName, TtlSupport support, RegistrySettings settings) {
        requireAtLeastMinimum("--relay-ttl", settings.relayTtl(), backendName, support);
        requireAtLeastMinimum("--agent-ttl", settings.agentTtl(), backendName, support);
    }

    private static void requireAtLeastMinimum(String flag, Duration ttl, String backendName, TtlSupport support) {
        if (ttl.compareTo(support.minimumTtl()) < 0) {
            throw new IllegalArgumentException(flag + " " + GoDurations.format(ttl) + " is below the " + backendName
                    + " backend's minimum TTL of " + GoDurations.format(support.minimumTtl()));
        }
    }
}
