package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.GetAgentPlacementRequest;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.GetRelayResponse;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.api.v1.HeartbeatRelayRequest;
import io.aeroarc.registry.api.v1.HeartbeatRelayResponse;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.core.CoalescingBackend;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.server.security.Security;
import io.aeroarc.registry.server.security.SecurityConfig;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.tck.ForwardingBackend;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * HeartbeatAgent and GetAgentPlacement run on the transport thread when the backend gathers them
 * and never makes their caller wait: they need no call thread, so they are answered while every
 * call thread is held. Anything else still waits for one.
 */
class TransportThreadCallsTest {

    private static final int THREADS = 2;
    private static final int RESERVED = 1;

    private RunningRegistry running;

    @AfterEach
    void close() throws InterruptedException {
        if (running != null) {
            running.close();
        }
    }

    /** A backend that bounds its batch round trips, as every backend with a storage server does. */
    private static RegistryBackend bounded(RegistryBackend delegate) {
        return new ForwardingBackend(delegate) {
            @Override
            public int batchConcurrency() {
                return 1;
            }
        };
    }

    private static Security authorizing() {
        return Security.from(new SecurityConfig(Optional.empty(), SecurityConfig.ClientAuth.REQUIRE, Optional.empty(), Optional.empty(),
                false, true));
    }

    @Test
    void only_gathered_calls_that_never_wait_run_on_the_transport_thread_and_heartbeats_only_without_authorization() {
        Security none = Security.from(SecurityConfig.none());
        MemoryBackend memory = new MemoryBackend(Clock.systemUTC(), Duration.ZERO);
        CoalescingBackend gatheringBounded = new CoalescingBackend(bounded(memory), CoalescingBackend.Options.DEFAULT);
        CoalescingBackend gatheringUnbounded = new CoalescingBackend(memory, CoalescingBackend.Options.DEFAULT);
        try {
            assertThat(gatheringBounded.gatheredCallsNeverWait()).isTrue();
            assertThat(gatheringUnbounded.gatheredCallsNeverWait()).as("answers a lone call on its caller's thread").isFalse();
            assertThat(RegistryServer.transportThreadCalls(gatheringBounded, none)).containsExactlyInAnyOrder("HeartbeatAgent", "GetAgentPlacement");
            assertThat(RegistryServer.transportThreadCalls(gatheringBounded, authorizing())).containsExactly("GetAgentPlacement");
            assertThat(RegistryServer.transportThreadCalls(gatheringUnbounded, none)).isEmpty();
            assertThat(RegistryServer.transportThreadCalls(bounded(memory), none)).as("not gathered").isEmpty();
        } finally {
            gatheringBounded.close();
            gatheringUnbounded.close();
        }
    }

    @Test
    void gathered_calls_are_answered_while_every_call_thread_is_held_and_others_wait_for_one() throws Exception {
        HoldingReadsAndRelayHeartbeats held = new HoldingReadsAndRelayHeartbeats(new MemoryBackend(Clock.systemUTC(), Duration.ZERO));
        running = new RunningRegistry(new CoalescingBackend(held, CoalescingBackend.Options.DEFAULT),
                new RegistrySettings(Duration.ofMinutes(1), Duration.ofMinutes(1), 100), Duration.ofSeconds(5),
                new CallLimits(Duration.ofSeconds(20), 10, Duration.ofSeconds(30), THREADS, RESERVED));
        try {
            running.registry().registerRelay(RegisterRelayRequest.newBuilder()
                    .setRelay(Relay.newBuilder().setRelayId("relay-a").setAddress("10.0.0.1").setGrpcPort(7443)).build());
            long epoch = running.registry().registerAgent(RegisterAgentRequest.newBuilder().setRelayId("relay-a")
                    .setAgent(Agent.newBuilder().setAgentId("agent-1")).build()).getEpoch();
            AeroRegistryGrpc.AeroRegistryFutureStub futures = AeroRegistryGrpc.newFutureStub(running.channel)
                    .withDeadlineAfter(20, TimeUnit.SECONDS);
            // A read holds the one thread reads may take; a relay heartbeat holds the one kept for liveness calls.
            held.holding = true;
            ListenableFuture<GetRelayResponse> heldRead = futures.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build());
            ListenableFuture<HeartbeatRelayResponse> heldHeartbeat = futures.heartbeatRelay(
                    HeartbeatRelayRequest.newBuilder().setRelayId("relay-a").build());
            await().atMost(Duration.ofSeconds(10)).until(() -> held.entries.get() == THREADS);

            for (int i = 0; i < 20; i++) {
                assertThat(running.registry().heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("agent-1").setRelayId("relay-a")
                        .setEpoch(epoch).build()).getExpiresAtUnixMs()).isPositive();
                assertThat(running.registry().getAgentPlacement(GetAgentPlacementRequest.newBuilder().setAgentId("agent-1").build())
                        .getPlacement().getRelayId()).isEqualTo("relay-a");
            }
            ListenableFuture<HeartbeatRelayResponse> queued = futures.heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId("relay-a").build());
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !queued.isDone());

            held.release.countDown();
            assertThat(queued.get(10, TimeUnit.SECONDS).getExpiresAtUnixMs()).isPositive();
            assertThat(heldHeartbeat.get(10, TimeUnit.SECONDS).getExpiresAtUnixMs()).isPositive();
            assertThat(heldRead.get(10, TimeUnit.SECONDS).getRelay().getRelayId()).isEqualTo("relay-a");
        } finally {
            held.release.countDown();
        }
    }

    /** Bounds its batch round trips, and holds GetRelay and HeartbeatRelay, once told to, until released. */
    private static final class HoldingReadsAndRelayHeartbeats extends ForwardingBackend {
        final AtomicInteger entries = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);
        volatile boolean holding;

        HoldingReadsAndRelayHeartbeats(RegistryBackend delegate) {
            super(delegate);
        }

        @Override
        public int batchConcurrency() {
            return 1;
        }

        @Override
        public Optional<RelayRecord> getRelay(String relayId) {
            hold();
            return super.getRelay(relayId);
        }

        @Override
        public OptionalLong heartbeatRelay(String relayId, Duration ttl) {
            hold();
            return super.heartbeatRelay(relayId, ttl);
        }

        private void hold() {
            if (!holding) {
                return;
            }
            entries.incrementAndGet();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
