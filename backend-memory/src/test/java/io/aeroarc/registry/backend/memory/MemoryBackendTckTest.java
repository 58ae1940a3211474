package io.aeroarc.registry.backend.memory;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.tck.RegistryBackendTck;
import java.util.Optional;

/**
 * The memory backend against the shared TCK, created the way the server creates it. It takes every
 * time from the context clock, so the rules run on a manual clock.
 */
class MemoryBackendTckTest extends RegistryBackendTck {

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
}
