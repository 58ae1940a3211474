package io.aeroarc.registry.backend.memory;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import java.time.Duration;
import java.util.Set;

/**
 * {@code --backend memory}: the embedded default. Option {@code sweep-interval} (default 15s) sets
 * how often memory is freed; {@code feed-window} (default 100000) how many changes the change feed
 * keeps for watchers that resume.
 */
public final class MemoryBackendProvider implements RegistryBackendProvider {

    public static final String NAME = "memory";
    static final String SWEEP_INTERVAL = "sweep-interval";
    static final String FEED_WINDOW = "feed-window";
    /** About 230 bytes of heap per kept change: 1000 is ~0.2 MB, 10 million ~2.3 GB. */
    private static final int MIN_FEED_WINDOW = 1000;
    private static final int MAX_FEED_WINDOW = 10_000_000;

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
        options.requireOnly(Set.of(SWEEP_INTERVAL, FEED_WINDOW));
        Duration sweepInterval = options.getDuration(SWEEP_INTERVAL, DEFAULT_SWEEP_INTERVAL, MIN_SWEEP_INTERVAL, MAX_SWEEP_INTERVAL);
        int feedWindow = options.getInt(FEED_WINDOW, MemoryBackend.DEFAULT_FEED_KEPT_CHANGES, MIN_FEED_WINDOW, MAX_FEED_WINDOW);
        return new MemoryBackend(context.clock(), sweepInterval, feedWindow);
    }
}
