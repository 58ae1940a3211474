package com.example.registry.sample;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import java.util.Set;

/**
 * {@code --backend sample}: {@link SampleBackend}, in memory, for learning and tests only. It takes
 * no options, and refuses any it is given, so a typo stops the start-up instead of being ignored.
 */
public final class SampleBackendProvider implements RegistryBackendProvider {

    public static final String NAME = "sample";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION; // copied into this class by the compiler: the version built against
    }

    @Override
    public RegistryBackend create(BackendOptions options, BackendContext context) {
        options.requireOnly(Set.of());
        return new SampleBackend(context.clock());
    }
}
