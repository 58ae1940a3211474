package io.aeroarc.registry.backend.memory;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import java.time.Duration;
import java.util.Set;

/** {@code --backend memory}: the embedded default. Option {@code sweep-interval} (default 15s) sets how often memory is freed. */
public final class MemoryBackendProvider implements RegistryBackendProvider {

    public static final String NAME = "memory";
    static final String SWEEP_INTERVAL = "sweep-interval";

    /** Sweeps walk every entry, so not more often than every 100ms; at least every 30s to free memory. */
    private static final Duration MIN_SWEEP_INTERVAL = Duration.ofMillis(100);
    private static final Duration MAX_SWEEP_INTERVAL = Duration.ofSeconds(30);
    /** Half the registry's default TTL: ended entries are freed within about 1.5 default TTLs. */
    static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofSeconds(15);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public RegistryBackend create(BackendOptions options, BackendContext context) {
        options.requireOnly(Set.of(SWEEP_INTERVAL));
        Duration sweepInterval = options.getDuration(SWEEP_INTERVAL, DEFAULT_SWEEP_INTERVAL, MIN_SWEEP_INTERVAL, MAX_SWEEP_INTERVAL);
        return new MemoryBackend(context.clock(), sweepInterval);
    }
}
