package io.aeroarc.registry.backend.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import java.time.Clock;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class MemoryBackendProviderTest {

    private static final BackendContext CONTEXT = new BackendContext(Clock.systemUTC());

    @Test
    void the_jar_registers_the_provider_under_the_name_memory() {
        assertThat(ServiceLoader.load(RegistryBackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .map(RegistryBackendProvider::name)).containsExactly("memory");
    }

    @Test
    void unknown_or_too_small_options_are_refused() {
        MemoryBackendProvider provider = new MemoryBackendProvider();
        assertThatThrownBy(() -> provider.create(BackendOptions.of("memory", Map.of("url", "x")), CONTEXT))
                .hasMessage("unknown --backend-option url for backend memory; known: feed-window, sweep-interval");
        assertThatThrownBy(() -> provider.create(BackendOptions.of("memory", Map.of("sweep-interval", "10ms")), CONTEXT))
                .hasMessage("invalid --backend-option sweep-interval='10ms' for backend memory: expected a duration from 100ms to 30s");
        assertThatThrownBy(() -> provider.create(BackendOptions.of("memory", Map.of("feed-window", "10")), CONTEXT))
                .hasMessage("invalid --backend-option feed-window='10' for backend memory: expected an integer from 1000 to 10000000");
        try (RegistryBackend backend = provider.create(BackendOptions.of("memory", Map.of("sweep-interval", "1s", "feed-window", "5000")),
                CONTEXT)) {
            backend.probe();
            try (var feed = backend.changeFeed(CONTEXT)) {
                assertThat(feed.resumeWindow()).startsWith("the last 5000 changes");
            }
        }
    }
}
