package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.tck.ChangeFeedTck;
import io.aeroarc.registry.tck.StorageControl;
import io.aeroarc.registry.testsupport.PostgresTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The postgres backend's change feed against the TCK's feed rules on a real PostgreSQL; each rule gets its own schema. */
class PostgresChangeFeedTckTest extends ChangeFeedTck {

    private static TestServer server;
    private static TestSchemas schemas;

    @BeforeAll
    static void startServer() {
        server = PostgresTestServer.start();
        schemas = new TestSchemas(server);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            schemas.dropAll();
            server.close();
        }
    }

    @Override
    protected RegistryBackend createBackend(BackendContext context, String namespace) {
        return new PostgresBackendProvider().create(schemas.options(namespace), context);
    }

    @Override
    protected Optional<RegistryBackendProvider> provider() {
        return Optional.of(new PostgresBackendProvider());
    }

    @Override
    protected BackendOptions providerOptions(String namespace) {
        return schemas.options(namespace);
    }

    @Override
    protected Optional<StorageControl> storageControl() {
        return server.control();
    }

    /**
     * Logs one more change and trims the whole change log, as the sweeper trims what is past the
     * retention: every position reported before is then older than the log keeps.
     */
    @Override
    protected boolean pushOutOfResumeWindow(RegistryBackend instance, ChangeFeed feed) {
        if (!(instance instanceof PostgresBackend postgres)) {
            return false;
        }
        postgres.registerRelay(new RelayRegistration("window-pusher", "window-pusher.relays.test", 7443, Map.of()), Duration.ofMinutes(5));
        return postgres.trimChanges(Duration.ZERO, 0) > 0;
    }
}
