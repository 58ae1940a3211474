package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;

/**
 * {@code --backend etcd}: the registry on an etcd cluster that several registry servers share.
 * Options: see {@link EtcdSettings} and the module README.
 */
public final class EtcdBackendProvider implements RegistryBackendProvider {

    public static final String NAME = "etcd";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    /** TTLs below {@link EtcdBackend#TTL_SUPPORT} are refused by the registry at start-up, from {@code ttlSupport()}. */
    @Override
    public RegistryBackend create(BackendOptions options, BackendContext context) {
        EtcdSettings settings = EtcdSettings.from(options);
        // No round trip here: the client connects on first use, so start-up does not depend on etcd being up.
        EtcdConnection connection = new EtcdConnection(() -> EtcdClients.create(settings), settings.reconnectBackoffMax());
        return new EtcdBackend(connection, settings, context.clock());
    }
}
