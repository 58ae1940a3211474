package io.aeroarc.registry.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
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
 * The whole suite, briefly, on the memory backend: registry servers in their own JVMs from this
 * class path, every scenario, both reports. Checks the reports' shape and the fleet's verdict, not
 * timings: the numbers of a quick run on a shared machine mean nothing.
 */
class BenchSuiteSmokeTest {

    @Test
    void a_quick_run_on_memory_writes_both_reports_with_every_part_and_the_fleet_sees_no_false_expiry(@TempDir Path out)
            throws Exception {
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        // Every part but fleet-1m, the fleet's code again at another size: the smoke tests stay near a minute.
        int status = BenchCli.run(List.of("suite", "--backend", "memory", "--quick", "--only", "max,scale,fleet,restart,jmh,heap",
                "--out", out.toString(), "--label", "smoke test"),
                System.out, new PrintStream(errors, true, StandardCharsets.UTF_8));

        assertThat(status).as(errors.toString(StandardCharsets.UTF_8)).isZero();
        String markdown = Files.readString(out.resolve("report.md"));
        assertThat(markdown).contains("## Machine", "## Summary", "## Targets", "## Max throughput (closed loop)",
                "### The load generator is not the bottleneck", "### Open loop at half the max rate",
                "## Scaling end to end (gRPC)", "## Backend operations through the SPI (JMH)", "## Heap of the memory backend",
                "## Fleet", "## Where the registry spends its time (JFR)", "smoke test",
                "restart: the storage restart with its state lost is Redis' case");

        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("report.json"))).getAsJsonObject();
        JsonObject fleet = report.getAsJsonObject("fleet");
        assertThat(fleet.get("falseExpiries").getAsLong()).isZero();
        assertThat(fleet.get("falseRelayExpiries").getAsLong()).isZero();
        assertThat(fleet.get("agentsRegistered").getAsLong()).isEqualTo(200);
        assertThat(fleet.get("renewals").getAsLong()).isPositive();
        assertThat(fleet.getAsJsonObject("errors").size()).isZero();
        assertThat(fleet.get("notSent").getAsLong()).isZero();
        assertThat(fleet.getAsJsonArray("windows")).as("latency per 10 s window").isNotEmpty();

        // The lean client measured Check, and against h2load when it is installed (scripts/bench installs it).
        JsonObject client = report.getAsJsonObject("max").getAsJsonObject("client");
        assertThat(client.getAsJsonObject("lean").get("calls").getAsLong()).isPositive();
        assertThat(client.getAsJsonObject("lean").getAsJsonObject("errors").size()).isZero();
        if (H2Load.available()) {
            assertThat(client.getAsJsonObject("h2load").get("calls").getAsLong()).isPositive();
            assertThat(client.get("share").getAsDouble()).isPositive();
        }

        JsonArray rpcs = report.getAsJsonObject("max").getAsJsonArray("rpcs");
        assertThat(rpcs).hasSize(6);
        for (JsonElement rpc : rpcs) {
            JsonObject load = rpc.getAsJsonObject().getAsJsonObject("rpc");
            assertThat(load.get("calls").getAsLong()).as(load.get("name").getAsString()).isPositive();
            assertThat(load.getAsJsonObject("errors").size()).as(load.get("name") + " errors").isZero();
            assertThat(rpc.getAsJsonObject().getAsJsonObject("ceiling").get("calls").getAsLong()).isPositive();
        }
        assertThat(report.getAsJsonObject("max").getAsJsonArray("openLoops")).hasSize(2);
        assertThat(report.getAsJsonObject("scale").getAsJsonArray("rpcs")).hasSize(2);
        assertThat(report.getAsJsonArray("jmh")).as("6 benchmarks at 2 sizes").hasSize(12);
        assertThat(report.getAsJsonObject("heap").get("bytesPerAgent").getAsDouble()).isBetween(50.0, 2000.0);
        assertThat(report.getAsJsonObject("profile").getAsJsonArray("phases")).isNotEmpty();
        assertThat(report.getAsJsonArray("targets")).isNotEmpty();
    }
}
