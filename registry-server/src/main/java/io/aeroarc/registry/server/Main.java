package io.aeroarc.registry.server;

import io.aeroarc.registry.core.BackendLoader;
import io.aeroarc.registry.core.GoDurations;
import io.aeroarc.registry.server.security.SecretRedactor;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import sun.misc.Signal;

/** {@code java -jar relay-registry.jar [flags]}: exit 0 after a graceful stop, 2 on bad settings, 1 when it cannot serve. */
public final class Main {

    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {}

    public static void main(String[] args) {
        // gRPC logs through java.util.logging; send it where everything else goes.
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(run(Arrays.asList(args), System.getenv(), System.out, System.err));
    }

    static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        BackendLoader backends;
        ServerConfig config;
        CommandLine.Run run;
        try {
            backends = BackendLoader.discover(Main.class.getClassLoader(), pluginDir(args, env));
            CommandLine.Request request = CommandLine.parse(args, env, backends.origins());
            if (request instanceof CommandLine.Help help) {
                out.print(help.text());
                return 0;
            }
            run = (CommandLine.Run) request;
            config = run.config();
        } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
            err.println("relay-registry: " + e.getMessage());
            return 2;
        }

        CommandLine.Operations operations = run.operations();
        LogSetup.apply(operations.logFormat(), operations.logLevel());

        Telemetry telemetry;
        try {
            telemetry = Telemetry.create(operations.metricsAddress(), env);
        } catch (IllegalArgumentException e) {
            err.println("relay-registry: " + e.getMessage());
            return 2;
        } catch (UncheckedIOException e) {
            err.println("relay-registry: " + e.getMessage());
            return 1;
        }
        RegistryServer server;
        SecretRedactor redactor = SecretRedactor.of(config.backendOptions());
        try {
            server = RegistryServer.create(config, backends, telemetry).start();
        } catch (IllegalArgumentException e) {
            telemetry.close();
            err.println("relay-registry: " + redactor.redact(String.valueOf(e.getMessage())));
            return 2;
        } catch (UncheckedIOException e) {
            err.println("relay-registry: " + redactor.redact(e.getMessage()) + " (" + config.listenAddress() + ":" + config.listenPort() + ")");
            return 1;
        } catch (RuntimeException e) {
            telemetry.close();
            // A backend's own failure: its message and stack may carry the options it was given.
            err.println("relay-registry: cannot start: " + e.getClass().getName() + ": " + redactor.redact(String.valueOf(e.getMessage())));
            return 1;
        }
        config.warnings().forEach(warning -> LOG.warn(warning));
        LOG.info("relay-registry serving aeroarc.registry.v1.AeroRegistry on {}:{} ({}), backend {}, relay-ttl {}, agent-ttl {}, max-page-size {}",
                config.listenAddress(), server.port(), config.tlsEnabled() ? "TLS" : "plaintext", config.backend(),
                GoDurations.format(config.settings().relayTtl()), GoDurations.format(config.settings().agentTtl()),
                config.settings().maxPageSize());
        LOG.info(config.security().describe());

        awaitStopSignal();
        server.stop();
        return 0;
    }

    /**
     * The plugin directory: the one given (which must exist), else {@code plugins} beside the
     * running jar when there is one.
     */
    private static Optional<Path> pluginDir(List<String> args, Map<String, String> env) {
        Optional<String> given = CommandLine.explicitPluginDir(args, env);
        if (given.isPresent()) {
            return Optional.of(Path.of(given.get()));
        }
        Optional<Path> beside = jarDirectory().map(dir -> dir.resolve(Flag.PLUGIN_DIR.defaultValue));
        return beside.filter(Files::isDirectory);
    }

    private static Optional<Path> jarDirectory() {
        CodeSource source = Main.class.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return Optional.empty();
        }
        try {
            Path location = Path.of(source.getLocation().toURI());
            return Files.isRegularFile(location) ? Optional.ofNullable(location.toAbsolutePath().getParent()) : Optional.empty();
        } catch (URISyntaxException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * Waits for SIGTERM or SIGINT. Handling them here, instead of in a shutdown hook, lets the
     * process stop gracefully and still exit 0: after a shutdown hook the JVM exits with 143.
     */
    private static void awaitStopSignal() {
        CountDownLatch stop = new CountDownLatch(1);
        for (String name : List.of("TERM", "INT")) {
            Signal.handle(new Signal(name), signal -> {
                LOG.info("received SIG{}", signal.getName());
                stop.countDown();
            });
        }
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
