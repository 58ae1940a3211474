package com.example.registry.sample;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.tck.RegistryBackendTck;

/** The whole backend contract, from the registry's TCK: the one test a backend needs. */
class SampleBackendTckTest extends RegistryBackendTck {

    @Override
    protected RegistryBackend createBackend(BackendContext context, String namespace) {
        return new SampleBackendProvider().create(BackendOptions.none(SampleBackendProvider.NAME), context);
    }

    @Override
    protected boolean sharesStorageBetweenInstances() {
        return false; // each instance has its own maps
    }
}
