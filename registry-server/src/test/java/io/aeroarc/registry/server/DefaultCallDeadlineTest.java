package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
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

/** A call whose client sent no deadline gets the server's default, which bounds its wait in the queue. */
class DefaultCallDeadlineTest {

    private static final int THREADS = 3;
    private static final int RESERVED = 1;

    private final HoldingBackend backend = new HoldingBackend(new MemoryBackend(Clock.systemUTC(), Duration.ZERO));
    private final RunningRegistry running = new RunningRegistry(backend,
            new RegistrySettings(Duration.ofMinutes(1), Duration.ofMinutes(1), 100), Duration.ofSeconds(5),
            new CallLimits(Duration.ofMillis(400), 100, Duration.ofSeconds(30), THREADS, RESERVED));

    @AfterEach
    void close() throws InterruptedException {
        backend.release.countDown();
        running.close();
    }

    @Test
    void a_call_without_a_deadline_is_not_run_once_the_default_passed_in_the_queue() throws Exception {
        running.registry().registerRelay(RegisterRelayRequest.newBuilder()
                .setRelay(Relay.newBuilder().setRelayId("relay-a").setAddress("10.0.0.1").setGrpcPort(7443)).build());
        AeroRegistryGrpc.AeroRegistryFutureStub noDeadline = AeroRegistryGrpc.newFutureStub(running.channel);
        List<ListenableFuture<GetRelayResponse>> holders = new ArrayList<>();
        for (int i = 0; i < THREADS - RESERVED; i++) {
            holders.add(noDeadline.withDeadlineAfter(30, TimeUnit.SECONDS).getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()));
            int held = i + 1;
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.entries.get() == held);
        }

        long start = System.nanoTime();
        ListenableFuture<GetRelayResponse> queued = noDeadline.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build());
        // Held past the default deadline, then the threads are freed: the queued call must not run.
        await().pollDelay(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> true);
        backend.release.countDown();
        Throwable failure = catchThrowableOfType(ExecutionException.class, () -> queued.get(10, TimeUnit.SECONDS)).getCause();
        assertThat(Status.fromThrowable(failure).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        for (ListenableFuture<GetRelayResponse> holder : holders) {
            holder.get(10, TimeUnit.SECONDS);
        }
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> backend.entries.get() == THREADS - RESERVED);
    }
}
