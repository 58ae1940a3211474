package io.aeroarc.registry.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restart part, briefly, on a real Redis the bench starts: a small per-agent fleet loses its
 * storage's state mid-run, and every agent must be placed again with no false expiry.
 */
class StorageRestartSmokeTest {

    @Test
    void a_fleet_whose_redis_restarts_empty_registers_every_agent_again_without_a_false_expiry(@TempDir Path out) throws Exception {
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int status = BenchCli.run(List.of("suite", "--backend", "redis", "--quick", "--only", "restart", "--out", out.toString()),
                System.out, new PrintStream(errors, true, StandardCharsets.UTF_8));

        assertThat(status).as(errors.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(Files.readString(out.resolve("report.md"))).contains("## Fleet through a storage restart (state lost)");
        JsonObject fleet = JsonParser.parseString(Files.readString(out.resolve("report.json"))).getAsJsonObject()
                .getAsJsonObject("restart");
        JsonObject restart = fleet.getAsJsonObject("restart");
        assertThat(restart.get("stoppedSeconds").getAsDouble()).as("the storage was restarted").isPositive();
        assertThat(restart.get("agentsPlacedAgain").getAsLong()).as("every agent placed again").isEqualTo(200);
        assertThat(restart.get("secondsUntilPlaced").getAsDouble()).isNotNegative();
        assertThat(restart.get("lostWithStorage").getAsLong()).as("the restart lost the fleet's state").isPositive();
        assertThat(restart.get("peakAttemptsPerSecond").getAsLong()).isPositive();
        assertThat(fleet.get("reRegistrations").getAsLong()).isGreaterThanOrEqualTo(200);
        assertThat(fleet.get("falseExpiries").getAsLong()).isZero();
        assertThat(fleet.get("falseRelayExpiries").getAsLong()).isZero();
    }
}
