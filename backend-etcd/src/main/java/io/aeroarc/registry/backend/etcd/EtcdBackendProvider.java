package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.GoDurations;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import java.time.Duration;

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
    public RegistryBackend create(BackendOptions options, BackendContext context) {
        EtcdSettings settings = EtcdSettings.from(options);
        requireSupported("relay", context.relayTtl());
        requireSupported("agent", context.agentTtl());
        // No round trip here: the client connects on first use, so start-up does not depend on etcd being up.
        EtcdConnection connection = new EtcdConnection(() -> EtcdClients.create(settings), settings.reconnectBackoffMax());
        return new EtcdBackend(connection, settings, context.clock());
    }

    private static void requireSupported(String what, Duration ttl) {
        Duration minimum = EtcdBackend.TTL_SUPPORT.minimumTtl();
        if (ttl.compareTo(minimum) < 0) {
            throw new IllegalArgumentException("the " + what + " TTL " + GoDurations.format(ttl) + " is shorter than the "
                    + GoDurations.format(minimum) + " the etcd backend supports; configure at least " + GoDurations.format(minimum));
        }
    }
}
