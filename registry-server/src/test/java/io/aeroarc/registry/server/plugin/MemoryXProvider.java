package io.aeroarc.registry.server.plugin;

import io.aeroarc.registry.backend.memory.MemoryBackendProvider;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;

/**
 * A plugin backend whose name starts with a built-in one's: {@code memory-x}, the memory backend
 * under another name, loaded from its own copy of the memory backend's classes. SamplePluginJarIT
 * packs it into a plugin; no service file lists it on the test class path.
 */
public final class MemoryXProvider implements RegistryBackendProvider {

    @Override
    public String name() {
        return "memory-x";
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public RegistryBackend create(BackendOptions options, BackendContext context) {
        return new MemoryBackendProvider().create(options, context);
    }
}
