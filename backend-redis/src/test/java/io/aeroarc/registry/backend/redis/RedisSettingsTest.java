package io.aeroarc.registry.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.spi.BackendOptions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How {@code --backend-option}s become connection settings, and which are refused with what message. */
class RedisSettingsTest {

    private static RedisSettings settings(Map<String, String> options) {
        return RedisSettings.from(BackendOptions.of("redis", options));
    }

    @Test
    void no_options_mean_the_go_registry_defaults() {
        RedisSettings settings = settings(Map.of());

        assertThat(settings.host()).isEqualTo("localhost");
        assertThat(settings.port()).isEqualTo(6379);
        assertThat(settings.user()).isNull();
        assertThat(settings.password()).isNull();
        assertThat(settings.database()).isZero();
        assertThat(settings.tls()).isFalse();
        assertThat(settings.poolSize()).isEqualTo(20);
        assertThat(settings.timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(settings.keyPrefix()).isEqualTo("aeroarc:registry:");
        assertThat(settings.feedMaxLen()).isEqualTo(100_000);
    }

    @Test
    void url_gives_host_port_credentials_and_database() {
        RedisSettings settings = settings(Map.of("url", "redis://registry:s%40cret@redis.internal:6380/3"));

        assertThat(settings.host()).isEqualTo("redis.internal");
        assertThat(settings.port()).isEqualTo(6380);
        assertThat(settings.user()).isEqualTo("registry");
        assertThat(settings.password()).isEqualTo("s@cret");
        assertThat(settings.database()).isEqualTo(3);
        assertThat(settings.tls()).isFalse();
        assertThat(settings.toString()).doesNotContain("s@cret");
    }

    @Test
    void url_with_password_only_or_the_default_user_authenticates_without_an_acl_user() {
        assertThat(settings(Map.of("url", "redis://:pw@h")).user()).isNull();
        assertThat(settings(Map.of("url", "redis://:pw@h")).password()).isEqualTo("pw");
        assertThat(settings(Map.of("url", "redis://default:pw@h")).user()).isNull();
        assertThat(settings(Map.of("url", "redis://h")).port()).isEqualTo(6379);
        assertThat(settings(Map.of("url", "redis://h/")).database()).isZero();
    }

    @Test
    void rediss_url_turns_on_tls() {
        RedisSettings settings = settings(Map.of("url", "rediss://secure.example:6390"));

        assertThat(settings.tls()).isTrue();
        assertThat(settings.describe()).isEqualTo("rediss://secure.example:6390/0");
    }

    @Test
    void go_flag_aliases_give_the_same_settings_as_a_url() {
        RedisSettings fromAliases = settings(Map.of("addr", "redis.internal", "port", "6380", "user", "registry",
                "password", "pw", "db", "3"));
        RedisSettings fromUrl = settings(Map.of("url", "redis://registry:pw@redis.internal:6380/3"));

        assertThat(fromAliases).isEqualTo(fromUrl);
        assertThat(settings(Map.of("user", "default", "password", "")).user()).isNull();
        assertThat(settings(Map.of("user", "default", "password", "")).password()).isNull();
        assertThat(settings(Map.of("addr", "::1")).describe()).isEqualTo("redis://[::1]:6379/0");
    }

    @Test
    void pool_timeout_and_prefix_are_read() {
        RedisSettings settings = settings(Map.of("pool-size", "4", "timeout", "750ms", "key-prefix", "fleet-a:"));

        assertThat(settings.poolSize()).isEqualTo(4);
        assertThat(settings.timeout()).isEqualTo(Duration.ofMillis(750));
        assertThat(settings.keyPrefix()).isEqualTo("fleet-a:");
        assertThat(settings(Map.of("feed-max-len", "5000")).feedMaxLen()).isEqualTo(5000);
        assertThat(settings(Map.of("url", "redis://h", "feed-max-len", "0")).feedMaxLen()).as("no stream").isZero();
    }

    @Test
    void url_together_with_an_alias_is_refused_naming_both() {
        assertThatThrownBy(() -> settings(Map.of("url", "redis://h:1", "port", "2", "db", "1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("url").hasMessageContaining("port").hasMessageContaining("db");
    }

    @Test
    void unknown_and_malformed_options_are_refused_naming_the_option() {
        assertThatThrownBy(() -> settings(Map.of("redis-addr", "h"))).hasMessageContaining("unknown --backend-option redis-addr");
        assertThatThrownBy(() -> settings(Map.of("url", "http://h"))).hasMessageContaining("url").hasMessageContaining("scheme");
        assertThatThrownBy(() -> settings(Map.of("url", "redis://h/x"))).hasMessageContaining("url").hasMessageContaining("database");
        assertThatThrownBy(() -> settings(Map.of("url", "redis://h?db=1"))).hasMessageContaining("url");
        assertThatThrownBy(() -> settings(Map.of("url", "redis:///0"))).hasMessageContaining("no host");
        assertThatThrownBy(() -> settings(Map.of("addr", "h:6379"))).hasMessageContaining("addr").hasMessageContaining("port");
        assertThatThrownBy(() -> settings(Map.of("port", "0"))).hasMessageContaining("port");
        assertThatThrownBy(() -> settings(Map.of("db", "-1"))).hasMessageContaining("db");
        assertThatThrownBy(() -> settings(Map.of("pool-size", "0"))).hasMessageContaining("pool-size");
        assertThatThrownBy(() -> settings(Map.of("timeout", "0"))).hasMessageContaining("timeout");
        assertThatThrownBy(() -> settings(Map.of("timeout", "2"))).hasMessageContaining("timeout");
        assertThatThrownBy(() -> settings(Map.of("key-prefix", ""))).hasMessageContaining("key-prefix");
        assertThatThrownBy(() -> settings(Map.of("feed-max-len", "-1"))).hasMessageContaining("feed-max-len");
        assertThatThrownBy(() -> settings(Map.of("feed-max-len", "lots"))).hasMessageContaining("feed-max-len");
    }
}
