package io.aeroarc.registry.server;

import io.aeroarc.registry.core.RegistryMetrics;
import io.aeroarc.registry.spi.RegistryBackend;
import io.grpc.ServerBuilder;
import io.grpc.opentelemetry.GrpcOpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.prometheus.PrometheusHttpServer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's metrics: the OpenTelemetry SDK, configured by the standard {@code OTEL_*}
 * environment variables (autoconfigure), a Prometheus scrape endpoint when
 * {@code --metrics-listen-address} is set, the standard gRPC server instruments
 * (grpc-opentelemetry) and the registry's own ({@link OtelRegistryMetrics}).
 *
 * <p>Metrics are off, and cost nothing, unless a scrape endpoint or OTLP is configured. OTLP
 * pushes only when {@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code OTEL_EXPORTER_OTLP_METRICS_ENDPOINT}
 * or {@code OTEL_METRICS_EXPORTER} is set; the protocol defaults to {@code http/protobuf}, the one
 * sender the jar carries (the JDK's HTTP client).
 */
final class Telemetry implements AutoCloseable {

    /** How often the fleet gauges are read from the backend: never per scrape, never per call. */
    static final long FLEET_REFRESH_SECONDS = 10;
    static final String METER_NAME = "io.aeroarc.registry";

    private static final Logger LOG = LoggerFactory.getLogger(Telemetry.class);
    private static final List<String> OTLP_VARIABLES = List.of("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            "OTEL_METRICS_EXPORTER");

    private static final List<String> GRPC_SIZE_METRICS = List.of("grpc.server.call.sent_total_compressed_message_size",
            "grpc.server.call.rcvd_total_compressed_message_size");

    private final OpenTelemetrySdk sdk;
    private final OtelRegistryMetrics metrics;
    private final GrpcOpenTelemetry grpc;
    private final ScheduledExecutorService fleetReader;
    private volatile long liveRelays = -1;
    private volatile long visiblePlacements = -1;

    private Telemetry(OpenTelemetrySdk sdk) {
        this.sdk = sdk;
        this.metrics = sdk == null ? null : new OtelRegistryMetrics(meter());
        // Calls started and their duration by method and status; not the two message-size histograms,
        // which would cost every call two more histogram records for numbers nobody asked for.
        this.grpc = sdk == null ? null : GrpcOpenTelemetry.newBuilder().sdk(sdk).disableMetrics(GRPC_SIZE_METRICS).build();
        this.fleetReader = sdk == null ? null : Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "registry-metrics-fleet");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** No metrics: every recording is a no-op. */
    static Telemetry off() {
        return new Telemetry(null);
    }

    /**
     * Metrics as configured: a scrape endpoint on {@code prometheus} when present, OTLP when
     * {@code env} configures it; off when neither.
     *
     * @throws IllegalArgumentException when the OTEL_* configuration is invalid
     * @throws java.io.UncheckedIOException when the scrape endpoint cannot listen
     */
    static Telemetry create(Optional<InetSocketAddress> prometheus, Map<String, String> env) {
        boolean otlp = OTLP_VARIABLES.stream().anyMatch(name -> !env.getOrDefault(name, "").isBlank());
        if (prometheus.isEmpty() && !otlp) {
            return off();
        }
        Map<String, String> defaults = new HashMap<>();
        defaults.put("otel.service.name", "relay-registry");
        defaults.put("otel.traces.exporter", "none");
        defaults.put("otel.logs.exporter", "none");
        defaults.put("otel.metrics.exporter", otlp ? "otlp" : "none");
        defaults.put("otel.exporter.otlp.protocol", "http/protobuf");
        PrometheusHttpServer scrape = prometheus.map(Telemetry::scrapeEndpoint).orElse(null);
        OpenTelemetrySdk sdk;
        try {
            sdk = AutoConfiguredOpenTelemetrySdk.builder()
                    .addPropertiesSupplier(() -> defaults)
                    .addMeterProviderCustomizer((builder, config) -> scrape == null ? builder : builder.registerMetricReader(scrape))
                    .disableShutdownHook()
                    .build()
                    .getOpenTelemetrySdk();
        } catch (RuntimeException e) {
            if (scrape != null) {
                scrape.close();
            }
            // ConfigurationException: a bad OTEL_* variable, named in the message.
            throw new IllegalArgumentException("invalid OpenTelemetry configuration: " + e.getMessage(), e);
        }
        prometheus.ifPresent(address -> LOG.info("metrics: Prometheus scrape endpoint on http://{}/metrics", hostPort(address)));
        if (otlp) {
            LOG.info("metrics: pushing OTLP as configured by the OTEL_* environment variables");
        }
        return new Telemetry(sdk);
    }

    private static PrometheusHttpServer scrapeEndpoint(InetSocketAddress address) {
        try {
            return PrometheusHttpServer.builder().setHost(address.getHostString()).setPort(address.getPort()).setOtelScopeLabelsEnabled(false)
                    .build();
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException("cannot listen on --metrics-listen-address " + hostPort(address) + ": " + e.getCause().getMessage(),
                    e.getCause());
        }
    }

    static String hostPort(InetSocketAddress address) {
        String host = address.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    boolean enabled() {
        return sdk != null;
    }

    RegistryMetrics registryMetrics() {
        return metrics == null ? RegistryMetrics.NONE : metrics;
    }

    AdmissionMetrics admissionMetrics() {
        return metrics == null ? AdmissionMetrics.NONE : metrics;
    }

    /** Adds the standard gRPC server instruments (grpc.server.call.duration and friends) to {@code builder}. */
    void configureServer(ServerBuilder<?> builder) {
        if (grpc != null) {
            grpc.configureServerBuilder(builder);
        }
    }

    /**
     * The gauges read from the running server: health, admission queues, and the fleet counts the
     * backend can give cheaply (read every {@link #FLEET_REFRESH_SECONDS}s on a thread of their
     * own; absent when the backend cannot count).
     */
    void observe(BooleanSupplier serving, IntSupplier livenessQueued, IntSupplier otherQueued, RegistryBackend backend) {
        if (sdk == null) {
            return;
        }
        Meter meter = meter();
        meter.gaugeBuilder("registry.health.serving").ofLongs()
                .setDescription("1 while health is SERVING (the storage answers), 0 otherwise")
                .buildWithCallback(gauge -> gauge.record(serving.getAsBoolean() ? 1 : 0));
        Attributes liveness = Attributes.of(OtelRegistryMetrics.LANE, "liveness");
        Attributes other = Attributes.of(OtelRegistryMetrics.LANE, "other");
        meter.gaugeBuilder("registry.admission.queue.depth").ofLongs()
                .setDescription("calls waiting for a call thread, by lane")
                .buildWithCallback(gauge -> {
                    gauge.record(livenessQueued.getAsInt(), liveness);
                    gauge.record(otherQueued.getAsInt(), other);
                });
        meter.gaugeBuilder("registry.relays.live").ofLongs()
                .setDescription("live relays as the backend counts them cheaply, refreshed every " + FLEET_REFRESH_SECONDS + "s")
                .buildWithCallback(gauge -> {
                    if (liveRelays >= 0) {
                        gauge.record(liveRelays);
                    }
                });
        meter.gaugeBuilder("registry.placements.visible").ofLongs()
                .setDescription("visible placements as the backend counts them cheaply, refreshed every " + FLEET_REFRESH_SECONDS + "s")
                .buildWithCallback(gauge -> {
                    if (visiblePlacements >= 0) {
                        gauge.record(visiblePlacements);
                    }
                });
        fleetReader.scheduleWithFixedDelay(() -> readFleet(backend), 0, FLEET_REFRESH_SECONDS, TimeUnit.SECONDS);
    }

    /** The watch streams' gauge and counters, read from {@code watches} at export: nothing on the send path. */
    void observeWatches(WatchService watches) {
        if (sdk == null) {
            return;
        }
        Meter meter = meter();
        meter.gaugeBuilder("registry.watch.streams").ofLongs()
                .setDescription("WatchRelays and WatchAgents streams open")
                .buildWithCallback(gauge -> gauge.record(watches.watchers()));
        meter.counterBuilder("registry.watch.resyncs")
                .setDescription("snapshots marked resync sent: tokens too old or from another server, and streams that fell behind")
                .buildWithCallback(counter -> counter.record(watches.resyncs()));
        meter.counterBuilder("registry.watch.fell.behind")
                .setDescription("streams that fell more than --watch-history events behind and started over with a resync snapshot")
                .buildWithCallback(counter -> counter.record(watches.fellBehindCount()));
        meter.counterBuilder("registry.watch.feed.gaps")
                .setDescription("gaps the backend's change feed reported, each answered by reading the fleet again")
                .buildWithCallback(counter -> counter.record(watches.feedGaps()));
        meter.counterBuilder("registry.watch.feed.failures")
                .setDescription("storage failures the change feed reported, each answered by subscribing again with back-off")
                .buildWithCallback(counter -> counter.record(watches.feedFailures()));
    }

    private void readFleet(RegistryBackend backend) {
        try {
            OptionalLong relays = backend.liveRelayCount();
            OptionalLong placements = backend.visiblePlacementCount();
            liveRelays = relays.orElse(-1);
            visiblePlacements = placements.orElse(-1);
        } catch (RuntimeException e) {
            // A storage outage shows in the health gauge; the fleet gauges keep their last value.
            LOG.debug("metrics: cannot count the fleet: {}", e.toString());
        }
    }

    private Meter meter() {
        return sdk.getMeterProvider().get(METER_NAME);
    }

    /** Flushes pending exports (OTLP) and stops the scrape endpoint. */
    @Override
    public void close() {
        if (sdk != null) {
            fleetReader.shutdownNow();
            sdk.close();
        }
    }
}
