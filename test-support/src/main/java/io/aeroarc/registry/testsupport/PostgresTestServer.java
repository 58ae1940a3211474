package io.aeroarc.registry.testsupport;

import io.aeroarc.registry.tck.StorageControl;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * A real PostgreSQL for tests, found in this order: the server named by
 * {@value #URL_ENV} (with {@value #USER_ENV} and {@value #PASSWORD_ENV}); a Testcontainers
 * container when Docker answers; a throwaway local cluster of the installed server binaries on a
 * free loopback port in a temp directory.
 */
public final class PostgresTestServer {

    public static final String URL_ENV = "REGISTRY_TEST_POSTGRES_URL";
    public static final String USER_ENV = "REGISTRY_TEST_POSTGRES_USER";
    public static final String PASSWORD_ENV = "REGISTRY_TEST_POSTGRES_PASSWORD";

    /** Debian's postgresql-NN packages keep the server binaries here, off the PATH. */
    private static final String DEBIAN_BIN_DIRS = "/usr/lib/postgresql/*/bin";
    /** PostgreSQL refuses to run as root; a root test run starts it as this user. */
    private static final String SERVER_USER = "postgres";
    private static final String CONTAINER_IMAGE = "postgres:16-alpine";
    private static final long COMMAND_TIMEOUT_SECONDS = 60;

    private PostgresTestServer() {}

    public static TestServer start() {
        String url = System.getenv(URL_ENV);
        if (url != null && !url.isBlank()) {
            return new ExternalServer("external PostgreSQL at " + url + " (from " + URL_ENV + ")",
                    options(url, System.getenv(USER_ENV), System.getenv(PASSWORD_ENV)));
        }
        if (Docker.isAvailable()) {
            return Container.launch();
        }
        Optional<Path> postgres = Binaries.find("postgres", DEBIAN_BIN_DIRS);
        if (postgres.isEmpty()) {
            throw new MissingServerException("PostgreSQL", URL_ENV,
                    "install the PostgreSQL server binaries (apt-get install postgresql, found in " + DEBIAN_BIN_DIRS + ")");
        }
        return LocalCluster.launch(postgres.get().getParent());
    }

    private static Map<String, String> options(String url, String user, String password) {
        Map<String, String> options = new HashMap<>();
        options.put("url", url);
        if (user != null && !user.isEmpty()) {
            options.put("user", user);
        }
        if (password != null && !password.isEmpty()) {
            options.put("password", password);
        }
        return Map.copyOf(options);
    }

    /**
     * A Testcontainers container. The outage control pauses and unpauses it, because a stopped
     * container's mapped port may change when it starts again; a paused server does not answer, so
     * calls run into the backend's timeouts.
     */
    private static final class Container implements TestServer, StorageControl {

        private final PostgreSQLContainer container;

        private Container(PostgreSQLContainer container) {
            this.container = container;
        }

        @SuppressWarnings("resource") // closed in close()
        static Container launch() {
            PostgreSQLContainer container = new PostgreSQLContainer(CONTAINER_IMAGE);
            container.start();
            return new Container(container);
        }

        @Override
        public String description() {
            return "PostgreSQL container " + CONTAINER_IMAGE + " at " + container.getJdbcUrl();
        }

        @Override
        public Map<String, String> backendOptions() {
            return options(container.getJdbcUrl(), container.getUsername(), container.getPassword());
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

    /**
     * A cluster made by initdb in a temp directory and run on a free loopback port, tuned to start
     * fast and to skip durability the tests do not need.
     */
    private static final class LocalCluster implements TestServer, StorageControl {

        private final Path binDir;
        private final Path dataDir;
        private final List<String> asServerUser;
        private final LocalServerProcess process;
        private final Thread stopOnExit;

        private LocalCluster(Path binDir, Path dataDir, List<String> asServerUser, LocalServerProcess process) {
            this.binDir = binDir;
            this.dataDir = dataDir;
            this.asServerUser = asServerUser;
            this.process = process;
            // A postmaster left behind by a killed test JVM would hold the port and shared memory.
            this.stopOnExit = new Thread(this::fastShutdown, "postgres-test-server-stop");
        }

        static LocalCluster launch(Path binDir) {
            Path directory;
            try {
                directory = Files.createTempDirectory("registry-postgres-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temp directory for PostgreSQL", e);
            }
            List<String> asServerUser = runsAsRoot()
                    ? List.of("setpriv", "--reuid=" + SERVER_USER, "--regid=" + SERVER_USER, "--init-groups")
                    : List.of();
            Path dataDir = directory.resolve("data");
            int port = FreePort.find();
            List<String> command = new ArrayList<>(asServerUser);
            command.addAll(List.of(binDir.resolve("postgres").toString(), "-D", dataDir.toString(), "-p", Integer.toString(port),
                    "-k", directory.toString(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                    "-c", "synchronous_commit=off", "-c", "full_page_writes=off"));
            LocalCluster cluster = new LocalCluster(binDir, dataDir, asServerUser,
                    new LocalServerProcess("postgres", command, directory, port));
            Runtime.getRuntime().addShutdownHook(cluster.stopOnExit);
            try {
                if (runsAsRoot()) {
                    giveToServerUser(directory);
                }
                run(asServerUser, List.of(binDir.resolve("initdb").toString(), "-D", dataDir.toString(), "-A", "trust",
                        "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"));
                cluster.start();
            } catch (RuntimeException e) {
                cluster.close();
                throw e;
            }
            return cluster;
        }

        @Override
        public String description() {
            return "local PostgreSQL (" + binDir + ") on 127.0.0.1:" + process.port() + " in " + process.directory();
        }

        @Override
        public Map<String, String> backendOptions() {
            return options("jdbc:postgresql://127.0.0.1:" + process.port() + "/postgres", "postgres", null);
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
        public void start() {
            process.start();
        }

        /**
         * A fast shutdown: the postmaster ends open sessions and exits. The SIGTERM the process
         * wrapper sends is a "smart" shutdown that waits for every pooled connection to close.
         */
        @Override
        public void stop() {
            fastShutdown();
            process.stop();
        }

        @Override
        public void close() {
            stop();
            process.close();
            try {
                Runtime.getRuntime().removeShutdownHook(stopOnExit);
            } catch (IllegalStateException e) {
                // The JVM is already exiting; the hook runs anyway.
            }
        }

        private void fastShutdown() {
            if (Files.exists(dataDir.resolve("postmaster.pid"))) {
                List<String> command = new ArrayList<>(asServerUser);
                command.addAll(List.of(binDir.resolve("pg_ctl").toString(), "stop", "-D", dataDir.toString(), "-m", "fast", "-w"));
                runQuietly(command);
            }
        }

        private static boolean runsAsRoot() {
            return "root".equals(System.getProperty("user.name"));
        }

        private static void giveToServerUser(Path directory) {
            try {
                UserPrincipalLookupService users = directory.getFileSystem().getUserPrincipalLookupService();
                GroupPrincipal group = users.lookupPrincipalByGroupName(SERVER_USER);
                Files.setOwner(directory, users.lookupPrincipalByName(SERVER_USER));
                Files.getFileAttributeView(directory, PosixFileAttributeView.class).setGroup(group);
            } catch (IOException e) {
                throw new MissingServerException("PostgreSQL", URL_ENV,
                        "create the '" + SERVER_USER + "' user PostgreSQL runs as when the tests run as root (" + e.getMessage() + ")");
            }
        }

        private static void run(List<String> prefix, List<String> command) {
            List<String> full = new ArrayList<>(prefix);
            full.addAll(command);
            Result result = execute(full);
            if (result.exitCode != 0) {
                throw new IllegalStateException(String.join(" ", full) + " exited with " + result.exitCode + ":\n" + result.output);
            }
        }

        private static void runQuietly(List<String> command) {
            try {
                execute(command);
            } catch (RuntimeException e) {
                // Stopping is best effort: the process wrapper kills the server after this.
            }
        }

        private record Result(int exitCode, String output) {}

        /** Runs a short command to its end; its output goes to a file so a chatty command cannot block on a full pipe. */
        private static Result execute(List<String> command) {
            Path output = null;
            try {
                output = Files.createTempFile("registry-postgres-command-", ".log");
                Process process = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
                if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException(command + " did not finish within " + COMMAND_TIMEOUT_SECONDS + "s");
                }
                return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot run " + command, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + command, e);
            } finally {
                if (output != null) {
                    output.toFile().delete();
                }
            }
        }
    }
}
