package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.GetRelayResponse;
import io.aeroarc.registry.api.v1.HeartbeatRelayRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.core.RegistrySettings;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Registry calls run on a bounded set of threads behind bounded queues: reads held by a stalled
 * storage cannot take the threads kept for heartbeats, the excess is shed with a retry pushback,
 * calls whose deadline passed in the queue are not run, and health keeps answering SERVING.
 */
class CallAdmissionTest {

    private static final int THREADS = 8;
    private static final int RESERVED = 2;
    private static final int QUEUED = 4;

    private final HoldingBackend backend = new HoldingBackend(new MemoryBackend(Clock.systemUTC(), Duration.ZERO));
    private final RunningRegistry running = new RunningRegistry(backend,
            new RegistrySettings(Duration.ofMinutes(1), Duration.ofMinutes(1), 100), Duration.ofSeconds(5),
            new CallLimits(Duration.ofSeconds(5), QUEUED, Duration.ofSeconds(30), THREADS, RESERVED));

    @AfterEach
    void close() throws InterruptedException {
        backend.release.countDown();
        running.close();
    }

    @Test
    void a_flood_of_held_reads_neither_starves_heartbeats_nor_queues_without_bound() throws Exception {
        running.registry().registerRelay(RegisterRelayRequest.newBuilder()
                .setRelay(Relay.newBuilder().setRelayId("relay-a").setAddress("10.0.0.1").setGrpcPort(7443)).build());
        AeroRegistryGrpc.AeroRegistryFutureStub registry = AeroRegistryGrpc.newFutureStub(running.channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS);
        List<ListenableFuture<GetRelayResponse>> reads = new ArrayList<>(holdEveryThreadReadsMayTake(registry));
        int flood = THREADS + QUEUED + 20;
        for (int i = reads.size(); i < flood; i++) {
            reads.add(registry.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()));
        }
        // The reads beyond the running ones and the queue are shed at once, with a pushback.
        await().atMost(Duration.ofSeconds(10)).until(() -> reads.stream().filter(ListenableFuture::isDone).count() == flood - (THREADS - RESERVED) - QUEUED);
        for (ListenableFuture<GetRelayResponse> read : reads) {
            if (read.isDone()) {
                StatusRuntimeException shed = (StatusRuntimeException) catchThrowableOfType(ExecutionException.class, read::get).getCause();
                assertThat(shed.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(Long.parseLong(shed.getTrailers().get(CallAdmission.RETRY_PUSHBACK))).isBetween(CallAdmission.PUSHBACK_MILLIS,
                        2 * CallAdmission.PUSHBACK_MILLIS);
            }
        }
        assertThat(running.server.shedCalls()).isEqualTo(flood - (THREADS - RESERVED) - QUEUED);

        // Heartbeats take the reserved threads while every other thread is held.
        for (int i = 0; i < 20; i++) {
            assertThat(running.registry().heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId("relay-a").build())
                    .getExpiresAtUnixMs()).isPositive();
        }
        assertThat(running.health("")).as("overload is not an outage").isEqualTo(ServingStatus.SERVING);
        assertThat(backend.entries.get()).isEqualTo(THREADS - RESERVED);

        backend.release.countDown();
        int answered = 0;
        for (ListenableFuture<GetRelayResponse> read : reads) {
            try {
                assertThat(read.get(30, TimeUnit.SECONDS).getRelay().getRelayId()).isEqualTo("relay-a");
                answered++;
            } catch (ExecutionException e) {
                assertThat(Status.fromThrowable(e.getCause()).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            }
        }
        assertThat(answered).isEqualTo(THREADS - RESERVED + QUEUED);
    }

    /** One read at a time, each held by the backend, until reads have every thread they may take. */
    private List<ListenableFuture<GetRelayResponse>> holdEveryThreadReadsMayTake(AeroRegistryGrpc.AeroRegistryFutureStub registry) {
        List<ListenableFuture<GetRelayResponse>> holders = new ArrayList<>();
        for (int i = 0; i < THREADS - RESERVED; i++) {
            holders.add(registry.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()));
            int held = i + 1;
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.entries.get() == held);
        }
        return holders;
    }

    @Test
    void a_call_whose_deadline_passes_in_the_queue_is_not_run() throws Exception {
        running.registry().registerRelay(RegisterRelayRequest.newBuilder()
                .setRelay(Relay.newBuilder().setRelayId("relay-a").setAddress("10.0.0.1").setGrpcPort(7443)).build());
        AeroRegistryGrpc.AeroRegistryFutureStub registry = AeroRegistryGrpc.newFutureStub(running.channel);
        List<ListenableFuture<GetRelayResponse>> holders = holdEveryThreadReadsMayTake(registry.withDeadlineAfter(30, TimeUnit.SECONDS));

        ListenableFuture<GetRelayResponse> late = registry.withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                .getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build());
        Throwable failure = catchThrowableOfType(ExecutionException.class, () -> late.get(10, TimeUnit.SECONDS)).getCause();
        assertThat(Status.fromThrowable(failure).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);

        backend.release.countDown();
        for (ListenableFuture<GetRelayResponse> holder : holders) {
            holder.get(10, TimeUnit.SECONDS);
        }
        // The held calls ran; the late one never reached the backend.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> backend.entries.get() == THREADS - RESERVED);
    }
}
