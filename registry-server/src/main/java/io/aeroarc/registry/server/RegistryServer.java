package io.aeroarc.registry.server;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.core.BackendLoader;
import io.aeroarc.registry.core.CoalescingBackend;
import io.aeroarc.registry.core.RegistryService;
import io.aeroarc.registry.core.RegistryException;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.server.security.Security;
import io.aeroarc.registry.server.security.SecurityConfig;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.GoDurations;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's gRPC server: the AeroRegistry service, standard health and reflection, over one
 * backend. Stopping it is graceful: health turns NOT_SERVING, in-flight calls get the shutdown
 * timeout to finish, then the backend is closed.
 *
 * <p>Registry calls run on a fixed pool of {@link #CALL_THREADS} threads rather than grpc-java's
 * default cached pool, which adds a thread whenever all are busy: under a burst it grew to
 * thousands of threads queued on the backend. The fixed pool has enough threads for every
 * connection of a storage client's pool (Redis: 16) to be in use while others compute, and no
 * more; calls beyond it wait in its queue. It is a plain {@link ThreadPoolExecutor}: a ForkJoinPool
 * wakes an idle worker only when its queue was empty, so under steady load all calls ran on one
 * thread, one storage round trip at a time. Health and reflection run on a small pool of their
 * own, so probes are answered while a stalled storage holds every call thread.
 */
public final class RegistryServer {

    /** Largest request accepted; larger ones get RESOURCE_EXHAUSTED from gRPC. */
    static final int MAX_INBOUND_MESSAGE_BYTES = 1024 * 1024;
    static final Duration HEALTH_PROBE_INTERVAL = Duration.ofSeconds(1);
    static final Duration HEALTH_PROBE_TIMEOUT = Duration.ofSeconds(5);
    /** Calls running at once: calls blocked on storage round trips need threads, the rest need cores. */
    static final int CALL_THREADS = Math.max(16, 2 * Runtime.getRuntime().availableProcessors());
    /** Health checks and reflection never touch the storage. */
    static final int SERVICE_THREADS = 2;

    private static final Logger LOG = LoggerFactory.getLogger(RegistryServer.class);

    private final Server server;
    private final String backendName;
    private final RegistryBackend backend;
    private final HealthStatusManager health = new HealthStatusManager();
    private final InFlightCalls inFlightCalls = new InFlightCalls();
    private final BackendHealthMonitor healthMonitor;
    private final ExecutorService callExecutor = fixedPool(CALL_THREADS, "registry-call-");
    private final ExecutorService serviceExecutor = fixedPool(SERVICE_THREADS, "registry-service-");
    private final Duration shutdownTimeout;
    private final Security security;
    private boolean stopped;

    /** A server on {@code builder}, such as one on an ephemeral port in tests. */
    public RegistryServer(ServerBuilder<?> builder, String backendName, RegistryBackend backend, RegistrySettings settings,
            Duration shutdownTimeout) {
        this(builder, backendName, backend, settings, shutdownTimeout, Security.from(SecurityConfig.none()));
    }

    RegistryServer(ServerBuilder<?> builder, String backendName, RegistryBackend backend, RegistrySettings settings, Duration shutdownTimeout,
            Security security) {
        this.backendName = backendName;
        this.backend = backend;
        this.shutdownTimeout = shutdownTimeout;
        this.security = security;
        this.healthMonitor = new BackendHealthMonitor(backendName, backend, health, HEALTH_PROBE_INTERVAL, HEALTH_PROBE_TIMEOUT);
        RegistryService registry = new RegistryService(backend, settings);
        builder
                .addService(new AeroRegistryService(registry))
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .intercept(new FailedCallLogger())
                .intercept(inFlightCalls);
        // Added last, so it runs first: calls refused for credentials, policy or rate never take a call slot or a log line.
        for (ServerInterceptor interceptor : security.interceptors(agentId -> currentPlacement(registry, agentId), StatusMapper::toStatus)) {
            builder.intercept(interceptor);
        }
        this.server = builder
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                // Only starting a call (method lookup, interceptors) runs on the transport thread; the
                // call itself moves to the pool executorFor picks. A pool as the default executor would
                // make every health check wait for a free call thread to be started.
                .directExecutor()
                .callExecutor(this::executorFor)
                .build();
    }

    /**
     * The server {@code config} describes, on the backend it names, found among {@code backends}.
     *
     * @throws IllegalArgumentException for an unknown backend, bad backend options, or TTLs the backend cannot keep
     */
    public static RegistryServer create(ServerConfig config, BackendLoader backends) {
        RegistrySettings settings = config.settings();
        // Credentials first: a bad key file must not leave an opened backend behind.
        Security security = Security.from(config.security());
        ServerCredentials credentials;
        RegistryBackend backend;
        try {
            credentials = config.tlsEnabled()
                    ? security.tlsCredentials(config.tlsCertPath().orElseThrow(), config.tlsKeyPath().orElseThrow())
                    : InsecureServerCredentials.create();
            BackendContext context = new BackendContext(Clock.systemUTC(), settings.relayTtl(), settings.agentTtl());
            RegistryBackend opened = backends.open(config.backend(), BackendOptions.of(config.backend(), config.backendOptions()), context, settings);
            backend = config.coalescing().<RegistryBackend>map(options -> new CoalescingBackend(opened, options)).orElse(opened);
        } catch (RuntimeException e) {
            security.close();
            throw e;
        }
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(config.listenAddress(), config.listenPort()), credentials)
                // Relays keep one connection open for their heartbeats; let their keepalive pings through.
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
        return new RegistryServer(builder, config.backend(), backend, settings, config.shutdownTimeout(), security);
    }

    /** The agent's placement now, for the security rules and audit lines that depend on it. */
    private static Optional<PlacementRecord> currentPlacement(RegistryService registry, String agentId) {
        try {
            return Optional.of(registry.getAgentPlacement(agentId).placement());
        } catch (RegistryException e) {
            // Not placed, or an invalid id that the call itself will report.
            return Optional.empty();
        }
    }

    public RegistryServer start() {
        try {
            server.start();
        } catch (IOException e) {
            callExecutor.shutdownNow();
            serviceExecutor.shutdownNow();
            backend.close();
            security.close();
            throw new UncheckedIOException("cannot listen: " + e.getMessage(), e);
        }
        healthMonitor.start();
        return this;
    }

    public int port() {
        return server.getPort();
    }

    public String backendName() {
        return backendName;
    }

    /** Graceful stop; calling it again does nothing. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        LOG.info("stopping: health NOT_SERVING, letting in-flight calls finish within {}", GoDurations.format(shutdownTimeout));
        healthMonitor.close();
        health.enterTerminalState();
        server.shutdown();
        try {
            if (!inFlightCalls.awaitNone(shutdownTimeout)) {
                LOG.warn("calls still running after {}; cancelling them", GoDurations.format(shutdownTimeout));
            }
            // Cancels what is left: overdue calls and streams such as health watches, which never end by themselves.
            server.shutdownNow();
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
        callExecutor.shutdownNow();
        serviceExecutor.shutdownNow();
        backend.close();
        security.close();
        LOG.info("stopped; backend {} closed", backendName);
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /** The call pool for the registry's own calls, the service pool for health and reflection. */
    private <Q, R> Executor executorFor(ServerCall<Q, R> call, Metadata headers) {
        return AeroRegistryGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName()) ? callExecutor : serviceExecutor;
    }

    /** Threads are daemons: the JVM's exit is decided by {@link #stop()} and Main, never by a stuck call. */
    private static ExecutorService fixedPool(int threads, String namePrefix) {
        AtomicInteger created = new AtomicInteger();
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), runnable -> {
            Thread thread = new Thread(runnable, namePrefix + created.getAndIncrement());
            thread.setDaemon(true);
            return thread;
        });
    }
}
