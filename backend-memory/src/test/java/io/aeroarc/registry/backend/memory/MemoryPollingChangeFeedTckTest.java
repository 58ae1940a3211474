package io.aeroarc.registry.backend.memory;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.PollingChangeFeed;
import io.aeroarc.registry.tck.ChangeFeedTck;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The SPI's default {@link PollingChangeFeed} against the change-feed rules, over the memory
 * backend on a manual clock: keeps the polling feed covered once every backend has a native feed.
 * A window of 50 changes, so the window rule pushes a position out quickly.
 */
class MemoryPollingChangeFeedTckTest extends ChangeFeedTck {

    private static final int KEPT_CHANGES = 50;

    @Override
    protected RegistryBackend createBackend(BackendContext context, String namespace) {
        return new MemoryBackendProvider().create(BackendOptions.none(MemoryBackendProvider.NAME), context);
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
    protected ChangeFeed openFeed(RegistryBackend instance) {
        return PollingChangeFeed.of(instance, context(), PollingChangeFeed.DEFAULT_INTERVAL, KEPT_CHANGES);
    }

    @Override
    protected OptionalInt feedKeptChanges() {
        return OptionalInt.of(KEPT_CHANGES);
    }
}
