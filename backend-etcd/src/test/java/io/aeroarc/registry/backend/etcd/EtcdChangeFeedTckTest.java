package io.aeroarc.registry.backend.etcd;

import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.tck.ChangeFeedTck;
import io.aeroarc.registry.tck.StorageControl;
import io.aeroarc.registry.testsupport.EtcdTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The etcd backend's change feed against the TCK's feed rules on a real etcd (fixtures as in {@link EtcdBackendTckTest}). */
class EtcdChangeFeedTckTest extends ChangeFeedTck {

    private static TestServer server;

    @BeforeAll
    static void startEtcd() {
        server = EtcdTestServer.start();
        try (RegistryBackend warmUp = EtcdBackendTckTest.create(server, new BackendContext(Clock.systemUTC()), "warm-up")) {
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                warmUp.probe();
                return true;
            });
        }
    }

    @AfterAll
    static void stopEtcd() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected RegistryBackend createBackend(BackendContext context, String namespace) {
        return EtcdBackendTckTest.create(server, context, namespace);
    }

    @Override
    protected Optional<RegistryBackendProvider> provider() {
        return Optional.of(new EtcdBackendProvider());
    }

    @Override
    protected BackendOptions providerOptions(String namespace) {
        return EtcdBackendTckTest.options(server, namespace);
    }

    @Override
    protected Optional<StorageControl> storageControl() {
        return server.control();
    }

    @Override
    protected Duration outageFailFastBound() {
        return Duration.ofSeconds(8);
    }
}
