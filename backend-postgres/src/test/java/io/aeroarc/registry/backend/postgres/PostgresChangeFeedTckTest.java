package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.tck.ChangeFeedTck;
import io.aeroarc.registry.tck.StorageControl;
import io.aeroarc.registry.testsupport.PostgresTestServer;
import io.aeroarc.registry.testsupport.TestServer;
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
}
