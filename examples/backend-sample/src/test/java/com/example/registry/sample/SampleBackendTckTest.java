package com.example.registry.sample;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.tck.RegistryBackendTck;
import java.util.Optional;

/** The whole backend contract, from the registry's TCK: the one test a backend needs. */
class SampleBackendTckTest extends RegistryBackendTck {

    @Override
    protected RegistryBackend createBackend(BackendContext context, String namespace) {
        return new SampleBackendProvider().create(BackendOptions.none(SampleBackendProvider.NAME), context);
    }

    /** The provider rules (name, unknown options, services file) run against it. */
    @Override
    protected Optional<RegistryBackendProvider> provider() {
        return Optional.of(new SampleBackendProvider());
    }

    /** Every time comes from {@code BackendContext.clock()}, so the TTL rules run on a manual clock, in milliseconds. */
    @Override
    protected boolean usesContextClock() {
        return true;
    }

    @Override
    protected boolean sharesStorageBetweenInstances() {
        return false; // each instance has its own maps
    }
}
