package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.ListRelaysRequest;
import io.aeroarc.registry.core.BackendLoader;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --tls-enabled serves TLS with the given PEM files and refuses plaintext clients. */
class TlsTest {

    @Test
    void a_tls_server_answers_clients_that_trust_its_certificate_only(@TempDir Path dir) throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key.toString(), "-out", cert.toString())
                .redirectErrorStream(true).start();
        String opensslOutput = new String(openssl.getInputStream().readAllBytes());
        assertThat(openssl.waitFor()).as("openssl (install it with apt-get install openssl): %s", opensslOutput).isZero();

        CommandLine.Run run = (CommandLine.Run) CommandLine.parse(List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0",
                "--tls-enabled", "--tls-cert-path", cert.toString(), "--tls-key-path", key.toString()), Map.of(), Map.of("memory", "relay-registry.jar"));
        RegistryServer server = RegistryServer.create(run.config(), BackendLoader.discover(getClass().getClassLoader())).start();
        ManagedChannel trusting = Grpc.newChannelBuilderForAddress("localhost", server.port(),
                TlsChannelCredentials.newBuilder().trustManager(cert.toFile()).build()).build();
        ManagedChannel plaintext = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            assertThat(AeroRegistryGrpc.newBlockingStub(trusting).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .listRelays(ListRelaysRequest.getDefaultInstance()).getRelaysList()).isEmpty();
            assertThatThrownBy(() -> AeroRegistryGrpc.newBlockingStub(plaintext).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .listRelays(ListRelaysRequest.getDefaultInstance())).isInstanceOfSatisfying(StatusRuntimeException.class,
                    e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        } finally {
            trusting.shutdownNow();
            plaintext.shutdownNow();
            server.stop();
        }
    }

    @Test
    void a_pkcs1_key_is_refused_naming_the_flag_before_the_backend_opens(@TempDir Path dir) throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        java.nio.file.Files.writeString(cert, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
        java.nio.file.Files.writeString(key, "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n");
        // A backend that does not exist: had the backend been opened first, the error would name it instead.
        CommandLine.Run run = (CommandLine.Run) CommandLine.parse(List.of("--backend", "memory", "--grpc-listen-port", "0",
                "--tls-enabled", "--tls-cert-path", cert.toString(), "--tls-key-path", key.toString()), Map.of(), Map.of("memory", "relay-registry.jar"));
        ServerConfig missingBackend = new ServerConfig("no-such-backend", Map.of(), "127.0.0.1", 0, run.config().settings(),
                run.config().shutdownTimeout(), run.config().tlsCertPath(), run.config().tlsKeyPath(), run.config().coalescing(), run.config().transportLimits(), List.of(), run.config().callLimits(), run.config().callThreads(),
                run.config().security(), run.config().watchLimits());
        assertThatThrownBy(() -> RegistryServer.create(missingBackend, BackendLoader.discover(getClass().getClassLoader())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid --tls-key-path '" + key + "': the key is PKCS#1")
                .hasMessageContaining("openssl pkcs8 -topk8");
    }
}
