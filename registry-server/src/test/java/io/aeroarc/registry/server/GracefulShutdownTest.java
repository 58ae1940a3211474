package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.GetRelayResponse;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.core.RegistrySettings;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Stopping lets in-flight calls finish, refuses new ones, turns health NOT_SERVING, then closes the backend. */
class GracefulShutdownTest {

    private final HoldingBackend backend = new HoldingBackend(new MemoryBackend(Clock.systemUTC(), Duration.ZERO));
    private RunningRegistry running;

    @AfterEach
    void release() throws InterruptedException {
        backend.release.countDown();
        running.close();
    }

    @Test
    void in_flight_calls_finish_new_calls_are_refused_and_health_turns_not_serving() throws Exception {
        running = new RunningRegistry(backend, new RegistrySettings(Duration.ofMinutes(1), Duration.ofMinutes(1), 100), Duration.ofSeconds(20));
        running.registry().registerRelay(RegisterRelayRequest.newBuilder()
                .setRelay(Relay.newBuilder().setRelayId("relay-a").setAddress("10.0.0.1").setGrpcPort(7000)).build());
        List<ServingStatus> watched = watchHealth();
        await().atMost(Duration.ofSeconds(10)).until(() -> watched.contains(ServingStatus.SERVING));
        ListenableFuture<GetRelayResponse> inFlight = AeroRegistryGrpc.newFutureStub(running.channel)
                .getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build());
        assertThat(backend.entered.await(10, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Void> stopping = CompletableFuture.runAsync(running.server::stop);

        await().atMost(Duration.ofSeconds(10)).until(() -> watched.contains(ServingStatus.NOT_SERVING));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThatThrownBy(() -> running.registry().getRelay(
                GetRelayRequest.newBuilder().setRelayId("relay-a").build())).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE)));
        assertThat(inFlight.isDone()).as("the in-flight call is still running").isFalse();
        assertThat(backend.closed).as("the backend stays open for it").isFalse();

        backend.release.countDown();

        assertThat(inFlight.get(10, TimeUnit.SECONDS).getRelay().getRelayId()).isEqualTo("relay-a");
        stopping.get(10, TimeUnit.SECONDS);
        assertThat(backend.closed).isTrue();
    }

    @Test
    void calls_still_running_after_the_shutdown_timeout_are_cancelled_and_the_backend_closed() throws Exception {
        running = new RunningRegistry(backend, new RegistrySettings(Duration.ofMinutes(1), Duration.ofMinutes(1), 100), Duration.ofMillis(300));
        ListenableFuture<GetRelayResponse> inFlight = AeroRegistryGrpc.newFutureStub(running.channel)
                .getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build());
        assertThat(backend.entered.await(10, TimeUnit.SECONDS)).isTrue();

        long start = System.nanoTime();
        running.server.stop();

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(backend.closed).isTrue();
        assertThatThrownBy(() -> inFlight.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.CANCELLED));
    }

    private List<ServingStatus> watchHealth() {
        List<ServingStatus> seen = new CopyOnWriteArrayList<>();
        HealthGrpc.newStub(running.channel).watch(HealthCheckRequest.newBuilder().setService("").build(), new StreamObserver<>() {
            @Override
            public void onNext(HealthCheckResponse response) {
                seen.add(response.getStatus());
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
        });
        return seen;
    }
}
