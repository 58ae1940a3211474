package io.aeroarc.registry.bench;

import com.google.common.util.concurrent.ListenableFuture;
import io.aeroarc.registry.api.v1.GetAgentPlacementRequest;
import io.aeroarc.registry.api.v1.GetAgentPlacementResponse;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentResponse;
import io.aeroarc.registry.api.v1.HeartbeatAgentsRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentsResponse;
import io.aeroarc.registry.api.v1.HeartbeatRelayRequest;
import io.aeroarc.registry.api.v1.HeartbeatRelayResponse;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterAgentResponse;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.RegisterRelayResponse;

/**
 * The calls a fleet makes, from grpc-java's stubs (with the retry service config, as clients run)
 * or from the lean client (no retries, for rates the stubs cannot send from this JVM).
 */
interface FleetCalls {

    ListenableFuture<RegisterRelayResponse> registerRelay(RegisterRelayRequest request);

    ListenableFuture<HeartbeatRelayResponse> heartbeatRelay(HeartbeatRelayRequest request);

    ListenableFuture<RegisterAgentResponse> registerAgent(RegisterAgentRequest request);

    ListenableFuture<HeartbeatAgentResponse> heartbeatAgent(HeartbeatAgentRequest request);

    ListenableFuture<HeartbeatAgentsResponse> heartbeatAgents(HeartbeatAgentsRequest request);

    ListenableFuture<GetAgentPlacementResponse> getAgentPlacement(GetAgentPlacementRequest request);

    static FleetCalls of(RegistryClient client) {
        return new FleetCalls() {
            @Override
            public ListenableFuture<RegisterRelayResponse> registerRelay(RegisterRelayRequest request) {
                return client.registry().registerRelay(request);
            }

            @Override
            public ListenableFuture<HeartbeatRelayResponse> heartbeatRelay(HeartbeatRelayRequest request) {
                return client.registry().heartbeatRelay(request);
            }

            @Override
            public ListenableFuture<RegisterAgentResponse> registerAgent(RegisterAgentRequest request) {
                return client.registry().registerAgent(request);
            }

            @Override
            public ListenableFuture<HeartbeatAgentResponse> heartbeatAgent(HeartbeatAgentRequest request) {
                return client.registry().heartbeatAgent(request);
            }

            @Override
            public ListenableFuture<HeartbeatAgentsResponse> heartbeatAgents(HeartbeatAgentsRequest request) {
                return client.registry().heartbeatAgents(request);
            }

            @Override
            public ListenableFuture<GetAgentPlacementResponse> getAgentPlacement(GetAgentPlacementRequest request) {
                return client.registry().getAgentPlacement(request);
            }
        };
    }

    static FleetCalls of(LeanChannel lean) {
        return new FleetCalls() {
            @Override
            public ListenableFuture<RegisterRelayResponse> registerRelay(RegisterRelayRequest request) {
                return lean.call(MaxScenario.path("RegisterRelay"), request, RegisterRelayResponse.parser());
            }

            @Override
            public ListenableFuture<HeartbeatRelayResponse> heartbeatRelay(HeartbeatRelayRequest request) {
                return lean.call(MaxScenario.path(MaxScenario.HEARTBEAT_RELAY), request, HeartbeatRelayResponse.parser());
            }

            @Override
            public ListenableFuture<RegisterAgentResponse> registerAgent(RegisterAgentRequest request) {
                return lean.call(MaxScenario.path(MaxScenario.REGISTER_AGENT), request, RegisterAgentResponse.parser());
            }

            @Override
            public ListenableFuture<HeartbeatAgentResponse> heartbeatAgent(HeartbeatAgentRequest request) {
                return lean.call(MaxScenario.path(MaxScenario.HEARTBEAT_AGENT), request, HeartbeatAgentResponse.parser());
            }

            @Override
            public ListenableFuture<HeartbeatAgentsResponse> heartbeatAgents(HeartbeatAgentsRequest request) {
                return lean.call(MaxScenario.path(MaxScenario.HEARTBEAT_AGENTS), request, HeartbeatAgentsResponse.parser());
            }

            @Override
            public ListenableFuture<GetAgentPlacementResponse> getAgentPlacement(GetAgentPlacementRequest request) {
                return lean.call(MaxScenario.path(MaxScenario.GET_AGENT_PLACEMENT), request, GetAgentPlacementResponse.parser());
            }
        };
    }
}
