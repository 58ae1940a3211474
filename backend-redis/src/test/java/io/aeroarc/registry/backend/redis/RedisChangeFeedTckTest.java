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
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * The Redis backend's change feed against the TCK's feed rules on a real Redis (fixtures as in
 * {@link RedisBackendTckTest}), with a stream trimmed to about {@value #FEED_MAX_LEN} changes so the
 * window rule can push a position out quickly.
 */
class RedisChangeFeedTckTest extends ChangeFeedTck {

    private static final int FEED_MAX_LEN = 100;
    /**
     * XADD MAXLEN ~ trims whole stream nodes only (stream-node-max-entries, 100 by default), so the
     * stream keeps between FEED_MAX_LEN and FEED_MAX_LEN + 100 changes.
     */
    private static final int MOST_KEPT = FEED_MAX_LEN + 100;

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
        options.put(RedisSettings.FEED_MAX_LEN, Integer.toString(FEED_MAX_LEN));
        return BackendOptions.of(RedisBackendProvider.NAME, options);
    }

    @Override
    protected OptionalInt feedKeptChanges() {
        return OptionalInt.of(MOST_KEPT);
    }

    @Override
    protected Optional<StorageControl> storageControl() {
        return server.control();
    }
}
