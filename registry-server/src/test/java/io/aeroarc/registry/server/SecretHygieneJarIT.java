package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.HeartbeatRelayRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A planted password never shows in what the real jar prints (--help, start-up errors, logs of
 * failing calls against an unreachable storage) nor in what clients are told, whichever backend and
 * whichever way it was given: as an option, in a URL, through the Go flags, or from a file.
 */
class SecretHygieneJarIT {

    private static final Path JAR = Path.of(System.getProperty("registry.jar", "target/relay-registry.jar"));
    private static final String SECRET = "PLANTED-S3CRET-7f3a9c";

    @Test
    void help_and_start_up_errors_do_not_echo_a_password() throws Exception {
        assertClean(exitOutput(List.of("--help", "--backend", "redis", "--redis-password", SECRET)), 0);
        // Malformed URLs and bad values next to passwords: refused with status 2, the secret masked.
        assertClean(exitOutput(List.of("--backend", "postgres", "--backend-option", "url=postgresql://fleet:" + SECRET + "@db.internal/registry")), 2);
        assertClean(exitOutput(List.of("--backend", "etcd", "--backend-option", "endpoints=http://root:" + SECRET + "@127.0.0.1:1")), 2);
        assertClean(exitOutput(List.of("--backend", "postgres", "--backend-option", "url=jdbc:postgresql://127.0.0.1:1/r?user=u&password=" + SECRET,
                "--backend-option", "pool-size=0")), 2);
    }

    @Test
    void failing_calls_against_unreachable_storage_do_not_echo_a_password(@TempDir Path dir) throws Exception {
        Path passwordFile = Files.writeString(dir.resolve("password"), SECRET + "\n");
        List<List<String>> backends = List.of(
                List.of("--backend", "redis", "--redis-addr", "127.0.0.1", "--redis-port", "1", "--redis-password-file", passwordFile.toString(),
                        "--backend-option", "timeout=300ms"),
                List.of("--backend", "postgres", "--backend-option", "url=jdbc:postgresql://127.0.0.1:1/registry?user=fleet&password=" + SECRET,
                        "--backend-option", "timeout=300ms"),
                List.of("--backend", "etcd", "--backend-option", "endpoints=http://127.0.0.1:1", "--backend-option", "user=root",
                        "--backend-option", "password=" + SECRET, "--backend-option", "timeout=300ms"));
        for (List<String> backend : backends) {
            List<String> flags = new ArrayList<>(List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0"));
            flags.addAll(backend);
            try (RegistryProcess registry = RegistryProcess.fromJar(JAR, flags)) {
                ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", registry.port()).usePlaintext().build();
                try {
                    AeroRegistryGrpc.AeroRegistryBlockingStub stub = AeroRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
                    assertThatThrownBy(() -> stub.getRelay(GetRelayRequest.newBuilder().setRelayId("r1").build()))
                            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getMessage()).doesNotContain(SECRET));
                    assertThatThrownBy(() -> stub.heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId("r1").build()))
                            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getMessage()).doesNotContain(SECRET));
                } finally {
                    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
                registry.terminate();
                registry.awaitExit();
                assertThat(registry.output).as("output of %s", backend).anyMatch(line -> line.contains(" UNAVAILABLE from "));
                assertThat(String.join("\n", registry.output)).as("output of %s", backend).doesNotContain(SECRET);
            }
        }
    }

    private static List<String> exitOutput(List<String> flags) throws Exception {
        try (RegistryProcess registry = RegistryProcess.fromJar(JAR, flags)) {
            int status = registry.awaitExit();
            List<String> output = new ArrayList<>(registry.output);
            output.add(0, Integer.toString(status));
            return output;
        }
    }

    private static void assertClean(List<String> statusAndOutput, int expectedStatus) {
        assertThat(statusAndOutput.get(0)).as("exit status; output %s", statusAndOutput).isEqualTo(Integer.toString(expectedStatus));
        assertThat(String.join("\n", statusAndOutput)).doesNotContain(SECRET);
        if (expectedStatus != 0) {
            assertThat(statusAndOutput).anyMatch(line -> line.startsWith("relay-registry: "));
        }
    }
}
