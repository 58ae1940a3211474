package io.aeroarc.registry.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.testsupport.RedisTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The fleet gauges' counts on a real Redis: live relays and placements from the expiry indexes, expired ones left out. */
class RedisFleetCountTest {

    private static final Duration LONG_TTL = Duration.ofMinutes(5);
    private static final BackendContext CONTEXT = new BackendContext(Clock.systemUTC());

    private TestServer server;
    private RedisBackend backend;

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void counts_leave_out_what_expired() {
        server = RedisTestServer.start();
        Map<String, String> options = new HashMap<>(server.backendOptions());
        options.put(RedisSettings.KEY_PREFIX, "aeroarc:registry:count:" + UUID.randomUUID() + ":");
        backend = (RedisBackend) new RedisBackendProvider().create(BackendOptions.of("redis", options), CONTEXT);

        assertThat(backend.liveRelayCount()).hasValue(0);
        backend.registerRelay(new RelayRegistration("r1", "10.0.0.1", 7000, Map.of()), LONG_TTL);
        backend.registerRelay(new RelayRegistration("r2", "10.0.0.2", 7000, Map.of()), Duration.ofMillis(300));
        backend.registerAgent("a1", "r1", LONG_TTL);
        backend.registerAgent("a2", "r1", Duration.ofMillis(300));
        assertThat(backend.liveRelayCount()).hasValue(2);
        assertThat(backend.visiblePlacementCount()).hasValue(2);

        await().atMost(Duration.ofSeconds(10)).until(() -> backend.liveRelayCount().getAsLong() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.visiblePlacementCount().getAsLong() == 1);
    }
}
