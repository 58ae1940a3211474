package io.aeroarc.registry.backend.redis;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import java.time.Duration;

/**
 * {@code --backend redis}: the registry on a Redis that several registry servers share. See the
 * module README for the options.
 */
public final class RedisBackendProvider implements RegistryBackendProvider {

    public static final String NAME = "redis";

    /**
     * Half the registry's default TTL: each sweep of the per-relay indexes is a few round trips
     * per registry server, and reads never depend on it, so it only bounds how long entries of
     * expired placements of live relays take space.
     */
    static final Duration SWEEP_INTERVAL = Duration.ofSeconds(15);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    /** Connects lazily: an unreachable Redis shows in probe() and in calls, not here. */
    @Override
    public RegistryBackend create(BackendOptions options, BackendContext context) {
        RedisSettings settings = RedisSettings.from(options);
        return new RedisBackend(new ScriptRunner(settings), settings.keyPrefix(), settings.feedMaxLen(),
                RedisExpiryReporter.INTERVAL, SWEEP_INTERVAL);
    }
}
