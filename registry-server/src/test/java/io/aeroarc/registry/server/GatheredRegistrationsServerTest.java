package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterAgentResponse;
import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.core.CoalescingBackend;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.spi.AgentRegistrationRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.tck.ForwardingBackend;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * RegisterAgent on a backend that batches registrations natively: registrations waiting for a
 * round trip hold no call thread, and each gets its own answer from one gathered batch.
 */
class GatheredRegistrationsServerTest {

    private static final int THREADS = 4;
    private static final Duration TTL = Duration.ofMinutes(1);

    private final MemoryBackend memory = new MemoryBackend(Clock.systemUTC(), Duration.ZERO);
    private final HeldRegistrations held = new HeldRegistrations(memory);
    private final CoalescingBackend coalescing = new CoalescingBackend(held, new CoalescingBackend.Options(1000, 1), 100);
    private final RunningRegistry running = new RunningRegistry(coalescing,
            new RegistrySettings(TTL, TTL, 100), Duration.ofSeconds(5), new CallLimits(Duration.ofSeconds(5), 100, Duration.ofSeconds(5), THREADS, 1));

    @AfterEach
    void close() throws InterruptedException {
        held.release.countDown();
        running.close();
    }

    @Test
    void waiting_registrations_free_their_threads_and_each_get_their_own_answer_from_one_batch() throws Exception {
        memory.registerRelay(new RelayRegistration("relay-a", "10.0.0.1", 7443, Map.of()), TTL);
        memory.registerRelay(new RelayRegistration("relay-b", "10.0.0.2", 7443, Map.of()), TTL);
        PlacementRecord before = memory.registerAgent("agent-moving", "relay-a", TTL).orElseThrow();
        AeroRegistryGrpc.AeroRegistryFutureStub registry = AeroRegistryGrpc.newFutureStub(running.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        ListenableFuture<RegisterAgentResponse> holder = registry.registerAgent(request("agent-0", "relay-a"));
        await().atMost(Duration.ofSeconds(10)).until(() -> held.entries.get() == 1);

        int waitingCount = 3 * THREADS;
        List<ListenableFuture<RegisterAgentResponse>> waiting = new ArrayList<>();
        for (int i = 1; i < waitingCount - 1; i++) {
            waiting.add(registry.registerAgent(request("agent-" + i, "relay-a")));
        }
        waiting.add(registry.registerAgent(request("agent-moving", "relay-b")));
        waiting.add(registry.registerAgent(request("agent-lost", "relay-unknown")));
        await().atMost(Duration.ofSeconds(10)).until(() -> coalescing.queuedCalls() == waitingCount);
        // Three times the call threads wait for the held round trip, and the threads still serve other calls.
        assertThat(running.registry().getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()).getRelay().getRelayId())
                .isEqualTo("relay-a");
        ExecutionException invalid = Assertions.assertThrows(ExecutionException.class,
                () -> registry.registerAgent(request("", "relay-a")).get(10, TimeUnit.SECONDS));
        assertThat(Status.fromThrowable(invalid.getCause()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(Status.fromThrowable(invalid.getCause()).getDescription()).contains("agent.agent_id");
        assertThat(waiting).noneMatch(ListenableFuture::isDone);

        held.release.countDown();
        assertThat(holder.get(10, TimeUnit.SECONDS).getEpoch()).isPositive();
        for (int i = 0; i < waitingCount - 2; i++) {
            assertThat(waiting.get(i).get(10, TimeUnit.SECONDS).getEpoch()).isPositive();
        }
        assertThat(waiting.get(waitingCount - 2).get(10, TimeUnit.SECONDS).getEpoch()).as("moved").isGreaterThan(before.epoch());
        ExecutionException notFound = Assertions.assertThrows(ExecutionException.class,
                () -> waiting.get(waitingCount - 1).get(10, TimeUnit.SECONDS));
        assertThat(Status.fromThrowable(notFound.getCause()).getCode()).as("its own answer").isEqualTo(Status.Code.NOT_FOUND);
        assertThat(held.batchSizes).containsExactly(waitingCount);
        assertThat(memory.getPlacement("agent-moving").orElseThrow().placement().relayId()).isEqualTo("relay-b");
    }

    private static RegisterAgentRequest request(String agentId, String relayId) {
        return RegisterAgentRequest.newBuilder().setAgent(Agent.newBuilder().setAgentId(agentId)).setRelayId(relayId).build();
    }

    /** Batches registrations "natively"; holds the first registration round trip until released; counts batches. */
    private static final class HeldRegistrations extends ForwardingBackend {
        final AtomicInteger entries = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();

        HeldRegistrations(RegistryBackend delegate) {
            super(delegate);
        }

        @Override
        public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
            if (entries.incrementAndGet() == 1) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.registerAgent(agentId, relayId, ttl);
        }

        @Override
        public List<Optional<PlacementRecord>> registerAgentBatch(List<AgentRegistrationRequest> requests, Duration ttl) {
            batchSizes.add(requests.size());
            return super.registerAgentBatch(requests, ttl);
        }

        @Override
        public boolean batchesRegistrations() {
            return true;
        }
    }
}
