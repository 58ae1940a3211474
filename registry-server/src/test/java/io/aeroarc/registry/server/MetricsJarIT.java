package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.DeregisterAgentRequest;
import io.aeroarc.registry.api.v1.DeregisterRelayRequest;
import io.aeroarc.registry.api.v1.GetAgentPlacementRequest;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.api.v1.HeartbeatRelayRequest;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The runnable jar with {@code --metrics-listen-address}: after a scripted workload its
 * {@code /metrics} shows exactly the registrations, renewals, moves, expiries and deregistrations
 * the script made, and the standard gRPC server metrics count the calls by method and status. It
 * also logs JSON lines with {@code --log-format json}.
 */
class MetricsJarIT {

    private static final Path JAR = Path.of(System.getProperty("registry.jar", "target/relay-registry.jar"));
    private static final String SERVICE = "aeroarc.registry.v1.AeroRegistry/";

    @Test
    void metrics_count_exactly_what_a_scripted_workload_did() throws Exception {
        int metricsPort = freePort();
        List<String> flags = List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0", "--metrics-listen-address",
                "127.0.0.1:" + metricsPort, "--relay-ttl", "3s", "--agent-ttl", "1s", "--log-format", "json");
        try (RegistryProcess registry = RegistryProcess.fromJar(JAR, flags)) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", registry.port()).usePlaintext().build();
            try {
                AeroRegistryGrpc.AeroRegistryBlockingStub stub = AeroRegistryGrpc.newBlockingStub(channel);
                for (String relay : List.of("r1", "r2", "r3")) {
                    stub.registerRelay(RegisterRelayRequest.newBuilder()
                            .setRelay(Relay.newBuilder().setRelayId(relay).setAddress(relay + ".example").setGrpcPort(7443)).build());
                }
                stub.heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId("r1").build());
                registerAgent(stub, "a1", "r1"); // created
                registerAgent(stub, "a1", "r2"); // moved
                registerAgent(stub, "a1", "r2"); // same relay
                stub.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("a1").build());
                stub.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("a1").build());
                stub.deregisterAgent(DeregisterAgentRequest.newBuilder().setAgentId("a1").setRelayId("r2").build());
                stub.deregisterRelay(DeregisterRelayRequest.newBuilder().setRelayId("r3").build());

                // One agent expiry: reads do not renew, so wait with them, then heartbeat once.
                registerAgent(stub, "a2", "r1");
                await().atMost(Duration.ofSeconds(20)).until(() -> notFound(() -> stub.getAgentPlacement(
                        GetAgentPlacementRequest.newBuilder().setAgentId("a2").build())));
                assertNotFound(() -> stub.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("a2").build()));
                // One relay expiry, the same way.
                await().atMost(Duration.ofSeconds(20)).until(() -> notFound(() -> stub.getRelay(GetRelayRequest.newBuilder().setRelayId("r2").build())));
                assertNotFound(() -> stub.heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId("r2").build()));
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }

            PrometheusText metrics = PrometheusText.scrape(metricsPort);
            assertThat(metrics.value("registry_relay_registrations_total")).as(metrics.text()).isEqualTo(3);
            assertThat(metrics.value("registry_relay_renewals_total")).isEqualTo(1);
            assertThat(metrics.value("registry_relay_deregistrations_total")).isEqualTo(1);
            assertThat(metrics.value("registry_relay_expiries_total")).isEqualTo(1);
            assertThat(metrics.value("registry_agent_registrations_total")).isEqualTo(4);
            assertThat(metrics.value("registry_agent_registrations_total", "kind", "created")).isEqualTo(2);
            assertThat(metrics.value("registry_agent_registrations_total", "kind", "moved")).isEqualTo(1);
            assertThat(metrics.value("registry_agent_registrations_total", "kind", "same_relay")).isEqualTo(1);
            assertThat(metrics.value("registry_agent_moves_total")).isEqualTo(1);
            assertThat(metrics.value("registry_agent_renewals_total")).isEqualTo(2);
            assertThat(metrics.value("registry_agent_expiries_total")).isEqualTo(1);
            assertThat(metrics.value("registry_agent_deregistrations_total")).isEqualTo(1);

            // Calls by method and status, from grpc-opentelemetry.
            String calls = "grpc_server_call_duration_seconds_count";
            assertThat(metrics.value(calls, "grpc_method", SERVICE + "RegisterRelay", "grpc_status", "OK")).isEqualTo(3);
            assertThat(metrics.value(calls, "grpc_method", SERVICE + "HeartbeatRelay", "grpc_status", "OK")).isEqualTo(1);
            assertThat(metrics.value(calls, "grpc_method", SERVICE + "HeartbeatRelay", "grpc_status", "NOT_FOUND")).isEqualTo(1);
            assertThat(metrics.value(calls, "grpc_method", SERVICE + "HeartbeatAgent", "grpc_status", "NOT_FOUND")).isEqualTo(1);
            assertThat(metrics.value(calls, "grpc_method", SERVICE + "RegisterAgent", "grpc_status", "OK")).isEqualTo(4);

            // Storage round trips: three RegisterRelay writes; each RegisterAgent also reads the placement before it.
            assertThat(metrics.value("registry_storage_duration_seconds_count", "operation", "register_relay")).isEqualTo(3);
            assertThat(metrics.value("registry_storage_duration_seconds_count", "operation", "register_agent")).isEqualTo(4);
            assertThat(metrics.value("registry_storage_errors_total")).isZero();
            // Registers and heartbeats (12 of them) are the liveness lane; deregistrations and reads the other.
            assertThat(metrics.value("registry_admission_queue_wait_seconds_count", "lane", "liveness")).isEqualTo(12);
            assertThat(metrics.value("registry_admission_queue_wait_seconds_count", "lane", "other")).isGreaterThanOrEqualTo(4);
            assertThat(metrics.value("registry_admission_shed_total")).isZero();
            assertThat(metrics.value("registry_health_serving")).isEqualTo(1);
            assertThat(metrics.has("registry_admission_queue_depth")).isTrue();
            // The memory backend counts the entries it holds, read every 10 s.
            await().atMost(Duration.ofSeconds(30)).until(() -> PrometheusText.scrape(metricsPort).has("registry_relays_live"));
            assertThat(PrometheusText.scrape(metricsPort).has("registry_placements_visible")).isTrue();

            registry.terminate();
            assertThat(registry.awaitExit()).isZero();
            // --log-format json: every line of stdout is one JSON object with the common fields.
            assertThat(registry.output).isNotEmpty();
            for (String line : registry.output) {
                JsonObject entry = JsonParser.parseString(line).getAsJsonObject();
                assertThat(entry.keySet()).as(line).contains("time", "level", "logger", "message");
            }
            assertThat(registry.output).anyMatch(line -> line.contains("\"message\":\"metrics: Prometheus scrape endpoint on http://127.0.0.1:"
                    + metricsPort + "/metrics\""));
        }
    }

    @Test
    void metrics_are_off_without_the_flag_and_a_taken_port_exits_1() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                RegistryProcess registry = RegistryProcess.fromJar(JAR, List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port",
                        "0", "--metrics-listen-address", "127.0.0.1:" + taken.getLocalPort()))) {
            assertThat(registry.awaitExit()).isEqualTo(1);
            assertThat(String.join("\n", registry.output)).contains("cannot listen on --metrics-listen-address 127.0.0.1:" + taken.getLocalPort());
        }
        try (RegistryProcess registry = RegistryProcess.fromJar(JAR, List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0"))) {
            registry.awaitServing();
            assertThat(registry.output).noneMatch(line -> line.contains("metrics:"));
            registry.terminate();
            assertThat(registry.awaitExit()).isZero();
        }
    }

    private static void registerAgent(AeroRegistryGrpc.AeroRegistryBlockingStub stub, String agentId, String relayId) {
        stub.registerAgent(RegisterAgentRequest.newBuilder().setAgent(Agent.newBuilder().setAgentId(agentId)).setRelayId(relayId).build());
    }

    private static boolean notFound(Runnable call) {
        try {
            call.run();
            return false;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode() == Status.Code.NOT_FOUND;
        }
    }

    private static void assertNotFound(Runnable call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException("no runnable jar at " + JAR.toAbsolutePath() + "; run through mvn verify");
        }
    }
}
