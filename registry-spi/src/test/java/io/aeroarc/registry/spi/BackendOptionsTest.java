package io.aeroarc.registry.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackendOptionsTest {

    private final BackendOptions options =
            BackendOptions.of("redis", Map.of("timeout", "250ms", "pool-size", "8", "tls", "true", "url", "redis://h:1"));

    @Test
    void typed_reads_fall_back_to_defaults() {
        assertThat(options.getDuration("timeout", Duration.ofSeconds(2))).isEqualTo(Duration.ofMillis(250));
        assertThat(options.getDuration("connect-timeout", Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(2));
        assertThat(options.getInt("pool-size", 16)).isEqualTo(8);
        assertThat(options.getInt("max", 16)).isEqualTo(16);
        assertThat(options.getBoolean("tls", false)).isTrue();
        assertThat(options.get("url")).contains("redis://h:1");
        assertThat(options.get("user", "default")).isEqualTo("default");
    }

    @Test
    void malformed_values_name_the_option_and_the_backend() {
        BackendOptions bad = BackendOptions.of("redis", Map.of("timeout", "soon", "pool-size", "many", "tls", "yes"));
        assertThatThrownBy(() -> bad.getDuration("timeout", Duration.ZERO))
                .hasMessage("invalid --backend-option timeout='soon' for backend redis: expected a duration such as 500ms or 2s");
        assertThatThrownBy(() -> bad.getInt("pool-size", 1))
                .hasMessage("invalid --backend-option pool-size='many' for backend redis: expected an integer");
        assertThatThrownBy(() -> bad.getBoolean("tls", false))
                .hasMessage("invalid --backend-option tls='yes' for backend redis: expected true or false");
    }

    @Test
    void range_reads_and_backend_checks_report_in_the_one_format() {
        BackendOptions given = BackendOptions.of("redis", Map.of("pool-size", "0", "timeout", "10ms", "url", "redis://u:hunter2@h"));
        assertThatThrownBy(() -> given.getInt("pool-size", 8, 1, 64))
                .hasMessage("invalid --backend-option pool-size='0' for backend redis: expected an integer from 1 to 64");
        assertThatThrownBy(() -> given.getInt("pool-size", 8, 1, Integer.MAX_VALUE))
                .hasMessage("invalid --backend-option pool-size='0' for backend redis: expected an integer of at least 1");
        assertThatThrownBy(() -> given.getDuration("timeout", Duration.ofSeconds(2), Duration.ofMillis(250), Duration.ofSeconds(20)))
                .hasMessage("invalid --backend-option timeout='10ms' for backend redis: expected a duration from 250ms to 20s");
        assertThat(given.getDuration("connect-timeout", Duration.ofSeconds(2), Duration.ofMillis(250), Duration.ofSeconds(20)))
                .isEqualTo(Duration.ofSeconds(2));
        assertThatThrownBy(() -> given.require("endpoints", "a list of URLs"))
                .hasMessage("missing --backend-option endpoints for backend redis: expected a list of URLs");
        assertThat(given.invalid("pool-size", "a power of two"))
                .hasMessage("invalid --backend-option pool-size='0' for backend redis: expected a power of two");
        assertThat(given.invalidSecret("url", "a redis:// URL"))
                .hasMessage("invalid --backend-option url (value not shown) for backend redis: expected a redis:// URL")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void unknown_keys_are_refused_listing_the_known_ones() {
        assertThatCode(() -> options.requireOnly(Set.of("timeout", "pool-size", "tls", "url", "key-prefix"))).doesNotThrowAnyException();
        assertThatThrownBy(() -> options.requireOnly(Set.of("url", "timeout")))
                .hasMessage("unknown --backend-option pool-size, tls for backend redis; known: timeout, url");
    }

    @Test
    void any_option_can_be_read_from_a_file_named_by_key_file(@TempDir Path dir) throws Exception {
        Path password = Files.writeString(dir.resolve("password"), "s3cret-from-file\n");
        Path poolSize = Files.writeString(dir.resolve("pool"), "not-a-number");
        BackendOptions fromFiles = BackendOptions.of("postgres", Map.of("password-file", password.toString(), "pool-size-file", poolSize.toString(),
                "ca-file", "/etc/ca.pem"));

        assertThat(fromFiles.get("password")).contains("s3cret-from-file");
        assertThat(fromFiles.get("ca-file")).contains("/etc/ca.pem");
        assertThatCode(() -> fromFiles.requireOnly(Set.of("password", "pool-size", "ca-file"))).doesNotThrowAnyException();
        assertThatThrownBy(() -> fromFiles.requireOnly(Set.of("password", "ca-file")))
                .hasMessageStartingWith("unknown --backend-option pool-size-file for backend postgres");
        assertThatThrownBy(() -> fromFiles.getInt("pool-size", 4))
                .hasMessage("invalid --backend-option pool-size-file (content not shown) for backend postgres: expected an integer");
        assertThatThrownBy(() -> BackendOptions.of("postgres", Map.of("password", "a", "password-file", password.toString())).get("password"))
                .hasMessageContaining("exclude each other");
        assertThatThrownBy(() -> BackendOptions.of("postgres", Map.of("password-file", dir.resolve("missing").toString())).get("password"))
                .hasMessageStartingWith("cannot read --backend-option password-file");
    }
}
