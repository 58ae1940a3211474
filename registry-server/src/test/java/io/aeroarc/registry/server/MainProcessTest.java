package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The server as an operator runs it: a separate JVM, started with flags, stopped with SIGTERM. */
class MainProcessTest {

    @Test
    void sigterm_stops_the_server_gracefully_and_the_process_exits_0() throws Exception {
        RegistryProcess server =
                RegistryProcess.fromClassPath(List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0", "--relay-ttl", "5s"));
        assertThat(server.awaitServing())
                .contains("on 127.0.0.1:", "(plaintext), backend memory, relay-ttl 5s, agent-ttl 30s, max-page-size 10000");

        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            AeroRegistryGrpc.AeroRegistryBlockingStub registry = AeroRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
            registry.registerRelay(RegisterRelayRequest.newBuilder()
                    .setRelay(Relay.newBuilder().setRelayId("relay-a").setAddress("10.0.0.1").setGrpcPort(7000)).build());
            assertThat(registry.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()).getRelay().getAddress())
                    .isEqualTo("10.0.0.1");
        } finally {
            channel.shutdownNow();
        }

        server.terminate();

        assertThat(server.awaitExit()).isZero();
        assertThat(server.output).anyMatch(line -> line.contains("received SIGTERM"))
                .anyMatch(line -> line.contains("stopped; backend memory closed"));
        assertThat(server.output).noneMatch(line -> line.contains("ERROR"));
    }

    @Test
    void a_bad_flag_value_exits_2_with_a_one_line_reason() throws Exception {
        RegistryProcess server = RegistryProcess.fromClassPath(List.of("--relay-ttl", "3x"));

        assertThat(server.awaitExit()).isEqualTo(2);
        assertThat(server.output).containsExactly("relay-registry: invalid --relay-ttl '3x': unknown unit 'x' (use ns, us, ms, s, m or h)");
    }

    @Test
    void an_unknown_backend_exits_2_naming_the_backends_found() throws Exception {
        RegistryProcess server = RegistryProcess.fromClassPath(List.of("--backend", "cassandra"));

        assertThat(server.awaitExit()).isEqualTo(2);
        assertThat(server.output).hasSize(1);
        assertThat(server.output.get(0)).startsWith("relay-registry: unknown --backend 'cassandra'; available: ").contains("memory", "redis");
    }

    @Test
    void a_ttl_below_the_backends_minimum_exits_2_at_start_up() throws Exception {
        // Nothing listens on port 1: refusing the TTL must not need etcd.
        RegistryProcess server = RegistryProcess.fromClassPath(
                List.of("--backend", "etcd", "--backend-option", "endpoints=http://127.0.0.1:1", "--agent-ttl", "500ms"));

        assertThat(server.awaitExit()).isEqualTo(2);
        assertThat(server.output).hasSize(1);
        assertThat(server.output.get(0)).startsWith("relay-registry: ").contains("500ms", "1s", "etcd");
    }

    @Test
    void a_port_in_use_exits_1() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            RegistryProcess server = RegistryProcess.fromClassPath(List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port",
                    Integer.toString(taken.getLocalPort())));

            assertThat(server.awaitExit()).isEqualTo(1);
            assertThat(server.output).anyMatch(line -> line.startsWith("relay-registry: cannot listen"));
        }
    }

    @Test
    void help_lists_the_flags_and_exits_0() throws Exception {
        RegistryProcess server = RegistryProcess.fromClassPath(List.of("--help"));

        assertThat(server.awaitExit()).isZero();
        assertThat(String.join("\n", server.output)).contains("--relay-ttl", "--backend-option", "--plugin-dir", "Backends (name, and the jar or plugin it comes from):");
    }
}
