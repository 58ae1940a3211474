package io.aeroarc.registry.backend.redis;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.tck.RegistryBackendTck;
import io.aeroarc.registry.tck.StorageControl;
import io.aeroarc.registry.testsupport.RedisTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * The Redis backend against the shared TCK on a real Redis, created the way the server creates it.
 * Each rule's namespace becomes part of the key prefix; two instances with one namespace share data.
 */
class RedisBackendTckTest extends RegistryBackendTck {

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

    /**
     * Indexes and counters have no TTL; leave nothing behind on a Redis given by the environment.
     * A new client each time, because the outage rule restarts the server under any pooled one.
     */
    @AfterEach
    void deleteTheRulesKeys() {
        try (RawRedis raw = new RawRedis(server)) {
            for (String used : namespacesOfThisRule()) {
                raw.deleteAll(testPrefix(used));
            }
        }
    }

    static String testPrefix(String namespace) {
        return RedisSettings.DEFAULT_KEY_PREFIX + "test:" + namespace + ":";
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
        options.put(RedisSettings.KEY_PREFIX, testPrefix(namespace));
        return BackendOptions.of(RedisBackendProvider.NAME, options);
    }

    @Override
    protected Optional<StorageControl> storageControl() {
        return server.control();
    }
}
