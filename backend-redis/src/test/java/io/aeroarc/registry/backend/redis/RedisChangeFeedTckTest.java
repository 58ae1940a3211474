package io.aeroarc.registry.backend.redis;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.tck.ChangeFeedTck;
import io.aeroarc.registry.tck.StorageControl;
import io.aeroarc.registry.testsupport.RedisTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** The Redis backend's change feed against the TCK's feed rules on a real Redis (fixtures as in {@link RedisBackendTckTest}). */
class RedisChangeFeedTckTest extends ChangeFeedTck {

    private static TestServer server;

    @BeforeAll
    static void startRedis() {
        server = RedisTestServer.start();
    }

    @AfterAll
    static void stopRedis() {
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void deleteTheRulesKeys() {
        try (RawRedis raw = new RawRedis(server)) {
            for (String used : namespacesOfThisRule()) {
                raw.deleteAll(RedisBackendTckTest.testPrefix(used));
            }
        }
    }

    @Override
    protected RegistryBackend createBackend(BackendContext context, String namespace) {
        return new RedisBackendProvider().create(providerOptions(namespace), context);
    }

    @Override
    protected Optional<RegistryBackendProvider> provider() {
        return Optional.of(new RedisBackendProvider());
    }

    @Override
    protected BackendOptions providerOptions(String namespace) {
        Map<String, String> options = new HashMap<>(server.backendOptions());
        options.put(RedisSettings.KEY_PREFIX, RedisBackendTckTest.testPrefix(namespace));
        return BackendOptions.of(RedisBackendProvider.NAME, options);
    }

    @Override
    protected Optional<StorageControl> storageControl() {
        return server.control();
    }
}
