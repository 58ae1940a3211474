package io.aeroarc.registry.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.testsupport.Binaries;
import io.aeroarc.registry.testsupport.EtcdTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import io.grpc.netty.GrpcSslContexts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS and authentication options against a local etcd that serves only TLS and requires
 * client certificates, with certificates made by openssl for the test. Skipped where there is no
 * local etcd binary or openssl (the Docker and external etcd of the other tests serve plain http).
 */
class EtcdSecurityTest {

    private static final BackendContext CONTEXT = new BackendContext(Clock.systemUTC());
    private static final String NAMESPACE = "/aeroarc/registry-security-test/";

    @TempDir
    static Path certs;

    private static TestServer server;
    private static Client root;
    private final List<RegistryBackend> backends = new ArrayList<>();

    @BeforeAll
    static void startTlsEtcd() throws Exception {
        Optional<Path> openssl = Binaries.find("openssl", "/usr/bin", "/usr/local/bin");
        assumeTrue(openssl.isPresent(), "openssl is needed to make the test certificates");
        makeCertificates(openssl.get());
        Optional<TestServer> started = EtcdTestServer.startLocalTls(certs.resolve("ca.pem"), certs.resolve("server.pem"),
                certs.resolve("server-key.pem"));
        assumeTrue(started.isPresent(), "a local etcd binary is needed for a TLS etcd (apt-get install etcd-server)");
        server = started.get();
        root = Client.builder().endpoints(server.backendOptions().get("endpoints"))
                .sslContext(GrpcSslContexts.forClient().trustManager(certs.resolve("ca.pem").toFile())
                        .keyManager(certs.resolve("root.pem").toFile(), certs.resolve("root-key.pem").toFile()).build())
                .build();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> root.getKVClient().get(ByteSequence.from("/", StandardCharsets.UTF_8)).get(2, TimeUnit.SECONDS) != null);
    }

    @AfterAll
    static void stopEtcd() {
        if (root != null) {
            root.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void closeBackends() {
        backends.forEach(RegistryBackend::close);
    }

    @Test
    void https_endpoints_with_the_ca_and_a_client_certificate_work() {
        RegistryBackend backend = backend(Map.of("ca-file", file("ca.pem"), "cert-file", file("client.pem"), "key-file",
                file("client-key.pem")));

        backend.registerRelay(new RelayRegistration("relay-a", "10.0.0.1", 7443, Map.of()), Duration.ofMinutes(1));
        backend.registerAgent("agent-1", "relay-a", Duration.ofMinutes(1)).orElseThrow();

        assertThat(backend.getPlacement("agent-1")).map(p -> p.relay().address()).contains("10.0.0.1");
    }

    @Test
    void a_server_certificate_from_an_unknown_ca_is_refused() {
        RegistryBackend backend = backend(Map.of("cert-file", file("client.pem"), "key-file", file("client-key.pem")));

        assertThatThrownBy(backend::probe).isInstanceOf(BackendUnavailableException.class)
                .satisfies(failure -> assertThat(causes(failure)).as("causes").anyMatch(cause -> cause instanceof SSLException));
    }

    @Test
    void user_and_password_authenticate_and_a_wrong_password_is_a_misconfiguration_not_a_hang() throws Exception {
        Auth auth = root.getAuthClient();
        ByteSequence rootUser = bytes("root");
        auth.userAdd(rootUser, bytes("root-password")).get(5, TimeUnit.SECONDS);
        auth.userGrantRole(rootUser, rootUser).get(5, TimeUnit.SECONDS);
        auth.roleAdd(bytes("registry")).get(5, TimeUnit.SECONDS);
        auth.roleGrantPermission(bytes("registry"), bytes(NAMESPACE), bytes(NAMESPACE.substring(0, NAMESPACE.length() - 1) + "0"),
                Permission.Type.READWRITE).get(5, TimeUnit.SECONDS);
        auth.userAdd(bytes("registry"), bytes("registry-password")).get(5, TimeUnit.SECONDS);
        auth.userGrantRole(bytes("registry"), bytes("registry")).get(5, TimeUnit.SECONDS);
        auth.authEnable().get(5, TimeUnit.SECONDS);
        try {
            Map<String, String> tls = Map.of("ca-file", file("ca.pem"), "cert-file", file("client.pem"), "key-file", file("client-key.pem"));
            RegistryBackend registry = backend(with(tls, Map.of("user", "registry", "password", "registry-password")));
            RegistryBackend wrongPassword = backend(with(tls, Map.of("user", "registry", "password", "guess")));

            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(registry::probe);
            registry.registerRelay(new RelayRegistration("relay-a", "10.0.0.1", 7443, Map.of()), Duration.ofMinutes(1));
            assertThat(registry.getRelay("relay-a")).isPresent();

            long start = System.nanoTime();
            assertThatThrownBy(wrongPassword::probe).as("a refused password is a misconfiguration, not an outage")
                    .isInstanceOf(BackendMisconfiguredException.class).hasMessageContaining("UNAUTHENTICATED");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThanOrEqualTo(Duration.ofSeconds(3));
        } finally {
            auth.authDisable().get(5, TimeUnit.SECONDS);
        }
    }

    private RegistryBackend backend(Map<String, String> extraOptions) {
        Map<String, String> options = new HashMap<>(server.backendOptions());
        options.put("namespace", NAMESPACE);
        options.putAll(extraOptions);
        RegistryBackend backend = new EtcdBackendProvider().create(BackendOptions.of("etcd", options), CONTEXT);
        backends.add(backend);
        return backend;
    }

    private static Map<String, String> with(Map<String, String> first, Map<String, String> second) {
        Map<String, String> both = new HashMap<>(first);
        both.putAll(second);
        return both;
    }

    private static List<Throwable> causes(Throwable failure) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable cause = failure; cause != null && !chain.contains(cause); cause = cause.getCause()) {
            chain.add(cause);
        }
        return chain;
    }

    private static String file(String name) {
        return certs.resolve(name).toString();
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    /** A CA, a server certificate for 127.0.0.1, and client certificates for the users root and client. */
    private static void makeCertificates(Path openssl) throws IOException, InterruptedException {
        run(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=registry-test-ca",
                "-keyout", "ca-key.pem", "-out", "ca.pem");
        Files.writeString(certs.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        for (String name : List.of("server", "root", "client")) {
            run(openssl, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", name + "-key.pem", "-out", name + ".csr");
            List<String> sign = new ArrayList<>(List.of("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                    "-CAcreateserial", "-days", "2", "-out", name + ".pem"));
            if (name.equals("server")) {
                sign.addAll(List.of("-extfile", "server.ext"));
            }
            run(openssl, sign.toArray(String[]::new));
        }
    }

    private static void run(Path openssl, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(openssl.toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(certs.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", arguments) + " failed:\n" + output);
        }
    }
}
