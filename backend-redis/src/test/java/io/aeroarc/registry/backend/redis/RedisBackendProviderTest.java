package io.aeroarc.registry.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.testsupport.FreePort;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** Discovery and creation, with no Redis anywhere. */
class RedisBackendProviderTest {

    private static final BackendContext CONTEXT = new BackendContext(Clock.systemUTC());

    @Test
    void service_loader_finds_the_provider_by_its_name() {
        assertThat(ServiceLoader.load(RegistryBackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(provider -> provider.name().equals("redis")))
                .singleElement().isInstanceOf(RedisBackendProvider.class);
    }

    @Test
    void create_needs_no_reachable_redis_and_then_every_call_fails_fast_as_unavailable() {
        int nobodyListens = FreePort.find();
        BackendOptions options = BackendOptions.of("redis",
                Map.of("url", "redis://registry:hunter2@127.0.0.1:" + nobodyListens, "timeout", "500ms"));

        try (RegistryBackend backend = new RedisBackendProvider().create(options, CONTEXT)) {
            long start = System.nanoTime();
            assertThatThrownBy(backend::probe).isInstanceOf(BackendUnavailableException.class)
                    .hasMessageContaining("127.0.0.1:" + nobodyListens).hasMessageNotContaining("hunter2");
            assertThatThrownBy(() -> backend.registerRelay(new RelayRegistration("r", "a", 1, Map.of()), Duration.ofSeconds(5)))
                    .isInstanceOf(BackendUnavailableException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        }
    }

    @Test
    void create_refuses_bad_options_before_connecting() {
        assertThatThrownBy(() -> new RedisBackendProvider().create(BackendOptions.of("redis", Map.of("sweep", "1s")), CONTEXT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sweep");
    }
}
