package io.aeroarc.registry.backend.memory;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.tck.RegistryBackendTck;

/** The memory backend against the shared TCK, created the way the server creates it. */
class MemoryBackendTckTest extends RegistryBackendTck {

    @Override
    protected RegistryBackend createBackend(BackendContext context, String namespace) {
        return new MemoryBackendProvider().create(BackendOptions.none(MemoryBackendProvider.NAME), context);
    }

    @Override
    protected boolean sharesStorageBetweenInstances() {
        return false;
    }
}
