package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.core.CoalescingBackend;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.tck.ForwardingBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandLineTest {

    private static final Map<String, String> BACKENDS = Map.of("memory", "relay-registry.jar", "redis", "relay-registry.jar");

    @Test
    void defaults_match_the_go_registry() {
        ServerConfig config = run();

        assertThat(config.backend()).isEqualTo("memory");
        assertThat(config.listenAddress()).isEqualTo("0.0.0.0");
        assertThat(config.listenPort()).isEqualTo(50051);
        assertThat(config.settings().relayTtl()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.settings().agentTtl()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.settings().maxPageSize()).isEqualTo(10_000);
        assertThat(config.shutdownTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.tlsEnabled()).isFalse();
        assertThat(config.backendOptions()).isEmpty();
        assertThat(config.security().authenticates()).isFalse();
        assertThat(config.security().audit()).isTrue();
        assertThat(config.warnings()).singleElement().asString()
                .startsWith("listening on 0.0.0.0 without client authentication: anyone who reaches the port can register, move and deregister");
        assertThat(run("--grpc-listen-address", "127.0.0.1").warnings()).isEmpty();
        assertThat(config.coalescing()).contains(CoalescingBackend.Options.DEFAULT).contains(new CoalescingBackend.Options(1000, 2));
    }

    @Test
    void coalescing_is_sized_by_flags_and_turned_off_by_a_batch_size_of_zero() {
        assertThat(run("--coalesce-batch-size", "200", "--coalesce-max-in-flight=2").coalescing())
                .contains(new CoalescingBackend.Options(200, 2));
        assertThat(run("--coalesce-batch-size=0").coalescing()).isEmpty();
        assertThatThrownBy(() -> run("--coalesce-max-in-flight", "0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--coalesce-max-in-flight");
    }

    @Test
    void call_threads_are_left_to_the_backend_unless_a_flag_sets_them_with_a_quarter_kept_for_liveness() {
        assertThat(run().callThreads()).isEmpty();
        assertThat(run().callLimits().threads()).as("until the backend says").isEqualTo(16);
        assertThat(run().callLimits().withThreads(64).reservedForLiveness()).isEqualTo(16);
        assertThat(run("--call-threads", "128").callThreads()).hasValue(128);
        assertThat(run("--call-threads", "128").callLimits().threads()).isEqualTo(128);
        assertThat(run("--call-threads", "128").callLimits().reservedForLiveness()).isEqualTo(32);
        assertThatThrownBy(() -> run("--call-threads", "1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--call-threads");
    }

    @Test
    void the_server_runs_the_backends_call_threads_unless_the_flag_sets_them() {
        MemoryBackend pooled = new MemoryBackend(Clock.systemUTC(), Duration.ZERO);
        RegistryBackend multiplexed = new ForwardingBackend(pooled) {
            @Override
            public int callConcurrency() {
                return 64;
            }
        };

        assertThat(RegistryServer.callLimits(run(), pooled).threads()).isEqualTo(16);
        assertThat(RegistryServer.callLimits(run(), multiplexed).threads()).isEqualTo(64);
        assertThat(RegistryServer.callLimits(run(), multiplexed).reservedForLiveness()).isEqualTo(16);
        assertThat(RegistryServer.callLimits(run("--call-threads", "24"), multiplexed).threads()).isEqualTo(24);
    }

    @Test
    void transport_limits_and_the_page_byte_budget_have_documented_defaults_and_flags() {
        assertThat(run().transportLimits()).isEqualTo(TransportLimits.defaults());
        assertThat(run().settings().maxPageBytes()).isEqualTo(3_670_016);

        ServerConfig config = run("--max-connections", "10", "--reserved-connections=2", "--max-concurrent-calls-per-connection", "7",
                "--first-message-timeout", "1500ms", "--max-resets-per-10s", "50", "--max-page-bytes", "100000",
                "--max-unread-response-bytes-per-connection", "1048576", "--max-list-calls-per-connection", "9");
        assertThat(config.transportLimits().maxConnections()).isEqualTo(10);
        assertThat(config.transportLimits().reservedConnections()).isEqualTo(2);
        assertThat(config.transportLimits().maxConcurrentCallsPerConnection()).isEqualTo(7);
        assertThat(config.transportLimits().firstMessageTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(config.transportLimits().maxResetsPer10s()).isEqualTo(50);
        assertThat(config.transportLimits().maxUnreadResponseBytesPerConnection()).isEqualTo(1_048_576);
        assertThat(config.transportLimits().maxListCallsPerConnection()).isEqualTo(9);
        assertThat(run().transportLimits().maxListCallsPerConnection()).isEqualTo(4);
        assertThat(config.settings().maxPageBytes()).isEqualTo(100_000);

        assertThatThrownBy(() -> run("--max-connections", "0")).hasMessage("invalid --max-connections '0': expected an integer from 1 to 2147483647");
        assertThatThrownBy(() -> run("--max-page-bytes", "1000")).hasMessageStartingWith("invalid --max-page-bytes '1000'");
        assertThatThrownBy(() -> run("--first-message-timeout", "0s")).hasMessage("invalid --first-message-timeout '0s': must be at least 1ms");
    }

    @Test
    void security_flags_refuse_tokens_in_plaintext_unless_allowed_on_loopback(@TempDir Path dir) throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "");
        Path ca = Files.writeString(dir.resolve("ca.pem"), "");
        Path policy = Files.writeString(dir.resolve("policy.json"), "{}");

        assertInvalid("--auth-token-file without --tls-enabled would let tokens cross the network in plaintext; enable TLS, or listen on a "
                + "loopback address with --auth-allow-plaintext-loopback", "--auth-token-file", tokens.toString(), "--grpc-listen-address", "127.0.0.1");
        assertInvalid("--auth-allow-plaintext-loopback needs a loopback --grpc-listen-address, not 0.0.0.0",
                "--auth-token-file", tokens.toString(), "--auth-allow-plaintext-loopback");
        ServerConfig loopback = run("--auth-token-file", tokens.toString(), "--auth-allow-plaintext-loopback", "--grpc-listen-address", "::1",
                "--audit-log=false");
        assertThat(loopback.security().authenticates()).isTrue();
        assertThat(loopback.security().audit()).isFalse();
        assertThat(loopback.warnings()).isEmpty();

        assertInvalid("--tls-client-ca needs --tls-enabled: client certificates are part of TLS", "--tls-client-ca", ca.toString(),
                "--auth-policy", policy.toString());
        assertInvalid("--tls-client-auth optional needs --tls-client-ca", "--tls-client-auth", "optional");
        assertInvalid("invalid --tls-client-auth 'always': expected none, optional or require", "--tls-client-auth=always");
        assertInvalid("invalid --auth-policy '" + dir.resolve("nope") + "': not a readable file", "--auth-policy", dir.resolve("nope").toString());
    }

    @Test
    void flags_take_go_durations_in_both_spellings() {
        ServerConfig config = run("--relay-ttl", "1m30s", "-agent-ttl=500ms", "--shutdown-timeout=0", "--grpc-listen-port", "0",
                "--grpc-listen-address=127.0.0.1", "--max-page-size", "50");

        assertThat(config.settings().relayTtl()).isEqualTo(Duration.ofSeconds(90));
        assertThat(config.settings().agentTtl()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.shutdownTimeout()).isZero();
        assertThat(config.listenPort()).isZero();
        assertThat(config.listenAddress()).isEqualTo("127.0.0.1");
        assertThat(config.settings().maxPageSize()).isEqualTo(50);
    }

    @Test
    void environment_variables_apply_under_flags() {
        Map<String, String> env = Map.of("AERO_REGISTRY_RELAY_TTL", "10s", "AERO_REGISTRY_AGENT_TTL", "12s", "AERO_REGISTRY_BACKEND", "redis",
                "AERO_REGISTRY_BACKEND_OPTION_KEY_PREFIX", "fleet-a:", "AERO_REGISTRY_BACKEND_OPTION_URL", "redis://env:6379");

        ServerConfig config = ((CommandLine.Run) CommandLine.parse(List.of("--agent-ttl", "20s", "--backend-option", "url=redis://flag:6379"),
                env, BACKENDS)).config();

        assertThat(config.settings().relayTtl()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.settings().agentTtl()).isEqualTo(Duration.ofSeconds(20));
        assertThat(config.backend()).isEqualTo("redis");
        assertThat(config.backendOptions()).containsExactlyInAnyOrderEntriesOf(Map.of("key-prefix", "fleet-a:", "url", "redis://flag:6379"));
    }

    @Test
    void go_backend_flags_become_options_of_their_backend_and_stop_the_start_up_for_another() {
        ServerConfig redis = run("--backend", "redis", "--redis-addr", "cache.internal", "--redis-port=6380", "--backend-option", "timeout=1s");
        assertThat(redis.backendOptions()).containsExactlyInAnyOrderEntriesOf(Map.of("addr", "cache.internal", "port", "6380", "timeout", "1s"));

        assertInvalid("--redis-addr sets option addr of backend redis, but the backend is memory; remove it or select --backend redis",
                "--redis-addr", "cache.internal", "--grpc-listen-address", "127.0.0.1");
    }

    @Test
    void backend_flags_go_to_the_longest_backend_name_that_fits() {
        Map<String, String> backends = Map.of("memory", "relay-registry.jar", "memory-x", "plugins/memory-x.jar");

        ServerConfig memoryX = ((CommandLine.Run) CommandLine.parse(List.of("--backend", "memory-x", "--memory-x-url", "x://1",
                "--memory-x-sweep-interval", "1s"), Map.of(), backends)).config();
        assertThat(memoryX.backendOptions()).containsExactlyInAnyOrderEntriesOf(Map.of("url", "x://1", "sweep-interval", "1s"));

        ServerConfig memory = ((CommandLine.Run) CommandLine.parse(List.of("--memory-sweep-interval", "2s"), Map.of(), backends)).config();
        assertThat(memory.backendOptions()).containsExactlyInAnyOrderEntriesOf(Map.of("sweep-interval", "2s"));
        assertThatThrownBy(() -> CommandLine.parse(List.of("--memory-x-url", "x://1"), Map.of(), backends))
                .hasMessageStartingWith("--memory-x-url sets option url of backend memory-x, but the backend is memory");
    }

    @Test
    void the_plugin_directory_is_read_before_the_other_flags() {
        assertThat(CommandLine.explicitPluginDir(List.of("--backend", "sample", "--plugin-dir", "/opt/plugins"), Map.of())).contains("/opt/plugins");
        assertThat(CommandLine.explicitPluginDir(List.of("--plugin-dir=/a"), Map.of("AERO_REGISTRY_PLUGIN_DIR", "/b"))).contains("/a");
        assertThat(CommandLine.explicitPluginDir(List.of(), Map.of("AERO_REGISTRY_PLUGIN_DIR", "/b"))).contains("/b");
        assertThat(CommandLine.explicitPluginDir(List.of("--backend", "memory"), Map.of())).isEmpty();
    }

    @Test
    void tls_needs_readable_certificate_and_key_files(@TempDir Path dir) throws Exception {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
        Path key = Files.writeString(dir.resolve("key.pem"), "x");

        ServerConfig config = run("--tls-enabled", "--tls-cert-path", cert.toString(), "--tls-key-path=" + key);
        assertThat(config.tlsCertPath()).contains(cert);
        assertThat(config.tlsKeyPath()).contains(key);
        assertThat(run("--tls-enabled=false", "--tls-cert-path", "/nowhere").tlsEnabled()).isFalse();

        assertInvalid("--tls-enabled needs --tls-cert-path", "--tls-enabled");
        assertInvalid("invalid --tls-key-path '" + dir.resolve("missing.pem") + "': not a readable file", "--tls-enabled",
                "--tls-cert-path", cert.toString(), "--tls-key-path", dir.resolve("missing.pem").toString());
    }

    @Test
    void bad_values_give_a_one_line_reason_naming_the_flag_or_variable() {
        assertInvalid("invalid --relay-ttl '30': missing unit (use ns, us, ms, s, m or h)", "--relay-ttl", "30");
        assertInvalid("invalid --agent-ttl '0s': must be at least 1ms", "--agent-ttl", "0s");
        assertInvalid("invalid --grpc-listen-port '70000': expected an integer from 0 to 65535", "--grpc-listen-port", "70000");
        assertInvalid("invalid --max-page-size '0': expected an integer from 1 to 2147483647", "--max-page-size", "0");
        assertInvalid("unknown flag --relay-tll; run with --help to list the flags", "--relay-tll", "30s");
        assertInvalid("flag --backend needs a value", "--backend");
        assertInvalid("invalid --backend-option 'url': expected key=value", "--backend-option", "url");
        assertInvalid("unexpected argument 'serve'; run with --help to list the flags", "serve");
        assertInvalid("invalid --tls-enabled 'maybe': expected true or false", "--tls-enabled=maybe");
        assertInvalid("invalid --heartbeat-interval 'often': not a duration (use a form like 500ms, 30s or 1m30s)",
                "--heartbeat-interval", "often");
        assertThatThrownBy(() -> CommandLine.parse(List.of(), Map.of("AERO_REGISTRY_RELAY_TTL", "soon"), BACKENDS))
                .hasMessage("invalid AERO_REGISTRY_RELAY_TTL 'soon': not a duration (use a form like 500ms, 30s or 1m30s)");
    }

    @Test
    void help_lists_every_flag_its_variable_and_the_backends_found() {
        CommandLine.Request request = CommandLine.parse(List.of("--relay-ttl", "5s", "--help"), Map.of(), BACKENDS);

        assertThat(request).isInstanceOf(CommandLine.Help.class);
        String help = ((CommandLine.Help) request).text();
        for (Flag flag : Flag.values()) {
            assertThat(help).contains("--" + flag.name);
        }
        assertThat(help).contains("AERO_REGISTRY_RELAY_TTL", "AERO_REGISTRY_BACKEND_OPTION_<KEY>", "(default 30s)",
                "Backends (name, and the jar or plugin it comes from):", "  memory               relay-registry.jar");
    }

    private static ServerConfig run(String... args) {
        return ((CommandLine.Run) CommandLine.parse(List.of(args), Map.of(), BACKENDS)).config();
    }

    private static void assertInvalid(String message, String... args) {
        assertThatThrownBy(() -> CommandLine.parse(List.of(args), Map.of(), BACKENDS)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }
}
