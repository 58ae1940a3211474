package io.aeroarc.registry.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.spi.BackendOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EtcdSettingsTest {

    @TempDir
    Path dir;

    private static EtcdSettings settings(Map<String, String> options) {
        return EtcdSettings.from(BackendOptions.of("etcd", options));
    }

    @Test
    void defaults_point_at_a_local_etcd_with_the_registry_namespace() {
        EtcdSettings settings = settings(Map.of());

        assertThat(settings.endpoints()).containsExactly(URI.create("http://127.0.0.1:2379"));
        assertThat(settings.namespace()).isEqualTo("/aeroarc/registry/");
        assertThat(settings.timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(settings.maxTxnOps()).isEqualTo(128);
        assertThat(settings.reconnectBackoffMax()).isEqualTo(Duration.ofSeconds(2));
        assertThat(settings.tls()).isFalse();
        assertThat(settings.user()).isEmpty();
    }

    @Test
    void endpoints_are_a_comma_separated_list_of_urls() {
        EtcdSettings settings = settings(Map.of("endpoints", " http://10.0.0.1:2379, http://etcd-2:2379 ,http://[::1]:2379"));

        assertThat(settings.endpoints()).containsExactly(URI.create("http://10.0.0.1:2379"), URI.create("http://etcd-2:2379"),
                URI.create("http://[::1]:2379"));
    }

    @Test
    void malformed_endpoints_are_refused_naming_the_option() {
        for (String endpoints : new String[] {"", " , ", "10.0.0.1:2379", "grpc://etcd:2379", "http://etcd", "http://etcd:2379/v3",
                "http://user@etcd:2379", "http://etcd:2379,https://etcd-2:2379"}) {
            assertThatThrownBy(() -> settings(Map.of("endpoints", endpoints))).as("endpoints '%s'", endpoints)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--backend-option endpoints");
        }
    }

    @Test
    void namespace_always_ends_with_a_slash_so_namespaces_never_overlap() {
        assertThat(settings(Map.of("namespace", "/team-a/registry")).namespace()).isEqualTo("/team-a/registry/");
        assertThat(settings(Map.of("namespace", "/team-a/")).namespace()).isEqualTo("/team-a/");
        assertThatThrownBy(() -> settings(Map.of("namespace", ""))).hasMessageContaining("--backend-option namespace");
    }

    @Test
    void timeout_is_a_positive_go_duration() {
        assertThat(settings(Map.of("timeout", "750ms")).timeout()).isEqualTo(Duration.ofMillis(750));
        assertThatThrownBy(() -> settings(Map.of("timeout", "0"))).hasMessageContaining("--backend-option timeout");
        assertThatThrownBy(() -> settings(Map.of("timeout", "soon"))).hasMessageContaining("--backend-option timeout");
    }

    @Test
    void reconnect_backoff_max_is_a_go_duration_from_100ms_to_grpcs_own_two_minutes() {
        assertThat(settings(Map.of("reconnect-backoff-max", "500ms")).reconnectBackoffMax()).isEqualTo(Duration.ofMillis(500));
        assertThat(settings(Map.of("reconnect-backoff-max", "2m")).reconnectBackoffMax()).isEqualTo(Duration.ofMinutes(2));
        for (String bad : new String[] {"0", "50ms", "3m", "-1s", "soon"}) {
            assertThatThrownBy(() -> settings(Map.of("reconnect-backoff-max", bad))).as("reconnect-backoff-max '%s'", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--backend-option reconnect-backoff-max");
        }
    }

    @Test
    void user_and_password_come_together_and_the_password_is_never_printed() {
        EtcdSettings settings = settings(Map.of("user", "registry", "password", "s3cret"));

        assertThat(settings.user()).contains("registry");
        assertThat(settings.toString()).contains("registry").doesNotContain("s3cret");
        assertThatThrownBy(() -> settings(Map.of("user", "registry"))).hasMessageContaining("--backend-option password");
        assertThatThrownBy(() -> settings(Map.of("password", "s3cret"))).hasMessageContaining("--backend-option user");
    }

    @Test
    void tls_files_need_https_endpoints_readable_files_and_a_key_with_a_certificate() throws IOException {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "ca");
        Path cert = Files.writeString(dir.resolve("client.pem"), "cert");
        Path key = Files.writeString(dir.resolve("client-key.pem"), "key");

        EtcdSettings settings = settings(Map.of("endpoints", "https://etcd:2379", "ca-file", ca.toString(), "cert-file", cert.toString(),
                "key-file", key.toString()));

        assertThat(settings.tls()).isTrue();
        assertThat(settings.caFile()).contains(ca);
        assertThatThrownBy(() -> settings(Map.of("ca-file", ca.toString()))).hasMessageContaining("--backend-option ca-file")
                .hasMessageContaining("https");
        assertThatThrownBy(() -> settings(Map.of("endpoints", "https://etcd:2379", "cert-file", cert.toString())))
                .hasMessageContaining("--backend-option key-file");
        assertThatThrownBy(() -> settings(Map.of("endpoints", "https://etcd:2379", "ca-file", dir.resolve("missing.pem").toString())))
                .hasMessageContaining("--backend-option ca-file").hasMessageContaining("missing.pem");
    }

    @Test
    void max_txn_ops_follows_the_etcd_server_setting() {
        assertThat(settings(Map.of("max-txn-ops", "1024")).maxTxnOps()).isEqualTo(1024);
        assertThatThrownBy(() -> settings(Map.of("max-txn-ops", "4"))).hasMessageContaining("--backend-option max-txn-ops");
    }

    @Test
    void unknown_options_are_refused_with_the_known_ones_listed() {
        assertThatThrownBy(() -> settings(Map.of("endpoint", "http://etcd:2379")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("endpoint").hasMessageContaining("known: ca-file, cert-file, endpoints");
    }
}
