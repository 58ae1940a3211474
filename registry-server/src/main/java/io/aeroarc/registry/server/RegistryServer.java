package io.aeroarc.registry.server;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.core.BackendLoader;
import io.aeroarc.registry.core.CoalescingBackend;
import io.aeroarc.registry.core.FailFastBackend;
import io.aeroarc.registry.core.GoDurations;
import io.aeroarc.registry.core.MeasuredBackend;
import io.aeroarc.registry.core.RegistryException;
import io.aeroarc.registry.core.RegistryService;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.core.StorageAvailability;
import io.aeroarc.registry.server.security.Security;
import io.aeroarc.registry.server.security.SecurityConfig;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.support.DaemonThreads;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's gRPC server: the AeroRegistry service, standard health and reflection, over one
 * backend. Stopping it is graceful: health turns NOT_SERVING, in-flight calls get the shutdown
 * timeout to finish, then the backend is closed.
 *
 * <p>Registry calls run on a fixed set of threads ({@code --call-threads}) behind {@link CallAdmission}
 * rather than grpc-java's default cached pool, which adds a thread whenever all are busy: under a
 * burst it grew to thousands of threads queued on the backend. The admission queues are bounded
 * and shed the excess; every call has a deadline that bounds its queue wait and its storage waits.
 * The backend is wrapped in a {@link FailFastBackend}, so while the storage is known to be down
 * calls answer UNAVAILABLE at once. Health and reflection run on a small pool of their own, so
 * probes are answered while a stalled storage holds every call thread.
 */
public final class RegistryServer {

    /** Largest request accepted; larger ones get RESOURCE_EXHAUSTED from gRPC. */
    static final int MAX_INBOUND_MESSAGE_BYTES = 1024 * 1024;
    static final Duration HEALTH_PROBE_INTERVAL = Duration.ofSeconds(1);
    /** While the storage is down, probed this often, so calls flow again within a second of it answering. */
    static final Duration HEALTH_PROBE_DOWN_INTERVAL = StorageAvailability.DEFAULT_TRIAL_INTERVAL;
    /** A probe still running after this counts as failed, for backends that overstay their own timeout. */
    static final Duration HEALTH_PROBE_TIMEOUT = Duration.ofMillis(1500);
    /** Health checks and reflection never touch the storage. */
    static final int SERVICE_THREADS = 2;
    /**
     * Health service name that is SERVING from start until shutdown, whatever the storage: a liveness
     * probe on it restarts a hung process but not every replica during a storage outage, which a
     * restart would not end ("" and the registry's name follow the storage, for readiness).
     */
    public static final String LIVENESS_SERVICE = "liveness";

    private static final Logger LOG = LoggerFactory.getLogger(RegistryServer.class);

    private final Server server;
    private final String backendName;
    private final RegistryBackend backend;
    private final HealthStatusManager health = new HealthStatusManager();
    private final InFlightCalls inFlightCalls = new InFlightCalls();
    private final BackendHealthMonitor healthMonitor;
    private final StorageAvailability availability;
    private final CallAdmission admission;
    private final ExecutorService serviceExecutor = fixedPool(SERVICE_THREADS, "registry-service-");
    private final Duration shutdownTimeout;
    private final Optional<TransportGuards> transportGuards;
    private final Security security;
    private final Telemetry telemetry;
    private final WatchService watches;
    private boolean stopped;

    /** A server on {@code builder}, such as one on an ephemeral port in tests. */
    public RegistryServer(ServerBuilder<?> builder, String backendName, RegistryBackend backend, RegistrySettings settings,
            Duration shutdownTimeout) {
        this(builder, backendName, backend, settings, shutdownTimeout, CallLimits.defaults(), Optional.empty(),
                Security.from(SecurityConfig.none()));
    }

    /**
     * A server on {@code builder} whose calls are admitted within {@code limits}, with the transport
     * guarded when guards are given, and clients authenticated, authorized and limited by {@code security}.
     */
    RegistryServer(ServerBuilder<?> builder, String backendName, RegistryBackend backend, RegistrySettings settings,
            Duration shutdownTimeout, CallLimits limits, Optional<TransportGuards> transportGuards, Security security) {
        this(builder, backendName, backend, settings, shutdownTimeout, limits, transportGuards, security, Telemetry.off());
    }

    /** As above, recording metrics in {@code telemetry}; {@code backend} is measured there already (see {@link #create}). */
    RegistryServer(ServerBuilder<?> builder, String backendName, RegistryBackend backend, RegistrySettings settings,
            Duration shutdownTimeout, CallLimits limits, Optional<TransportGuards> transportGuards, Security security, Telemetry telemetry) {
        this(builder, backendName, backend, settings, shutdownTimeout, limits, transportGuards, security, telemetry, WatchLimits.defaults());
    }

    /** As above, with watch streams bounded by {@code watchLimits}. */
    RegistryServer(ServerBuilder<?> builder, String backendName, RegistryBackend backend, RegistrySettings settings,
            Duration shutdownTimeout, CallLimits limits, Optional<TransportGuards> transportGuards, Security security, Telemetry telemetry,
            WatchLimits watchLimits) {
        this.telemetry = telemetry;
        this.transportGuards = transportGuards;
        this.security = security;
        transportGuards.ifPresent(guards -> guards.interceptors().forEach(builder::intercept));
        this.backendName = backendName;
        this.shutdownTimeout = shutdownTimeout;
        this.healthMonitor = new BackendHealthMonitor(backendName, health, HEALTH_PROBE_INTERVAL, HEALTH_PROBE_DOWN_INTERVAL,
                HEALTH_PROBE_TIMEOUT);
        this.availability = new StorageAvailability(healthMonitor);
        this.backend = new FailFastBackend(backend, availability);
        this.admission = new CallAdmission(limits, telemetry.admissionMetrics(), transportThreadCalls(backend, security));
        this.watches = new WatchService(this.backend, backendName, Clock.systemUTC(), watchLimits);
        telemetry.observeWatches(watches);
        RegistryService registry = new RegistryService(this.backend, settings, telemetry.registryMetrics());
        telemetry.configureServer(builder);
        telemetry.observe(() -> availability.state() == StorageAvailability.State.UP, () -> admission.queuedCalls(true),
                () -> admission.queuedCalls(false), this.backend);
        // Security sits inside request parsing, on the typed requests its rules read. It refuses bad
        // credentials and over-limit clients when the call starts; the rules that need the storage
        // run when the request is complete, on a call thread.
        List<ServerInterceptor> guards = security.interceptors(agentId -> currentPlacement(registry, agentId), StatusMapper::toStatus);
        this.server = builder
                .addService(RequestParsing.parsedInCall(ServerInterceptors.intercept(
                        new AeroRegistryService(registry, limits.defaultDeadline(), watches, admission::gatheredCallShed).bindService(), guards)))
                .addService(health.getHealthService())
                .addService(ServerInterceptors.intercept(ProtoReflectionServiceV1.newInstance(), guards))
                .intercept(new FailedCallLogger())
                .intercept(inFlightCalls)
                // Outermost: a shed call is answered here, before the per-call log, which would
                // otherwise write a line for every call shed and slow the server when it can least
                // afford it; CallAdmission logs a count instead.
                .intercept(admission)
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                // Registry calls stay on the transport thread until their request is complete (cheap),
                // then CallAdmission queues them for its threads, but for the gathered calls that
                // never wait (transportThreadCalls), which run there. Health and reflection move to
                // their own pool, so a health check never waits for a call thread.
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
        return create(config, backends, Telemetry.off());
    }

    /** As {@link #create(ServerConfig, BackendLoader)}, recording metrics in {@code telemetry}, which the server closes when it stops. */
    static RegistryServer create(ServerConfig config, BackendLoader backends, Telemetry telemetry) {
        RegistrySettings settings = config.settings();
        // Credentials first: a bad key file must not leave an opened backend behind.
        Security security = Security.from(config.security());
        ServerCredentials credentials;
        RegistryBackend backend;
        try {
            if (config.tlsEnabled()) {
                checkKeyAndCertificate(config);
                credentials = security.tlsCredentials(config.tlsCertPath().orElseThrow(), config.tlsKeyPath().orElseThrow());
            } else {
                credentials = InsecureServerCredentials.create();
            }
            BackendContext context = new BackendContext(Clock.systemUTC());
            RegistryBackend storage = backends.open(config.backend(), BackendOptions.of(config.backend(), config.backendOptions()), context, settings);
            // Measured directly on the storage, so each call it times is one round trip (a gathered batch counts once).
            RegistryBackend opened = telemetry.enabled() ? new MeasuredBackend(storage, telemetry.registryMetrics()) : storage;
            // Gathered calls wait for a round trip without a thread; as many of each kind may wait as calls may queue for a thread.
            backend = config.coalescing().<RegistryBackend>map(options -> new CoalescingBackend(opened, options,
                    config.callLimits().maxQueuedCalls())).orElse(opened);
        } catch (RuntimeException e) {
            security.close();
            throw e;
        }
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(config.listenAddress(), config.listenPort()), credentials);
        TransportGuards guards = TransportGuards.apply(config.transportLimits(), builder);
        return new RegistryServer(builder, config.backend(), backend, settings, config.shutdownTimeout(), callLimits(config, backend),
                Optional.of(guards), security, telemetry, config.watchLimits());
    }

    /**
     * The registry calls that run on the transport thread where their request completes, not on a
     * call thread: HeartbeatAgent and GetAgentPlacement, when the backend gathers them and never
     * makes their caller wait ({@link CoalescingBackend#gatheredCallsNeverWait()}). A call thread
     * only handed them on to a batch: at the max HeartbeatAgent loop on Redis it cost a thread
     * wake-up per call, and running them here took the registry's CPU per call from 22.8 to
     * 17.5 µs. HeartbeatAgent stays on the call threads when calls are authorized: a relay's
     * HeartbeatAgent without relay_id reads the agent's placement first ({@link Security#authorizes()}).
     */
    static Set<String> transportThreadCalls(RegistryBackend backend, Security security) {
        if (!(backend instanceof CoalescingBackend coalescing) || !coalescing.gatheredCallsNeverWait()) {
            return Set.of();
        }
        return security.authorizes() ? Set.of("GetAgentPlacement") : Set.of("GetAgentPlacement", "HeartbeatAgent");
    }

    /** The configured call limits on the backend's {@link RegistryBackend#callConcurrency()} threads, unless {@code --call-threads} set them. */
    static CallLimits callLimits(ServerConfig config, RegistryBackend backend) {
        return config.callThreads().isPresent() ? config.callLimits() : config.callLimits().withThreads(backend.callConcurrency());
    }

    /** The agent's placement now (the placement alone: no relay record, no count), for the security rules that depend on it. */
    private static Optional<PlacementRecord> currentPlacement(RegistryService registry, String agentId) {
        try {
            return registry.currentPlacement(agentId);
        } catch (RegistryException e) {
            // Not placed, or an invalid id that the call itself will report.
            return Optional.empty();
        }
    }

    /**
     * Loads and checks the certificate and key now, before the backend opens: Netty reads them only
     * when the server starts, and reads PKCS#8 keys only.
     */
    private static void checkKeyAndCertificate(ServerConfig config) {
        File cert = config.tlsCertPath().orElseThrow().toFile();
        File key = config.tlsKeyPath().orElseThrow().toFile();
        String keyText;
        try {
            keyText = Files.readString(key.toPath(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid --tls-key-path '" + key + "': " + e.getMessage(), e);
        }
        if (keyText.contains("-----BEGIN RSA PRIVATE KEY-----") || keyText.contains("-----BEGIN EC PRIVATE KEY-----")) {
            throw new IllegalArgumentException("invalid --tls-key-path '" + key + "': the key is PKCS#1 (\"BEGIN RSA/EC PRIVATE KEY\"); "
                    + "convert it to PKCS#8: openssl pkcs8 -topk8 -nocrypt -in " + key.getName() + " -out key-pkcs8.pem");
        }
        if (keyText.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            throw new IllegalArgumentException("invalid --tls-key-path '" + key + "': the key is encrypted; give an unencrypted PKCS#8 key");
        }
        try {
            GrpcSslContexts.forServer(cert, key).build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot load --tls-cert-path/--tls-key-path: " + e.getMessage(), e);
        }
    }

    /**
     * Probes the storage once, then listens.
     *
     * @throws IllegalArgumentException when the storage refuses the registry's credentials or
     *     rights: a configuration error, reported before the port opens like a bad flag
     * @throws UncheckedIOException when the port cannot be bound
     */
    public RegistryServer start() {
        healthMonitor.start(backend, availability);
        if (availability.state() == StorageAvailability.State.MISCONFIGURED) {
            closeUnstarted();
            throw new IllegalArgumentException("backend " + backendName + " refuses the registry's configuration: "
                    + healthMonitor.reason() + "; check the --backend-option credentials and the storage's users and grants");
        }
        try {
            server.start();
        } catch (IOException e) {
            closeUnstarted();
            throw new UncheckedIOException("cannot listen: " + e.getMessage(), e);
        }
        health.setStatus(LIVENESS_SERVICE, HealthCheckResponse.ServingStatus.SERVING);
        return this;
    }

    private void closeUnstarted() {
        watches.close();
        healthMonitor.close();
        admission.close();
        serviceExecutor.shutdownNow();
        transportGuards.ifPresent(TransportGuards::close);
        backend.close();
        security.close();
        telemetry.close();
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
        // Watch streams never end by themselves: end them now with UNAVAILABLE so their clients
        // resume on another server at once, rather than after the shutdown timeout.
        watches.endAll();
        try {
            long deadline = System.nanoTime() + shutdownTimeout.toNanos();
            if (!inFlightCalls.awaitNone(shutdownTimeout)) {
                LOG.warn("calls still running after {}; cancelling them", GoDurations.format(shutdownTimeout));
            }
            // Their UNAVAILABLE must reach the clients before the transport is torn down, or they see CANCELLED.
            if (!watches.awaitNone(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                LOG.warn("{} watch streams did not take their end within {}; cancelling them", watches.watchers(),
                        GoDurations.format(shutdownTimeout));
            }
            // Cancels what is left: overdue calls and streams such as health watches, which never end by themselves.
            server.shutdownNow();
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
        admission.close();
        watches.close();
        serviceExecutor.shutdownNow();
        transportGuards.ifPresent(TransportGuards::close);
        backend.close();
        security.close();
        telemetry.close();
        LOG.info("stopped; backend {} closed", backendName);
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /** The watch streams, for tests. */
    WatchService watches() {
        return watches;
    }

    /** Calls shed by admission control since start. */
    long shedCalls() {
        return admission.shedCount();
    }

    /** The transport thread for the registry's own calls (see CallAdmission), the service pool for health and reflection. */
    private <Q, R> Executor executorFor(ServerCall<Q, R> call, Metadata headers) {
        return AeroRegistryGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName()) ? null : serviceExecutor;
    }

    /** Threads are daemons: the JVM's exit is decided by {@link #stop()} and Main, never by a stuck call. */
    private static ExecutorService fixedPool(int threads, String namePrefix) {
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), DaemonThreads.numbered(namePrefix));
    }
}
