package io.aeroarc.registry.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.testsupport.FreePort;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** Start-up and failure behaviour that needs no etcd, or exactly no answering one. */
class EtcdBackendProviderTest {

    private static final BackendContext CONTEXT = new BackendContext(Clock.systemUTC());

    @Test
    void the_server_finds_the_backend_by_its_name() {
        List<String> names = ServiceLoader.load(RegistryBackendProvider.class).stream().map(p -> p.get().name()).toList();

        assertThat(names).contains("etcd");
    }

    @Test
    void the_backend_reports_millisecond_expiry_and_its_minimum_ttl() {
        try (RegistryBackend backend = create("http://127.0.0.1:" + FreePort.find(), "2s")) {
            assertThat(backend.ttlSupport().minimumTtl()).isEqualTo(Duration.ofSeconds(1));
            assertThat(backend.ttlSupport().resolution()).isEqualTo(Duration.ofMillis(1));
        }
    }

    @Test
    void start_up_does_not_need_etcd_and_calls_fail_fast_while_nobody_listens() {
        try (RegistryBackend backend = create("http://127.0.0.1:" + FreePort.find(), "2s")) {
            assertFailsWithin(Duration.ofSeconds(3), backend::probe);
            assertFailsWithin(Duration.ofSeconds(3), () -> backend.registerRelay(new RelayRegistration("r", "a", 1, Map.of()),
                    Duration.ofSeconds(10)));
            assertFailsWithin(Duration.ofSeconds(3), () -> backend.listAgents(Optional.empty(), PageRequest.first(10)));
        }
    }

    @Test
    void calls_to_an_etcd_that_accepts_connections_but_never_answers_end_at_the_timeout() throws IOException {
        try (SilentServer silent = new SilentServer();
                RegistryBackend backend = create("http://127.0.0.1:" + silent.port(), "250ms")) {
            assertFailsWithin(Duration.ofMillis(1500), backend::probe);
            assertFailsWithin(Duration.ofMillis(1500), () -> backend.getRelay("r"));
            assertFailsWithin(Duration.ofMillis(1500), () -> backend.registerAgent("a", "r", Duration.ofSeconds(10)));
            assertFailsWithin(Duration.ofMillis(1500), () -> backend.heartbeatAgents("r", List.of("a", "b"), Duration.ofSeconds(10)));
        }
    }

    private static RegistryBackend create(String endpoints, String timeout) {
        return new EtcdBackendProvider().create(BackendOptions.of("etcd", Map.of("endpoints", endpoints, "timeout", timeout)), CONTEXT);
    }

    private static void assertFailsWithin(Duration bound, Runnable call) {
        long start = System.nanoTime();
        assertThatThrownBy(call::run).isInstanceOf(BackendUnavailableException.class).hasMessageContaining("etcd");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time to fail").isLessThanOrEqualTo(bound);
    }

    /** A loopback port that accepts TCP connections and never sends a byte, like a hung server. */
    private static final class SilentServer implements AutoCloseable {

        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> accepted = new ArrayList<>();
        private final Thread acceptor = new Thread(this::acceptForever, "silent-etcd");

        SilentServer() throws IOException {
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        private void acceptForever() {
            try {
                while (true) {
                    Socket connection = socket.accept();
                    synchronized (accepted) {
                        accepted.add(connection);
                    }
                }
            } catch (IOException e) {
                // Closed by close().
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
            synchronized (accepted) {
                for (Socket connection : accepted) {
                    connection.close();
                }
            }
        }
    }
}
