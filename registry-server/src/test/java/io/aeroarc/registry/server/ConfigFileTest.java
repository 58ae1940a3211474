package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --config registry.yaml}: every flag, precedence flag > environment > file > default, errors naming the key. */
class ConfigFileTest {

    private static final Map<String, String> BACKENDS = Map.of("memory", "relay-registry.jar", "redis", "relay-registry.jar");

    @TempDir
    Path dir;

    @Test
    void a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default() throws Exception {
        Path file = yaml("""
                relay-ttl: 10s
                agent-ttl: 11s
                shutdown-timeout: 12s
                max-page-size: 500
                grpc-listen-address: 127.0.0.1
                audit-log: false
                """);
        CommandLine.Run run = parse(Map.of("AERO_REGISTRY_AGENT_TTL", "21s", "AERO_REGISTRY_SHUTDOWN_TIMEOUT", "22s"),
                "--config", file.toString(), "--shutdown-timeout", "32s");
        ServerConfig config = run.config();
        assertThat(config.settings().relayTtl()).as("file only").isEqualTo(Duration.ofSeconds(10));
        assertThat(config.settings().agentTtl()).as("environment over file").isEqualTo(Duration.ofSeconds(21));
        assertThat(config.shutdownTimeout()).as("flag over environment and file").isEqualTo(Duration.ofSeconds(32));
        assertThat(config.settings().maxPageSize()).isEqualTo(500);
        assertThat(config.listenAddress()).isEqualTo("127.0.0.1");
        assertThat(config.security().audit()).isFalse();
        assertThat(config.listenPort()).as("default").isEqualTo(50051);
    }

    @Test
    void the_file_carries_backend_options_backend_flags_and_the_operations_settings() throws Exception {
        Path file = yaml("""
                backend: redis
                backend-option:
                  url: redis://127.0.0.1:6379
                  timeout: 2s
                redis-db: 3
                metrics-listen-address: 127.0.0.1:9464
                log-format: json
                log-level: debug
                tls-enabled: false
                """);
        CommandLine.Run run = parse(Map.of("AERO_REGISTRY_BACKEND_OPTION_TIMEOUT", "3s"), "--config=" + file);
        assertThat(run.config().backend()).isEqualTo("redis");
        assertThat(run.config().backendOptions()).containsEntry("url", "redis://127.0.0.1:6379").containsEntry("timeout", "3s")
                .containsEntry("db", "3");
        assertThat(run.operations().metricsAddress()).contains(new InetSocketAddress("127.0.0.1", 9464));
        assertThat(run.operations().logFormat()).isEqualTo(LogSetup.Format.JSON);
        assertThat(run.operations().logLevel()).contains("debug");

        Path list = yaml("backend-option: [\"url=redis://10.0.0.1:6379\"]\nbackend: redis\n");
        assertThat(parse(Map.of(), "--config", list.toString()).config().backendOptions()).containsEntry("url", "redis://10.0.0.1:6379");
    }

    @Test
    void the_environment_can_name_the_file_and_a_flag_overrides_that() throws Exception {
        Path fromEnv = yaml("relay-ttl: 7s\n");
        Path fromFlag = yaml("relay-ttl: 8s\n");
        assertThat(parse(Map.of("AERO_REGISTRY_CONFIG", fromEnv.toString())).config().settings().relayTtl()).isEqualTo(Duration.ofSeconds(7));
        assertThat(parse(Map.of("AERO_REGISTRY_CONFIG", fromEnv.toString()), "--config", fromFlag.toString()).config().settings().relayTtl())
                .isEqualTo(Duration.ofSeconds(8));
    }

    @Test
    void errors_name_the_file_and_the_key() throws Exception {
        Path unknown = yaml("relay-ttl: 5s\nrelay-tll: 5s\n");
        assertThatThrownBy(() -> parse(Map.of(), "--config", unknown.toString())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown key relay-tll in --config '" + unknown + "'; keys are the flag names without dashes (run with --help to list them)");

        Path badValue = yaml("relay-ttl: soon\n");
        assertThatThrownBy(() -> parse(Map.of(), "--config", badValue.toString())).hasMessageStartingWith("invalid " + badValue + " key relay-ttl 'soon': ");
        Path badBoolean = yaml("tls-enabled: maybe\n");
        assertThatThrownBy(() -> parse(Map.of(), "--config", badBoolean.toString()))
                .hasMessage("invalid " + badBoolean + " key tls-enabled 'maybe': expected true or false");
        Path badFormat = yaml("log-format: xml\n");
        assertThatThrownBy(() -> parse(Map.of(), "--config", badFormat.toString()))
                .hasMessage("invalid " + badFormat + " key log-format 'xml': expected text or json");

        assertThatThrownBy(() -> parse(Map.of(), "--config", yaml("relay-ttl:\n").toString())).hasMessageEndingWith("key relay-ttl has no value");
        assertThatThrownBy(() -> parse(Map.of(), "--config", yaml("relay-ttl: [1s, 2s]\n").toString()))
                .hasMessageEndingWith("key relay-ttl must be a single value, not a list");
        assertThatThrownBy(() -> parse(Map.of(), "--config", yaml("relay-ttl: 1s\nrelay-ttl: 2s\n").toString()))
                .hasMessageContaining("duplicate key relay-ttl");
        assertThatThrownBy(() -> parse(Map.of(), "--config", yaml("- relay-ttl\n").toString()))
                .hasMessageEndingWith("expected a mapping of flag names to values");
        assertThatThrownBy(() -> parse(Map.of(), "--config", yaml("config: other.yaml\n").toString()))
                .hasMessageStartingWith("invalid key config in --config");
        assertThatThrownBy(() -> parse(Map.of(), "--config", yaml("relay-ttl: !!java.io.File x\n").toString()))
                .hasMessageStartingWith("invalid --config");
        assertThatThrownBy(() -> parse(Map.of(), "--config", dir.resolve("missing.yaml").toString()))
                .hasMessageEndingWith("missing.yaml': not a readable file");
        assertThat(parse(Map.of(), "--config", yaml("").toString()).config().backend()).as("an empty file sets nothing").isEqualTo("memory");
    }

    @Test
    void main_exits_2_naming_an_unknown_key() throws Exception {
        Path unknown = yaml("no-such-flag: 1\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(List.of("--config", unknown.toString()), Map.of(), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown key no-such-flag");
    }

    @Test
    void operations_flags_are_validated() {
        assertThat(parse(Map.of()).operations()).isEqualTo(new CommandLine.Operations(Optional.empty(), LogSetup.Format.TEXT, Optional.empty()));
        assertThat(parse(Map.of(), "--metrics-listen-address", ":9464").operations().metricsAddress())
                .contains(new InetSocketAddress("0.0.0.0", 9464));
        assertThat(parse(Map.of(), "--metrics-listen-address", "[::1]:9464").operations().metricsAddress())
                .contains(new InetSocketAddress("::1", 9464));
        assertThat(parse(Map.of("AERO_REGISTRY_LOG_LEVEL", "WARN")).operations().logLevel()).contains("warn");
        assertThatThrownBy(() -> parse(Map.of(), "--metrics-listen-address", "9464")).hasMessageStartingWith("invalid --metrics-listen-address '9464'");
        assertThatThrownBy(() -> parse(Map.of(), "--metrics-listen-address", "127.0.0.1:0"))
                .hasMessageStartingWith("invalid --metrics-listen-address '127.0.0.1:0'");
        assertThatThrownBy(() -> parse(Map.of(), "--log-level", "loud"))
                .hasMessage("invalid --log-level 'loud': expected one of trace, debug, info, warn, error, off");
        assertThatThrownBy(() -> parse(Map.of("AERO_REGISTRY_LOG_FORMAT", "xml")))
                .hasMessage("invalid AERO_REGISTRY_LOG_FORMAT 'xml': expected text or json");
    }

    private Path yaml(String text) throws Exception {
        return Files.writeString(Files.createTempFile(dir, "registry", ".yaml"), text);
    }

    private static CommandLine.Run parse(Map<String, String> env, String... args) {
        return (CommandLine.Run) CommandLine.parse(new ArrayList<>(List.of(args)), env, BACKENDS);
    }
}
