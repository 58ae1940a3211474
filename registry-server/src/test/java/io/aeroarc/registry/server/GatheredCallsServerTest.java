package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.GetAgentPlacementRequest;
import io.aeroarc.registry.api.v1.GetAgentPlacementResponse;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentResponse;
import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.core.CoalescingBackend;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.tck.ForwardingBackend;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Gathered calls waiting for a round trip hold no call thread: far more of them than threads wait
 * while other calls are still served, the excess over the waiting bound is shed as the admission
 * sheds (UNAVAILABLE, "the server is overloaded", a retry pushback), and each waiting call gets its
 * own answer once the storage answers.
 */
class GatheredCallsServerTest {

    private static final int THREADS = 4;
    private static final int MAX_WAITING = 20;
    private static final Duration TTL = Duration.ofMinutes(1);

    private final MemoryBackend memory = new MemoryBackend(Clock.systemUTC(), Duration.ZERO);
    private final HeldHeartbeats held = new HeldHeartbeats(memory);
    private final CoalescingBackend coalescing = new CoalescingBackend(held, new CoalescingBackend.Options(1000, 1), MAX_WAITING);
    private final RunningRegistry running = new RunningRegistry(coalescing,
            new RegistrySettings(TTL, TTL, 100), Duration.ofSeconds(5), new CallLimits(Duration.ofSeconds(5), 100, Duration.ofSeconds(5), THREADS, 1));

    @AfterEach
    void close() throws InterruptedException {
        held.release.countDown();
        running.close();
    }

    @Test
    void waiting_heartbeats_free_their_threads_are_bounded_and_each_get_their_own_answer() throws Exception {
        memory.registerRelay(new RelayRegistration("relay-a", "10.0.0.1", 7443, Map.of()), TTL);
        for (int i = 0; i < 40; i++) {
            memory.registerAgent("agent-" + i, "relay-a", TTL).orElseThrow();
        }
        AeroRegistryGrpc.AeroRegistryFutureStub registry = AeroRegistryGrpc.newFutureStub(running.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        ListenableFuture<HeartbeatAgentResponse> holder = registry.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("agent-0").build());
        await().atMost(Duration.ofSeconds(10)).until(() -> held.entries.get() == 1);

        List<ListenableFuture<HeartbeatAgentResponse>> waiting = new ArrayList<>();
        for (int i = 1; i <= MAX_WAITING; i++) {
            waiting.add(registry.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId(i == MAX_WAITING ? "agent-unknown" : "agent-" + i).build()));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> coalescing.queuedCalls() == MAX_WAITING);
        // Five times the call threads wait for the held round trip, and the threads still serve other calls.
        assertThat(running.registry().getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()).getRelay().getRelayId())
                .isEqualTo("relay-a");
        ListenableFuture<GetAgentPlacementResponse> lookup = registry.getAgentPlacement(GetAgentPlacementRequest.newBuilder().setAgentId("agent-3").build());
        assertThat(lookup.get(10, TimeUnit.SECONDS).getRelay().getRelayId()).as("lookups have their own round trips").isEqualTo("relay-a");
        assertThat(waiting).noneMatch(ListenableFuture::isDone);

        ListenableFuture<HeartbeatAgentResponse> shed = registry.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("agent-30").build());
        ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> shed.get(10, TimeUnit.SECONDS));
        Status status = Status.fromThrowable(refused.getCause());
        assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(status.getDescription()).startsWith("the server is overloaded:");
        Metadata trailers = Status.trailersFromThrowable(refused.getCause());
        assertThat(Long.parseLong(trailers.get(CallAdmission.RETRY_PUSHBACK))).isBetween(CallAdmission.PUSHBACK_MILLIS, 2 * CallAdmission.PUSHBACK_MILLIS);

        assertThat(running.server.shedCalls()).as("counted as the admission's own sheds").isEqualTo(1);

        held.release.countDown();
        assertThat(holder.get(10, TimeUnit.SECONDS).getExpiresAtUnixMs()).isPositive();
        for (int i = 0; i < MAX_WAITING - 1; i++) {
            assertThat(waiting.get(i).get(10, TimeUnit.SECONDS).getExpiresAtUnixMs()).isPositive();
        }
        ExecutionException notFound = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> waiting.get(MAX_WAITING - 1).get(10, TimeUnit.SECONDS));
        assertThat(Status.fromThrowable(notFound.getCause()).getCode()).as("its own answer").isEqualTo(Status.Code.NOT_FOUND);
        assertThat(held.batchSizes).containsExactly(MAX_WAITING);
    }

    /** Holds the first heartbeat round trip until released; counts what reaches the storage. */
    private static final class HeldHeartbeats extends ForwardingBackend {
        final AtomicInteger entries = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);
        final List<Integer> batchSizes = new java.util.concurrent.CopyOnWriteArrayList<>();

        HeldHeartbeats(RegistryBackend delegate) {
            super(delegate);
        }

        @Override
        public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
            if (entries.incrementAndGet() == 1) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.heartbeatAgent(agentId, fence, ttl);
        }

        @Override
        public List<AgentHeartbeat> heartbeatAgentBatch(List<io.aeroarc.registry.spi.AgentHeartbeatRequest> requests, Duration ttl) {
            batchSizes.add(requests.size());
            return super.heartbeatAgentBatch(requests, ttl);
        }
    }
}
