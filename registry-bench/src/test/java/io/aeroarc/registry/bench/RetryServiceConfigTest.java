package io.aeroarc.registry.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.DeregisterAgentRequest;
import io.aeroarc.registry.api.v1.DeregisterAgentResponse;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * docs/retry-service-config.json as the bench's stubs load it: an idempotent call that meets
 * UNAVAILABLE or RESOURCE_EXHAUSTED is retried, one that is not idempotent is not, and a status
 * that means something to the caller (NOT_FOUND) is never retried.
 */
class RetryServiceConfigTest {

    private final AtomicInteger heartbeats = new AtomicInteger();
    private final AtomicInteger deregisters = new AtomicInteger();
    private volatile Status firstFailures = Status.UNAVAILABLE;
    private Server server;

    @BeforeEach
    void startServer() throws Exception {
        // RegistryClient checks health on connecting.
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new HealthStatusManager().getHealthService())
                .addService(new AeroRegistryGrpc.AeroRegistryImplBase() {
            @Override
            public void heartbeatAgent(HeartbeatAgentRequest request, StreamObserver<HeartbeatAgentResponse> response) {
                if (heartbeats.incrementAndGet() <= 2) {
                    response.onError(firstFailures.withDescription("try again").asRuntimeException());
                } else {
                    response.onNext(HeartbeatAgentResponse.getDefaultInstance());
                    response.onCompleted();
                }
            }

            @Override
            public void deregisterAgent(DeregisterAgentRequest request, StreamObserver<DeregisterAgentResponse> response) {
                deregisters.incrementAndGet();
                response.onError(Status.UNAVAILABLE.asRuntimeException());
            }
        }).build().start();
    }

    @AfterEach
    void stopServer() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void an_unavailable_heartbeat_is_retried_until_it_succeeds() {
        try (RegistryClient client = connect()) {
            client.registry().heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("a").build()).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThat(heartbeats).hasValue(3);
    }

    @Test
    void a_resource_exhausted_heartbeat_is_retried_too() throws Exception {
        firstFailures = Status.RESOURCE_EXHAUSTED;
        try (RegistryClient client = connect()) {
            client.registry().heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("a").build()).get(10, TimeUnit.SECONDS);
        }
        assertThat(heartbeats).hasValue(3);
    }

    @Test
    void not_found_is_the_callers_to_handle_and_is_not_retried() {
        firstFailures = Status.NOT_FOUND;
        try (RegistryClient client = connect()) {
            assertThatThrownBy(() -> client.registry().heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("a").build())
                    .get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(StatusRuntimeException.class);
        }
        assertThat(heartbeats).hasValue(1);
    }

    @Test
    void deregistering_is_not_retried() {
        try (RegistryClient client = connect()) {
            assertThatThrownBy(() -> client.registry().deregisterAgent(DeregisterAgentRequest.newBuilder().setAgentId("a").build())
                    .get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(StatusRuntimeException.class);
        }
        assertThat(deregisters).hasValue(1);
    }

    private RegistryClient connect() {
        return RegistryClient.connect(new RegistryClient.Target("127.0.0.1", server.getPort()), 1, Duration.ofSeconds(10));
    }
}
