package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeroarc.registry.testsupport.EtcdTestServer;
import io.aeroarc.registry.testsupport.PostgresTestServer;
import io.aeroarc.registry.testsupport.RedisTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The runnable jar the build produced, on each built-in backend against a real storage server:
 * {@code java -jar relay-registry.jar --backend NAME --backend-option ...} serves the full API, an
 * independent gRPC client (Python grpcio) agrees, and SIGTERM stops it with exit status 0.
 */
class ServerJarIT {

    private static final Path JAR = Path.of(System.getProperty("registry.jar", "target/relay-registry.jar"));

    @ParameterizedTest(name = "--backend {0}")
    @ValueSource(strings = {"memory", "redis", "etcd", "postgres"})
    void the_jar_serves_the_full_api(String backend) throws Exception {
        try (StorageForBackend storage = StorageForBackend.start(backend)) {
            List<String> flags = new ArrayList<>(List.of("--backend", backend, "--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0"));
            storage.options().forEach((key, value) -> flags.addAll(List.of("--backend-option", key + "=" + value)));

            try (RegistryProcess registry = RegistryProcess.fromJar(JAR, flags)) {
                assertThat(registry.awaitServing()).contains("backend " + backend);
                ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", registry.port()).usePlaintext().build();
                try {
                    FullApiCheck.run(channel);
                } finally {
                    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
                assertThat(blackBoxClient(registry.port())).contains("ALL CHECKS PASSED");

                registry.terminate();
                assertThat(registry.awaitExit()).isZero();
                assertThat(registry.output).anyMatch(line -> line.contains("stopped; backend " + backend + " closed"));
            }
        }
    }

    @Test
    void the_jar_takes_the_go_registrys_redis_flags() throws Exception {
        try (TestServer redis = RedisTestServer.start()) {
            URI url = URI.create(redis.backendOptions().get("url"));
            List<String> flags = List.of("--backend", "redis", "--redis-addr", url.getHost(), "--redis-port", Integer.toString(url.getPort()),
                    "--redis-db", "3", "--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0");

            try (RegistryProcess registry = RegistryProcess.fromJar(JAR, flags)) {
                ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", registry.port()).usePlaintext().build();
                try {
                    FullApiCheck.run(channel);
                } finally {
                    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
                registry.terminate();
                assertThat(registry.awaitExit()).isZero();
            }
        }
    }

    /** Runs the Python grpcio client against the registry; returns its output. */
    private static String blackBoxClient(int port) throws Exception {
        Path script = Path.of("src/test/python/black_box_client.py");
        Process python = new ProcessBuilder("/usr/bin/python3", script.toString(), "127.0.0.1:" + port).redirectErrorStream(true).start();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(python.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(python.exitValue()).as("python grpcio client (apt-get install python3-grpcio):\n%s", output).isZero();
        return output;
    }

    /** The storage server a backend needs: none for memory, a real one from test-support for the others. */
    private record StorageForBackend(Optional<TestServer> server) implements AutoCloseable {

        static StorageForBackend start(String backend) {
            return switch (backend) {
                case "memory" -> new StorageForBackend(Optional.empty());
                case "redis" -> new StorageForBackend(Optional.of(RedisTestServer.start()));
                case "etcd" -> new StorageForBackend(Optional.of(EtcdTestServer.start()));
                case "postgres" -> new StorageForBackend(Optional.of(PostgresTestServer.start()));
                default -> throw new IllegalArgumentException("no storage fixture for backend " + backend);
            };
        }

        Map<String, String> options() {
            return server.map(TestServer::backendOptions).orElse(Map.of());
        }

        @Override
        public void close() {
            server.ifPresent(TestServer::close);
        }
    }

    static {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException("no runnable jar at " + JAR.toAbsolutePath() + "; run through mvn verify");
        }
    }
}
