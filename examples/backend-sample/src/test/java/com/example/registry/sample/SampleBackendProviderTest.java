package com.example.registry.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import java.time.Clock;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class SampleBackendProviderTest {

    @Test
    void the_service_file_offers_the_provider_under_a_lower_case_name_built_for_this_spi() {
        assertThat(ServiceLoader.load(RegistryBackendProvider.class).stream().map(ServiceLoader.Provider::get))
                .singleElement()
                .satisfies(provider -> {
                    assertThat(provider.name()).isEqualTo("sample");
                    assertThat(provider.spiVersion()).isEqualTo(RegistryBackendProvider.SPI_VERSION);
                });
    }

    @Test
    void unknown_options_are_refused() {
        assertThatThrownBy(() -> new SampleBackendProvider().create(BackendOptions.of("sample", Map.of("url", "x")),
                new BackendContext(Clock.systemUTC())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown --backend-option url for backend sample");
    }
}
