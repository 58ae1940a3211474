package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.AgentPlacement;
import io.aeroarc.registry.api.v1.DeregisterAgentRequest;
import io.aeroarc.registry.api.v1.DeregisterRelayRequest;
import io.aeroarc.registry.api.v1.GetAgentPlacementRequest;
import io.aeroarc.registry.api.v1.GetAgentPlacementResponse;
import io.aeroarc.registry.api.v1.GetAgentPlacementsRequest;
import io.aeroarc.registry.api.v1.GetAgentPlacementsResponse;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentsRequest;
import io.aeroarc.registry.api.v1.HeartbeatRelayRequest;
import io.aeroarc.registry.api.v1.ListAgentsRequest;
import io.aeroarc.registry.api.v1.ListAgentsResponse;
import io.aeroarc.registry.api.v1.ListRelaysRequest;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Every RPC once, with the answers a working registry gives, whatever its backend. */
final class FullApiCheck {

    private FullApiCheck() {}

    static void run(ManagedChannel channel) {
        AeroRegistryGrpc.AeroRegistryBlockingStub registry = AeroRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        // A backend's first round trip includes connecting (a cold JVM takes a while for jetcd's),
        // so health may report NOT_SERVING for the first probe or two.
        await().atMost(Duration.ofSeconds(30)).until(() -> HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING);

        for (String relayId : new String[] {"check-relay-a", "check-relay-b"}) {
            assertThat(registry.registerRelay(RegisterRelayRequest.newBuilder().setRelay(Relay.newBuilder().setRelayId(relayId)
                    .setAddress(relayId + ".example").setGrpcPort(7443).putLabels("zone", relayId.endsWith("a") ? "z1" : "z2")).build())
                    .getExpiresAtUnixMs()).isPositive();
        }
        assertThat(registry.heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId("check-relay-a").build()).getExpiresAtUnixMs())
                .isPositive();
        assertThat(registry.getRelay(GetRelayRequest.newBuilder().setRelayId("check-relay-b").build()).getRelay().getAddress())
                .isEqualTo("check-relay-b.example");
        assertThat(registry.listRelays(ListRelaysRequest.newBuilder().putLabelSelector("zone", "z1").build()).getRelaysList())
                .extracting(Relay::getRelayId).containsExactly("check-relay-a");

        long first = registerAgent(registry, "check-agent-1", "check-relay-a");
        registerAgent(registry, "check-agent-2", "check-relay-a");
        long moved = registerAgent(registry, "check-agent-1", "check-relay-b");
        assertThat(moved).isGreaterThan(first);
        assertThat(registry.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("check-agent-1").setRelayId("check-relay-b")
                .setEpoch(moved).build()).getExpiresAtUnixMs()).isPositive();
        assertThatThrownBy(() -> registry.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("check-agent-1")
                .setRelayId("check-relay-a").build())).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
        assertThat(registry.heartbeatAgents(HeartbeatAgentsRequest.newBuilder().setRelayId("check-relay-a").addAgentIds("check-agent-1")
                .addAgentIds("check-agent-2").build()).getLostAgentIdsList()).containsExactly("check-agent-1");

        GetAgentPlacementResponse found = registry.getAgentPlacement(GetAgentPlacementRequest.newBuilder().setAgentId("check-agent-1").build());
        assertThat(found.getPlacement().getRelayId()).isEqualTo("check-relay-b");
        assertThat(found.getPlacement().getEpoch()).isEqualTo(moved);
        assertThat(found.getRelay().getAddress()).isEqualTo("check-relay-b.example");
        GetAgentPlacementsResponse batch = registry.getAgentPlacements(GetAgentPlacementsRequest.newBuilder().addAgentIds("check-agent-2")
                .addAgentIds("check-agent-9").build());
        assertThat(batch.getPlacementsList()).extracting(AgentPlacement::getRelayId).containsExactly("check-relay-a");
        assertThat(batch.getMissingAgentIdsList()).containsExactly("check-agent-9");

        ListAgentsResponse page = registry.listAgents(ListAgentsRequest.newBuilder().setPageSize(1).build());
        assertThat(page.getAgentsList()).extracting(Agent::getAgentId).containsExactly("check-agent-1");
        assertThat(registry.listAgents(ListAgentsRequest.newBuilder().setPageSize(1).setPageToken(page.getNextPageToken()).build())
                .getAgentsList()).extracting(Agent::getAgentId).containsExactly("check-agent-2");

        registry.deregisterAgent(DeregisterAgentRequest.newBuilder().setAgentId("check-agent-2").setRelayId("check-relay-a").build());
        registry.deregisterRelay(DeregisterRelayRequest.newBuilder().setRelayId("check-relay-b").build());
        assertThatThrownBy(() -> registry.getAgentPlacement(GetAgentPlacementRequest.newBuilder().setAgentId("check-agent-1").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        assertThat(registry.listAgents(ListAgentsRequest.getDefaultInstance()).getAgentsList()).isEmpty();
        registry.deregisterRelay(DeregisterRelayRequest.newBuilder().setRelayId("check-relay-a").build());
    }

    private static long registerAgent(AeroRegistryGrpc.AeroRegistryBlockingStub registry, String agentId, String relayId) {
        return registry.registerAgent(RegisterAgentRequest.newBuilder().setAgent(Agent.newBuilder().setAgentId(agentId)).setRelayId(relayId)
                .build()).getEpoch();
    }
}
