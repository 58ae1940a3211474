package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import static org.awaitility.Awaitility.await;

/** The server as an operator runs it: a separate JVM, started with flags, stopped with SIGTERM. */
class MainProcessTest {

    private static final Pattern SERVING = Pattern.compile("serving aeroarc.registry.v1.AeroRegistry on 127.0.0.1:(\\d+) ");

    @Test
    void sigterm_stops_the_server_gracefully_and_the_process_exits_0() throws Exception {
        ServerProcess server = ServerProcess.start("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0", "--relay-ttl", "5s");
        String serving = server.awaitLine(SERVING);
        Matcher port = SERVING.matcher(serving);
        assertThat(port.find()).isTrue();
        assertThat(serving).contains("backend memory, relay-ttl 5s, agent-ttl 30s, max-page-size 10000");

        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", Integer.parseInt(port.group(1))).usePlaintext().build();
        try {
            AeroRegistryGrpc.AeroRegistryBlockingStub registry = AeroRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
            registry.registerRelay(RegisterRelayRequest.newBuilder()
                    .setRelay(Relay.newBuilder().setRelayId("relay-a").setAddress("10.0.0.1").setGrpcPort(7000)).build());
            assertThat(registry.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()).getRelay().getAddress())
                    .isEqualTo("10.0.0.1");
        } finally {
            channel.shutdownNow();
        }

        server.process.toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its output

        assertThat(server.process.waitFor(30, TimeUnit.SECONDS)).as("exited").isTrue();
        assertThat(server.process.exitValue()).isZero();
        assertThat(server.output).anyMatch(line -> line.contains("received SIGTERM"))
                .anyMatch(line -> line.contains("stopped; backend memory closed"));
        assertThat(server.output).noneMatch(line -> line.contains("ERROR"));
    }

    @Test
    void a_bad_flag_value_exits_2_with_a_one_line_reason() throws Exception {
        ServerProcess server = ServerProcess.start("--relay-ttl", "3x");

        assertThat(server.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(server.process.exitValue()).isEqualTo(2);
        assertThat(server.output).containsExactly("relay-registry: invalid --relay-ttl '3x': unknown unit 'x' (use ns, us, ms, s, m or h)");
    }

    @Test
    void an_unknown_backend_exits_2_naming_the_backends_found() throws Exception {
        ServerProcess server = ServerProcess.start("--backend", "cassandra");

        assertThat(server.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(server.process.exitValue()).isEqualTo(2);
        assertThat(server.output).containsExactly("relay-registry: unknown --backend 'cassandra'; available: memory");
    }

    @Test
    void a_port_in_use_exits_1() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ServerProcess server = ServerProcess.start("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port",
                    Integer.toString(taken.getLocalPort()));

            assertThat(server.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(server.process.exitValue()).isEqualTo(1);
            assertThat(server.output).anyMatch(line -> line.startsWith("relay-registry: cannot listen"));
        }
    }

    @Test
    void help_lists_the_flags_and_exits_0() throws Exception {
        ServerProcess server = ServerProcess.start("--help");

        assertThat(server.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(server.process.exitValue()).isZero();
        assertThat(String.join("\n", server.output)).contains("--relay-ttl", "--backend-option", "Backends on the class path: memory");
    }

    /** A registry JVM on the test class path, its stdout and stderr collected line by line. */
    private static final class ServerProcess {
        final Process process;
        final List<String> output = new CopyOnWriteArrayList<>();

        private ServerProcess(Process process) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                        output.add(line);
                    }
                } catch (IOException e) {
                    output.add("(output lost: " + e + ")");
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        static ServerProcess start(String... flags) throws IOException {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), Main.class.getName()));
            command.addAll(List.of(flags));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().keySet().removeIf(name -> name.startsWith("AERO_REGISTRY_"));
            return new ServerProcess(builder.start());
        }

        String awaitLine(Pattern pattern) {
            await().atMost(java.time.Duration.ofSeconds(60)).until(() -> output.stream().anyMatch(line -> pattern.matcher(line).find())
                    || !process.isAlive());
            return output.stream().filter(line -> pattern.matcher(line).find()).findFirst()
                    .orElseThrow(() -> new AssertionError("server did not start:\n" + String.join("\n", output)));
        }
    }
}
