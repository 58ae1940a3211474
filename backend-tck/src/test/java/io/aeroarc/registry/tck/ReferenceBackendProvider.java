package io.aeroarc.registry.tck;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import java.util.Set;

/** {@code --backend reference}: the TCK's own oracle, listed in this module's test services file. Option {@code namespace}. */
public class ReferenceBackendProvider implements RegistryBackendProvider {

    static final String NAME = "reference";
    static final String NAMESPACE = "namespace";

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
        checkOptions(options);
        return new ReferenceBackend(context.clock(), options.get(NAMESPACE, "default"));
    }

    /** Refuses unknown options; a broken variant leaves this out. */
    protected void checkOptions(BackendOptions options) {
        options.requireOnly(Set.of(NAMESPACE));
    }
}
