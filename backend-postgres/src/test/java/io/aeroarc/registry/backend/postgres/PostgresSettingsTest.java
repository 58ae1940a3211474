package io.aeroarc.registry.backend.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** Option parsing: defaults, and errors that name the option. */
class PostgresSettingsTest {

    private static final String URL = "jdbc:postgresql://db.example:5432/registry";

    private static PostgresSettings parse(Map<String, String> options) {
        return PostgresSettings.from(BackendOptions.of(PostgresBackendProvider.NAME, options));
    }

    @Test
    void defaults_apply_when_only_the_url_is_given() {
        PostgresSettings settings = parse(Map.of("url", URL));

        assertThat(settings.url()).isEqualTo(URL);
        assertThat(settings.user()).isEmpty();
        assertThat(settings.password()).isEmpty();
        assertThat(settings.poolSize()).isEqualTo(22);
        assertThat(settings.schema()).isEqualTo("aeroarc_registry");
        assertThat(settings.timeout()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void every_option_is_read() {
        PostgresSettings settings = parse(Map.of("url", URL, "user", "registry", "password", "s3cret", "pool-size", "25",
                "schema", "fleet_7", "timeout", "750ms"));

        assertThat(settings).isEqualTo(new PostgresSettings(URL, Optional.of("registry"), Optional.of("s3cret"), 25, "fleet_7",
                Duration.ofMillis(750)));
        assertThat(settings.toString()).doesNotContain("s3cret");
    }

    @Test
    void bad_options_are_refused_naming_the_option() {
        assertThatThrownBy(() -> parse(Map.of())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("url");
        assertThatThrownBy(() -> parse(Map.of("url", "jdbc:mysql://db/x"))).hasMessageContaining("url='jdbc:mysql://db/x'");
        assertThatThrownBy(() -> parse(Map.of("url", URL, "pool-size", "0"))).hasMessageContaining("pool-size");
        assertThatThrownBy(() -> parse(Map.of("url", URL, "schema", "Registry"))).hasMessageContaining("schema='Registry'");
        assertThatThrownBy(() -> parse(Map.of("url", URL, "schema", "a; DROP TABLE x"))).hasMessageContaining("schema");
        assertThatThrownBy(() -> parse(Map.of("url", URL, "schema", "pg_registry"))).hasMessageContaining("schema='pg_registry'");
        assertThatThrownBy(() -> parse(Map.of("url", URL, "timeout", "100ms"))).hasMessageContaining("timeout='100ms'");
        assertThatThrownBy(() -> parse(Map.of("url", URL, "timeout", "1m"))).hasMessageContaining("timeout='1m'");
        assertThatThrownBy(() -> parse(Map.of("url", URL, "sweep", "1s"))).hasMessageContaining("unknown --backend-option sweep");
    }

    @Test
    void the_provider_is_found_by_its_name() {
        assertThat(ServiceLoader.load(RegistryBackendProvider.class).stream().map(provider -> provider.get().name()))
                .contains("postgres");
    }
}
