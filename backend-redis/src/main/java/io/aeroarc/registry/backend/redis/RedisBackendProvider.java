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

    private static final Duration MIN_SWEEP_INTERVAL = Duration.ofSeconds(1);
    private static final Duration MAX_SWEEP_INTERVAL = Duration.ofSeconds(30);

    @Override
    public String name() {
        return NAME;
    }

    /** Connects lazily: an unreachable Redis shows in probe() and in calls, not here. */
    @Override
    public RegistryBackend create(BackendOptions options, BackendContext context) {
        RedisSettings settings = RedisSettings.from(options);
        return new RedisBackend(new ScriptRunner(settings), settings.keyPrefix(), sweepInterval(context));
    }

    /** At least 1s (each sweep is a few round trips per registry server) and at most 30s. */
    static Duration sweepInterval(BackendContext context) {
        return context.sweepInterval(MIN_SWEEP_INTERVAL, MAX_SWEEP_INTERVAL);
    }
}
