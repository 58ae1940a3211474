package io.aeroarc.registry.backend.memory;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.tck.ChangeFeedTck;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The memory backend's native feed against the change-feed rules, on a manual clock (the feed's
 * thread ticks in real time and reads the stepped clock). A window of 200 changes (the rules write bursts of about 80), so the window
 * rule pushes a position out quickly; the server's default is {@link MemoryBackend#DEFAULT_FEED_KEPT_CHANGES}.
 */
class MemoryChangeFeedTckTest extends ChangeFeedTck {

    private static final int KEPT_CHANGES = 200;

    @Override
    protected RegistryBackend createBackend(BackendContext context, String namespace) {
        return new MemoryBackend(context.clock(), MemoryBackendProvider.DEFAULT_SWEEP_INTERVAL, KEPT_CHANGES);
    }

    @Override
    protected Optional<RegistryBackendProvider> provider() {
        return Optional.of(new MemoryBackendProvider());
    }

    @Override
    protected boolean usesContextClock() {
        return true;
    }

    @Override
    protected boolean sharesStorageBetweenInstances() {
        return false;
    }

    @Override
    protected OptionalInt feedKeptChanges() {
        return OptionalInt.of(KEPT_CHANGES);
    }

    /** The in-process feed hands a change over within a tick; far below the default bound. */
    @Override
    protected Duration feedDeliveryBound() {
        return Duration.ofSeconds(2);
    }
}
