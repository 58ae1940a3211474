package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.GetRelayResponse;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.core.RegistrySettings;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Calls that waited too long for a thread are shed while others still wait behind them; the last one is run. */
class QueueWaitSheddingTest {

    private static final int THREADS = 4;
    private static final int RESERVED = 1;

    private final HoldingBackend backend = new HoldingBackend(new MemoryBackend(Clock.systemUTC(), Duration.ZERO));
    private final RunningRegistry running = new RunningRegistry(backend,
            new RegistrySettings(Duration.ofMinutes(1), Duration.ofMinutes(1), 100), Duration.ofSeconds(5),
            new CallLimits(Duration.ofSeconds(5), 100, Duration.ofMillis(100), THREADS, RESERVED));

    @AfterEach
    void close() throws InterruptedException {
        backend.release.countDown();
        running.close();
    }

    @Test
    void a_backlog_older_than_the_queue_wait_bound_is_shed_except_its_last_call() throws Exception {
        running.registry().registerRelay(RegisterRelayRequest.newBuilder()
                .setRelay(Relay.newBuilder().setRelayId("relay-a").setAddress("10.0.0.1").setGrpcPort(7443)).build());
        AeroRegistryGrpc.AeroRegistryFutureStub registry = AeroRegistryGrpc.newFutureStub(running.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        List<ListenableFuture<GetRelayResponse>> holders = new ArrayList<>();
        for (int i = 0; i < THREADS - RESERVED; i++) {
            holders.add(registry.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()));
            int held = i + 1;
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.entries.get() == held);
        }
        List<ListenableFuture<GetRelayResponse>> queued = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            queued.add(registry.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()));
        }
        // Let the queued calls grow older than the bound, then free the threads.
        await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> queued.stream().noneMatch(ListenableFuture::isDone));
        backend.release.countDown();

        int shed = 0;
        int answered = 0;
        for (ListenableFuture<GetRelayResponse> call : queued) {
            try {
                call.get(10, TimeUnit.SECONDS);
                answered++;
            } catch (ExecutionException e) {
                assertThat(Status.fromThrowable(e.getCause()).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                shed++;
            }
        }
        assertThat(shed).isEqualTo(4);
        assertThat(answered).as("the last of the backlog had nobody behind it").isEqualTo(1);
        for (ListenableFuture<GetRelayResponse> holder : holders) {
            assertThat(holder.get(10, TimeUnit.SECONDS).getRelay().getRelayId()).isEqualTo("relay-a");
        }
    }
}
