package io.aeroarc.registry.testsupport;

import io.aeroarc.registry.tck.StorageControl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A real Redis for a test class: the one at {@value #URL_ENV} if set, else a {@code redis:7-alpine}
 * container when Docker answers, else a local {@code redis-server} on a free loopback port with a
 * temp dir and no persistence. Hands out backend options {@code url=redis://host:port}.
 */
public final class RedisTestServer {

    public static final String URL_ENV = "REGISTRY_TEST_REDIS_URL";
    static final String IMAGE = "redis:7-alpine";
    private static final int REDIS_PORT = 6379;

    private RedisTestServer() {}

    public static TestServer start() {
        String url = System.getenv(URL_ENV);
        if (url != null && !url.isBlank()) {
            String trimmed = url.trim();
            URI uri = URI.create(trimmed);
            return new ExternalServer("Redis from " + URL_ENV + " at " + uri.getHost() + ":" + uri.getPort(), Map.of("url", trimmed));
        }
        if (Docker.isAvailable()) {
            return Container.launch();
        }
        Optional<Path> binary = Binaries.find("redis-server", "/usr/local/bin", "/usr/bin", "/opt/homebrew/bin");
        if (binary.isPresent()) {
            return Local.launch(binary.get());
        }
        throw new MissingServerException("Redis", URL_ENV, "install redis-server (apt-get install redis-server)");
    }

    /**
     * A container; the outage control pauses and unpauses it, because a stopped container's mapped
     * port may change when it starts again. A paused Redis does not answer, so calls time out.
     */
    private static final class Container implements TestServer, StorageControl {

        private final GenericContainer<?> container;

        private Container(GenericContainer<?> container) {
            this.container = container;
        }

        @SuppressWarnings("resource") // closed in close()
        static Container launch() {
            GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(IMAGE))
                    .withCommand("redis-server", "--save", "", "--appendonly", "no")
                    .withExposedPorts(REDIS_PORT);
            container.start();
            return new Container(container);
        }

        @Override
        public String description() {
            return "Redis container " + IMAGE + " at " + container.getHost() + ":" + container.getMappedPort(REDIS_PORT);
        }

        @Override
        public Map<String, String> backendOptions() {
            return Map.of("url", "redis://" + container.getHost() + ":" + container.getMappedPort(REDIS_PORT));
        }

        @Override
        public Optional<StorageControl> control() {
            return Optional.of(this);
        }

        @Override
        public void stop() {
            container.getDockerClient().pauseContainerCmd(container.getContainerId()).exec();
        }

        @Override
        public void start() {
            container.getDockerClient().unpauseContainerCmd(container.getContainerId()).exec();
        }

        @Override
        public void close() {
            container.stop();
        }
    }

    /** redis-server run by the tests: no RDB or AOF files, only the loopback interface. */
    private static final class Local implements TestServer, StorageControl {

        private final LocalServerProcess process;

        private Local(LocalServerProcess process) {
            this.process = process;
        }

        static Local launch(Path binary) {
            Path directory;
            try {
                directory = Files.createTempDirectory("registry-test-redis");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temp dir for redis-server", e);
            }
            int port = FreePort.find();
            List<String> command = List.of(binary.toString(),
                    "--port", Integer.toString(port),
                    "--bind", "127.0.0.1",
                    "--save", "",
                    "--appendonly", "no",
                    "--dir", directory.toString(),
                    "--daemonize", "no",
                    "--loglevel", "warning",
                    "--logfile", "");
            LocalServerProcess process = new LocalServerProcess("redis-server", command, directory, port);
            try {
                process.start();
            } catch (RuntimeException e) {
                process.close();
                throw e;
            }
            return new Local(process);
        }

        @Override
        public String description() {
            return "local redis-server on 127.0.0.1:" + process.port();
        }

        @Override
        public Map<String, String> backendOptions() {
            return Map.of("url", "redis://127.0.0.1:" + process.port());
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

        @Override
        public void start() {
            process.start();
        }

        @Override
        public void close() {
            process.close();
        }
    }
}
