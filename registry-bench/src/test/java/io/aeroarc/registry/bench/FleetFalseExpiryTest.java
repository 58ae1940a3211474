package io.aeroarc.registry.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet's false-expiry count can fail: against a registry whose agent TTL (1 s) is shorter than
 * the fleet believes (3 s), agents heartbeating every 1.5 s are "on time" yet expire between
 * heartbeats, and the standalone {@code fleet} command must count them.
 */
class FleetFalseExpiryTest {

    @Test
    void agents_that_expire_although_they_heartbeat_within_the_believed_ttl_count_as_false_expiries(@TempDir Path directory)
            throws Exception {
        RegistryLauncher launcher = new RegistryLauncher(Optional.empty(), System.getProperty("java.class.path"), List.of("-Xmx256m"));
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        int status;
        try (RegistryProcess registry = launcher.start("short-ttl", "memory", Map.of(), Duration.ofSeconds(30), Duration.ofSeconds(1),
                directory, Optional.empty())) {
            status = BenchCli.run(List.of("fleet", "--target", "127.0.0.1:" + registry.port(), "--relays", "4", "--agents-per-relay", "5",
                    "--interval", "1500ms", "--lookups", "20", "--duration", "3s", "--agent-ttl", "3s", "--relay-ttl", "30s", "--waves", "1"),
                    new PrintStream(console, true, StandardCharsets.UTF_8), new PrintStream(console, true, StandardCharsets.UTF_8));
        }

        String output = console.toString(StandardCharsets.UTF_8);
        assertThat(status).as(output).isZero();
        JsonObject result = JsonParser.parseString(output.substring(output.indexOf('{'), output.lastIndexOf('}') + 1)).getAsJsonObject();
        assertThat(result.get("falseExpiries").getAsLong()).as("agents expired between on-time heartbeats").isPositive();
        assertThat(result.get("reRegistrations").getAsLong()).as("lost agents are registered again").isPositive();
        assertThat(result.get("falseRelayExpiries").getAsLong()).as("relays heartbeat well within their TTL").isZero();
        assertThat(result.getAsJsonArray("examples")).isNotEmpty();
    }
}
