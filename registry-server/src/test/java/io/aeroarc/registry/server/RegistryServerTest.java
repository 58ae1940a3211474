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
import io.aeroarc.registry.api.v1.HeartbeatAgentsResponse;
import io.aeroarc.registry.api.v1.HeartbeatRelayRequest;
import io.aeroarc.registry.api.v1.ListAgentsRequest;
import io.aeroarc.registry.api.v1.ListAgentsResponse;
import io.aeroarc.registry.api.v1.ListRelaysRequest;
import io.aeroarc.registry.api.v1.ListRelaysResponse;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterAgentResponse;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.tck.ManualClock;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every RPC and every status code through generated stubs, against a real server on an ephemeral
 * port, over the memory backend on a clock the test steps.
 */
class RegistryServerTest {

    private static final long START = 1_800_000_000_000L;
    private static final Duration RELAY_TTL = Duration.ofSeconds(10);
    private static final Duration AGENT_TTL = Duration.ofSeconds(20);

    private final ManualClock clock = ManualClock.startingAt(START);
    private final SwitchableOutageBackend backend = new SwitchableOutageBackend(new MemoryBackend(clock, Duration.ZERO));
    private final RunningRegistry running = new RunningRegistry(backend, new RegistrySettings(RELAY_TTL, AGENT_TTL, 3), Duration.ofSeconds(5));
    private final AeroRegistryGrpc.AeroRegistryBlockingStub registry = running.registry();

    @AfterEach
    void stop() throws InterruptedException {
        running.close();
    }

    @Test
    void register_relay_then_get_and_list_return_everything_it_said_and_the_registrys_times() {
        long expiresAt = registry.registerRelay(RegisterRelayRequest.newBuilder().setRelay(Relay.newBuilder().setRelayId("relay-a")
                .setAddress("10.0.0.7").setGrpcPort(7443).putLabels("region", "eu").setLastHeartbeatUnixMs(42)).build()).getExpiresAtUnixMs();

        assertThat(expiresAt).isEqualTo(START + RELAY_TTL.toMillis());
        Relay expected = Relay.newBuilder().setRelayId("relay-a").setAddress("10.0.0.7").setGrpcPort(7443).putLabels("region", "eu")
                .setLastHeartbeatUnixMs(START).setExpiresAtUnixMs(expiresAt).setRegisteredAtUnixMs(START).setAgentCount(0).build();
        assertThat(registry.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()).getRelay()).isEqualTo(expected);
        assertThat(registry.listRelays(ListRelaysRequest.getDefaultInstance()).getRelaysList()).containsExactly(expected);
        assertThat(registry.listRelays(ListRelaysRequest.newBuilder().putLabelSelector("region", "us").build()).getRelaysList()).isEmpty();
    }

    @Test
    void heartbeats_renew_from_the_registrys_clock_and_unknown_or_expired_entries_are_not_found() {
        registerRelay("relay-a");
        registerAgent("agent-1", "relay-a");
        clock.advance(Duration.ofSeconds(4));

        assertThat(registry.heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId("relay-a").setTimestampUnixMs(1).build())
                .getExpiresAtUnixMs()).isEqualTo(START + 4_000 + RELAY_TTL.toMillis());
        assertThat(registry.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("agent-1").build()).getExpiresAtUnixMs())
                .isEqualTo(START + 4_000 + AGENT_TTL.toMillis());
        assertStatus(() -> registry.heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId("relay-x").build()),
                Status.Code.NOT_FOUND, "relay relay-x is not live; register it");

        clock.advance(RELAY_TTL);
        assertStatus(() -> registry.heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId("relay-a").build()),
                Status.Code.NOT_FOUND, "relay relay-a is not live; register it");
        assertStatus(() -> registry.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("agent-1").build()),
                Status.Code.NOT_FOUND, "agent agent-1 has no live placement; register it");
        assertStatus(() -> registry.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()), Status.Code.NOT_FOUND,
                "relay relay-a is not live; register it");
        assertStatus(() -> registerAgent("agent-2", "relay-a"), Status.Code.NOT_FOUND, "relay relay-a is not live; register it");
    }

    @Test
    void agents_are_placed_moved_and_looked_up_with_their_relay() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        RegisterAgentResponse onA = registerAgent("agent-1", "relay-a");
        RegisterAgentResponse onB = registerAgent("agent-1", "relay-b");

        assertThat(onA.getExpiresAtUnixMs()).isEqualTo(START + AGENT_TTL.toMillis());
        assertThat(onB.getEpoch()).isGreaterThan(onA.getEpoch());
        GetAgentPlacementResponse found = registry.getAgentPlacement(GetAgentPlacementRequest.newBuilder().setAgentId("agent-1").build());
        assertThat(found.getPlacement()).isEqualTo(AgentPlacement.newBuilder().setAgentId("agent-1").setRelayId("relay-b")
                .setLastUpdatedUnixMs(START).setExpiresAtUnixMs(START + AGENT_TTL.toMillis()).setEpoch(onB.getEpoch()).build());
        assertThat(found.getRelay().getRelayId()).isEqualTo("relay-b");
        assertThat(found.getRelay().getAddress()).isEqualTo("relay-b.test");
        assertThat(found.getRelay().getAgentCount()).isEqualTo(1);
        assertStatus(() -> registry.getAgentPlacement(GetAgentPlacementRequest.newBuilder().setAgentId("agent-9").build()),
                Status.Code.NOT_FOUND, "agent agent-9 has no live placement; register it");
    }

    @Test
    void a_heartbeat_naming_a_relay_or_epoch_that_lost_the_agent_fails_its_precondition() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        long epochOnA = registerAgent("agent-1", "relay-a").getEpoch();
        long epochOnB = registerAgent("agent-1", "relay-b").getEpoch();

        assertStatus(() -> registry.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("agent-1").setRelayId("relay-a")
                .setEpoch(epochOnA).build()), Status.Code.FAILED_PRECONDITION,
                "agent agent-1 is placed on relay relay-b with epoch " + epochOnB + ", not relay relay-a with epoch " + epochOnA);
        assertThat(registry.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("agent-1").setRelayId("relay-b")
                .setEpoch(epochOnB).build()).getExpiresAtUnixMs()).isPositive();
    }

    @Test
    void batch_heartbeats_and_lookups_report_lost_and_missing_agents() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        registerAgent("agent-1", "relay-a");
        registerAgent("agent-2", "relay-b");

        HeartbeatAgentsResponse renewal = registry.heartbeatAgents(
                HeartbeatAgentsRequest.newBuilder().setRelayId("relay-a").addAgentIds("agent-1").addAgentIds("agent-2").addAgentIds("agent-3").build());
        assertThat(renewal.getExpiresAtUnixMs()).isEqualTo(START + AGENT_TTL.toMillis());
        assertThat(renewal.getLostAgentIdsList()).containsExactly("agent-2", "agent-3");
        assertStatus(() -> registry.heartbeatAgents(HeartbeatAgentsRequest.newBuilder().setRelayId("relay-x").addAgentIds("agent-1").build()),
                Status.Code.NOT_FOUND, "relay relay-x is not live; register it");

        GetAgentPlacementsResponse lookup = registry.getAgentPlacements(
                GetAgentPlacementsRequest.newBuilder().addAgentIds("agent-2").addAgentIds("agent-3").addAgentIds("agent-1").build());
        assertThat(lookup.getPlacementsList()).extracting(AgentPlacement::getAgentId, AgentPlacement::getRelayId)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("agent-2", "relay-b"), org.assertj.core.groups.Tuple.tuple("agent-1", "relay-a"));
        assertThat(lookup.getMissingAgentIdsList()).containsExactly("agent-3");
    }

    @Test
    void lists_page_with_opaque_tokens_up_to_the_server_cap() {
        registerRelay("relay-a");
        for (String agentId : List.of("a4", "a2", "a1", "a3", "a5")) {
            registerAgent(agentId, "relay-a");
        }

        ListAgentsResponse first = registry.listAgents(ListAgentsRequest.newBuilder().setRelayId("relay-a").build());
        assertThat(first.getAgentsList()).extracting(Agent::getAgentId).as("page_size 0 means the cap, 3").containsExactly("a1", "a2", "a3");
        assertThat(first.getAgentsList().get(0)).isEqualTo(Agent.newBuilder().setAgentId("a1").setLastHeartbeatUnixMs(START)
                .setRelayId("relay-a").setExpiresAtUnixMs(START + AGENT_TTL.toMillis()).build());
        ListAgentsResponse second = registry.listAgents(ListAgentsRequest.newBuilder().setPageSize(100).setPageToken(first.getNextPageToken()).build());
        assertThat(second.getAgentsList()).extracting(Agent::getAgentId).containsExactly("a4", "a5");
        assertThat(second.getNextPageToken()).isEmpty();

        ListRelaysResponse relays = registry.listRelays(ListRelaysRequest.newBuilder().setPageSize(1).build());
        assertThat(relays.getNextPageToken()).isEmpty();
        assertStatus(() -> registry.listRelays(ListRelaysRequest.newBuilder().setPageToken(first.getNextPageToken()).build()),
                Status.Code.INVALID_ARGUMENT, "page_token: not a page token of this list");
    }

    @Test
    void only_the_owning_relay_deregisters_an_agent_and_a_leaving_relay_takes_its_placements() {
        registerRelay("relay-a");
        registerRelay("relay-b");
        registerAgent("agent-1", "relay-a");
        registerAgent("agent-2", "relay-a");

        assertStatus(() -> registry.deregisterAgent(DeregisterAgentRequest.newBuilder().setAgentId("agent-1").setRelayId("relay-b").build()),
                Status.Code.FAILED_PRECONDITION, "agent agent-1 is placed on relay relay-a, not on relay relay-b");
        registry.deregisterAgent(DeregisterAgentRequest.newBuilder().setAgentId("agent-1").setRelayId("relay-a").build());
        assertStatus(() -> registry.deregisterAgent(DeregisterAgentRequest.newBuilder().setAgentId("agent-1").setRelayId("relay-a").build()),
                Status.Code.NOT_FOUND, "agent agent-1 has no live placement; register it");

        registry.deregisterRelay(DeregisterRelayRequest.newBuilder().setRelayId("relay-a").build());
        assertStatus(() -> registry.getAgentPlacement(GetAgentPlacementRequest.newBuilder().setAgentId("agent-2").build()),
                Status.Code.NOT_FOUND, "agent agent-2 has no live placement; register it");
        assertStatus(() -> registry.deregisterRelay(DeregisterRelayRequest.newBuilder().setRelayId("relay-a").build()),
                Status.Code.NOT_FOUND, "relay relay-a is not live; register it");
    }

    @Test
    void bad_input_is_an_invalid_argument_naming_the_field() {
        assertStatus(() -> registry.registerRelay(RegisterRelayRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT,
                "relay.relay_id: required");
        assertStatus(() -> registry.registerRelay(RegisterRelayRequest.newBuilder().setRelay(
                Relay.newBuilder().setRelayId("relay-a").setAddress("10.0.0.1").setGrpcPort(70000)).build()),
                Status.Code.INVALID_ARGUMENT, "relay.grpc_port: must be a port from 1 to 65535, was 70000");
        assertStatus(() -> registry.registerAgent(RegisterAgentRequest.newBuilder().setRelayId("relay-a").build()),
                Status.Code.INVALID_ARGUMENT, "agent.agent_id: required");
        assertStatus(() -> registry.listAgents(ListAgentsRequest.newBuilder().setPageSize(-1).build()), Status.Code.INVALID_ARGUMENT,
                "page_size: must not be negative, was -1");
        assertStatus(() -> registry.getAgentPlacements(GetAgentPlacementsRequest.newBuilder().addAgentIds("ok").addAgentIds("").build()),
                Status.Code.INVALID_ARGUMENT, "agent_ids[1]: required");
    }

    @Test
    void a_request_over_1_mib_is_refused_with_resource_exhausted() {
        HeartbeatAgentsRequest.Builder huge = HeartbeatAgentsRequest.newBuilder().setRelayId("relay-a");
        String padding = "x".repeat(250);
        for (int i = 0; i < 4200; i++) {
            huge.addAgentIds(padding + i);
        }
        assertThat(huge.build().getSerializedSize()).isGreaterThan(RegistryServer.MAX_INBOUND_MESSAGE_BYTES);

        assertThatThrownBy(() -> registry.heartbeatAgents(huge.build())).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
    }

    @Test
    void a_storage_outage_is_unavailable_turns_health_not_serving_and_recovers_by_itself() {
        registerRelay("relay-a");
        assertThat(running.health("")).isEqualTo(ServingStatus.SERVING);
        assertThat(running.health(AeroRegistryGrpc.SERVICE_NAME)).isEqualTo(ServingStatus.SERVING);

        backend.setDown(true);
        assertStatus(() -> registry.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()), Status.Code.UNAVAILABLE,
                "storage backend unavailable; retry later");
        await().atMost(Duration.ofSeconds(10)).until(() -> running.health("") == ServingStatus.NOT_SERVING);
        assertThat(running.health(AeroRegistryGrpc.SERVICE_NAME)).isEqualTo(ServingStatus.NOT_SERVING);
        // A liveness probe must not restart every replica while the storage is down.
        assertThat(running.health(RegistryServer.LIVENESS_SERVICE)).isEqualTo(ServingStatus.SERVING);

        backend.setDown(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> running.health("") == ServingStatus.SERVING);
        assertThat(registry.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()).getRelay().getRelayId()).isEqualTo("relay-a");
    }

    @Test
    void an_unknown_health_service_is_not_found() {
        assertStatus(() -> running.health("no.such.Service"), Status.Code.NOT_FOUND, "unknown service no.such.Service");
    }

    @Test
    void reflection_lists_the_registry_health_and_reflection_services() throws Exception {
        CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(running.channel)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse response) {
                        answer.complete(response);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        requests.onCompleted();

        List<String> services = new ArrayList<>();
        for (ServiceResponse service : answer.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList()) {
            services.add(service.getName());
        }
        assertThat(services).contains("aeroarc.registry.v1.AeroRegistry", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection");
    }

    private void registerRelay(String relayId) {
        registry.registerRelay(RegisterRelayRequest.newBuilder()
                .setRelay(Relay.newBuilder().setRelayId(relayId).setAddress(relayId + ".test").setGrpcPort(7000)).build());
    }

    private RegisterAgentResponse registerAgent(String agentId, String relayId) {
        return registry.registerAgent(RegisterAgentRequest.newBuilder().setAgent(Agent.newBuilder().setAgentId(agentId)).setRelayId(relayId).build());
    }

    static void assertStatus(ThrowingCallable call, Status.Code code, String description) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).isEqualTo(description);
        });
    }
}
