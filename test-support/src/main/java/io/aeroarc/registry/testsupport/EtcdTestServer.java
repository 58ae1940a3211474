package io.aeroarc.registry.testsupport;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import io.aeroarc.registry.tck.StorageControl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * A real etcd for a test class: the one at {@value #ENDPOINTS_ENV} if set, else an etcd container
 * when Docker answers, else the local {@code etcd} binary on free loopback client and peer ports
 * with a temp data dir. Hands out backend options {@code endpoints=http://host:port}.
 *
 * <p>The etcd the tests start runs with {@code --election-timeout 500 --heartbeat-interval 50},
 * which makes leases as short as one second possible, and can be stopped and started again on the
 * same ports with the same data, for the outage rules.
 */
public final class EtcdTestServer {

    public static final String ENDPOINTS_ENV = "REGISTRY_TEST_ETCD_ENDPOINTS";
    static final String IMAGE = "quay.io/coreos/etcd:v3.5.17";
    private static final int CLIENT_PORT = 2379;
    private static final int PEER_PORT = 2380;
    private static final Duration HEALTHY_TIMEOUT = Duration.ofSeconds(30);

    private EtcdTestServer() {}

    public static TestServer start() {
        String endpoints = System.getenv(ENDPOINTS_ENV);
        if (endpoints != null && !endpoints.isBlank()) {
            return new ExternalServer("etcd from " + ENDPOINTS_ENV + " at " + endpoints.trim(), Map.of("endpoints", endpoints.trim()));
        }
        if (Docker.isAvailable()) {
            return Container.launch();
        }
        Optional<Path> binary = Binaries.find("etcd", "/usr/local/bin", "/usr/bin", "/opt/homebrew/bin");
        if (binary.isPresent()) {
            return Local.launch(binary.get(), "http", List.of());
        }
        throw new MissingServerException("etcd", ENDPOINTS_ENV, "install etcd (apt-get install etcd-server)");
    }

    /**
     * A local etcd that serves clients only over TLS with {@code certFile}/{@code keyFile} and
     * requires client certificates signed by {@code caFile}, for tests of the TLS and
     * authentication options; empty when there is no local {@code etcd} binary. It is not waited
     * for beyond its port: a TLS client has to ask it whether it is ready.
     */
    public static Optional<TestServer> startLocalTls(Path caFile, Path certFile, Path keyFile) {
        return Binaries.find("etcd", "/usr/local/bin", "/usr/bin", "/opt/homebrew/bin").map(binary -> Local.launch(binary, "https",
                List.of("--trusted-ca-file", caFile.toString(), "--cert-file", certFile.toString(), "--key-file", keyFile.toString(),
                        "--client-cert-auth")));
    }

    /** The command line of a one-member cluster listening on {@code listenHost} and reachable at {@code advertisedHost}. */
    private static List<String> etcdArguments(String dataDir, String clientScheme, String listenHost, String advertisedHost,
            int clientPort, int peerPort) {
        List<String> arguments = new ArrayList<>();
        arguments.addAll(List.of("--name", "default", "--data-dir", dataDir));
        arguments.addAll(List.of("--listen-client-urls", clientScheme + "://" + listenHost + ":" + clientPort));
        arguments.addAll(List.of("--advertise-client-urls", clientScheme + "://" + advertisedHost + ":" + clientPort));
        arguments.addAll(List.of("--listen-peer-urls", "http://" + listenHost + ":" + peerPort));
        arguments.addAll(List.of("--initial-advertise-peer-urls", "http://" + advertisedHost + ":" + peerPort));
        arguments.addAll(List.of("--initial-cluster", "default=http://" + advertisedHost + ":" + peerPort));
        // Short elections make a 1s minimum lease TTL possible (etcd's minimum is 1.5 election timeouts).
        arguments.addAll(List.of("--election-timeout", "500", "--heartbeat-interval", "50"));
        arguments.addAll(List.of("--logger", "zap", "--log-level", "warn"));
        return arguments;
    }

    /** Returns once etcd reports itself healthy (it has a leader), which comes after it opens its port. */
    private static void awaitHealthy(String host, int port) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/health"))
                .timeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + HEALTHY_TIMEOUT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.body().contains("\"health\":\"true\"")) {
                    return;
                }
                last = response.statusCode() + " " + response.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for etcd", e);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for etcd", e);
            }
        }
        throw new IllegalStateException("etcd on " + host + ":" + port + " was not healthy within " + HEALTHY_TIMEOUT + ": " + last);
    }

    /**
     * A container whose client port is bound to a fixed free host port, so that stopping and
     * starting it (its data stays in the container) keeps the address the backend uses.
     */
    private static final class Container implements TestServer, StorageControl {

        private final GenericContainer<?> container;
        private final int hostPort;

        private Container(GenericContainer<?> container, int hostPort) {
            this.container = container;
            this.hostPort = hostPort;
        }

        @SuppressWarnings("resource") // closed in close()
        static Container launch() {
            int hostPort = FreePort.find();
            List<String> command = new ArrayList<>(List.of("etcd"));
            command.addAll(etcdArguments("/etcd-data", "http", "0.0.0.0", "127.0.0.1", CLIENT_PORT, PEER_PORT));
            GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(IMAGE))
                    .withCommand(command.toArray(String[]::new))
                    .withExposedPorts(CLIENT_PORT)
                    .withCreateContainerCmdModifier(create -> create.getHostConfig().withPortBindings(
                            new PortBinding(Ports.Binding.bindPort(hostPort), ExposedPort.tcp(CLIENT_PORT))))
                    .waitingFor(Wait.forHttp("/health").forPort(CLIENT_PORT)
                            .forResponsePredicate(body -> body.contains("\"health\":\"true\"")));
            container.start();
            return new Container(container, hostPort);
        }

        @Override
        public String description() {
            return "etcd container " + IMAGE + " at " + container.getHost() + ":" + hostPort;
        }

        @Override
        public Map<String, String> backendOptions() {
            return Map.of("endpoints", "http://" + container.getHost() + ":" + hostPort);
        }

        @Override
        public Optional<StorageControl> control() {
            return Optional.of(this);
        }

        @Override
        public void stop() {
            container.getDockerClient().stopContainerCmd(container.getContainerId()).exec();
        }

        @Override
        public void start() {
            container.getDockerClient().startContainerCmd(container.getContainerId()).exec();
            awaitHealthy(container.getHost(), hostPort);
        }

        @Override
        public void close() {
            container.stop();
        }
    }

    /** The local etcd binary, run by the tests on loopback ports with its data in a temp dir. */
    private static final class Local implements TestServer, StorageControl {

        private final LocalServerProcess process;
        private final String scheme;

        private Local(LocalServerProcess process, String scheme) {
            this.process = process;
            this.scheme = scheme;
        }

        static Local launch(Path binary, String scheme, List<String> extraArguments) {
            Path directory;
            try {
                directory = Files.createTempDirectory("registry-test-etcd");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temp dir for etcd", e);
            }
            int clientPort = FreePort.find();
            int peerPort = FreePort.find();
            while (peerPort == clientPort) {
                peerPort = FreePort.find();
            }
            List<String> command = new ArrayList<>(List.of(binary.toString()));
            command.addAll(etcdArguments(directory.resolve("data").toString(), scheme, "127.0.0.1", "127.0.0.1", clientPort, peerPort));
            command.addAll(extraArguments);
            LocalServerProcess process = new LocalServerProcess("etcd", command, directory, clientPort);
            Local local = new Local(process, scheme);
            try {
                local.start();
            } catch (RuntimeException e) {
                process.close();
                throw e;
            }
            return local;
        }

        @Override
        public String description() {
            return "local etcd on " + scheme + "://127.0.0.1:" + process.port();
        }

        @Override
        public Map<String, String> backendOptions() {
            return Map.of("endpoints", scheme + "://127.0.0.1:" + process.port());
        }

        @Override
        public Optional<LocalServerProcess> localProcess() {
            return Optional.of(process);
        }

        @Override
        public Optional<StorageControl> control() {
            return Optional.of(this);
        }

        @Override
        public void stop() {
            process.stop();
        }

        /** Starts it, or again after {@link #stop()} on the same ports with the same data dir. */
        @Override
        public void start() {
            process.start();
            if (scheme.equals("http")) {
                awaitHealthy("127.0.0.1", process.port());
            }
        }

        @Override
        public void close() {
            process.close();
        }
    }
}
