package io.aeroarc.registry.backend.memory;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import java.time.Duration;
import java.util.Set;

/** {@code --backend memory}: the embedded default. Option {@code sweep-interval} overrides the derived one. */
public final class MemoryBackendProvider implements RegistryBackendProvider {

    public static final String NAME = "memory";
    static final String SWEEP_INTERVAL = "sweep-interval";

    private static final Duration MIN_SWEEP_INTERVAL = Duration.ofMillis(100);
    private static final Duration MAX_SWEEP_INTERVAL = Duration.ofSeconds(30);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public RegistryBackend create(BackendOptions options, BackendContext context) {
        options.requireOnly(Set.of(SWEEP_INTERVAL));
        Duration sweepInterval = options.getDuration(SWEEP_INTERVAL, defaultSweepInterval(context));
        if (sweepInterval.compareTo(MIN_SWEEP_INTERVAL) < 0) {
            throw new IllegalArgumentException("invalid --backend-option " + SWEEP_INTERVAL + ": must be at least 100ms");
        }
        return new MemoryBackend(context.clock(), sweepInterval);
    }

    /** Sweeps walk every entry, so not more often than every 100ms; at least every 30s to free memory. */
    static Duration defaultSweepInterval(BackendContext context) {
        return context.sweepInterval(MIN_SWEEP_INTERVAL, MAX_SWEEP_INTERVAL);
    }
}
