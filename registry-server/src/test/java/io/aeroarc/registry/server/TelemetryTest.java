package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** OTLP push as the OTEL_* settings configure it, to a real HTTP receiver on loopback; off when nothing asks for metrics. */
class TelemetryTest {

    private static final List<String> PROPERTIES = List.of("otel.exporter.otlp.endpoint", "otel.metric.export.interval",
            "otel.exporter.otlp.protocol");

    @AfterEach
    void clearProperties() {
        PROPERTIES.forEach(System::clearProperty);
    }

    @Test
    void without_a_scrape_address_or_otlp_settings_metrics_are_off() {
        try (Telemetry telemetry = Telemetry.create(Optional.empty(), Map.of("OTEL_SERVICE_NAME", "x"))) {
            assertThat(telemetry.enabled()).isFalse();
            assertThat(telemetry.registryMetrics().countsMoves()).isFalse();
        }
    }

    @Test
    void otlp_pushes_the_registry_metrics_over_http_when_an_endpoint_is_set() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/v1/metrics", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(exchange.getRequestHeaders().getFirst("Content-Type") + " " + new String(body, StandardCharsets.ISO_8859_1));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        try {
            String endpoint = "http://127.0.0.1:" + receiver.getAddress().getPort();
            // The SDK reads system properties as well as the environment; the map only decides whether OTLP is asked for.
            System.setProperty("otel.exporter.otlp.endpoint", endpoint);
            System.setProperty("otel.metric.export.interval", "200");
            try (Telemetry telemetry = Telemetry.create(Optional.empty(), Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint))) {
                assertThat(telemetry.enabled()).isTrue();
                telemetry.registryMetrics().relayRegistered();
                await().atMost(Duration.ofSeconds(20)).until(() -> received.stream().anyMatch(r -> r.contains("registry.relay.registrations")));
            }
            assertThat(received).allMatch(request -> request.startsWith("application/x-protobuf "));
        } finally {
            receiver.stop(0);
        }
    }

    @Test
    void otlp_over_grpc_is_refused_with_a_clear_error() {
        System.setProperty("otel.exporter.otlp.protocol", "grpc");
        assertThatThrownBy(() -> Telemetry.create(Optional.empty(), Map.of("OTEL_METRICS_EXPORTER", "otlp")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("invalid OpenTelemetry configuration: ");
    }
}
