package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.GetRelayResponse;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.core.RegistrySettings;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Registry calls run on a bounded pool; health checks are answered while a stalled storage holds all of it. */
class CallExecutorTest {

    private final HoldingBackend backend = new HoldingBackend(new MemoryBackend(Clock.systemUTC(), Duration.ZERO));
    private final RunningRegistry running = new RunningRegistry(backend,
            new RegistrySettings(Duration.ofMinutes(1), Duration.ofMinutes(1), 100), Duration.ofSeconds(5));

    @AfterEach
    void close() throws InterruptedException {
        backend.release.countDown();
        running.close();
    }

    @Test
    void calls_beyond_the_pool_wait_for_a_thread_and_health_still_answers() throws Exception {
        running.registry().registerRelay(RegisterRelayRequest.newBuilder()
                .setRelay(Relay.newBuilder().setRelayId("relay-a").setAddress("10.0.0.1").setGrpcPort(7443)).build());
        AeroRegistryGrpc.AeroRegistryFutureStub registry = AeroRegistryGrpc.newFutureStub(running.channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS);
        List<ListenableFuture<GetRelayResponse>> calls = new ArrayList<>();
        for (int i = 0; i < RegistryServer.CALL_THREADS + 8; i++) {
            calls.add(registry.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()));
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> backend.entries.get() == RegistryServer.CALL_THREADS);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> backend.entries.get() == RegistryServer.CALL_THREADS);
        assertThat(running.health("")).as("answered by the service threads").isEqualTo(ServingStatus.SERVING);

        backend.release.countDown();
        for (ListenableFuture<GetRelayResponse> call : calls) {
            assertThat(call.get(30, TimeUnit.SECONDS).getRelay().getRelayId()).isEqualTo("relay-a");
        }
        assertThat(backend.entries.get()).isEqualTo(RegistryServer.CALL_THREADS + 8);
    }
}
