package io.aeroarc.registry.server;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.DeregisterAgentRequest;
import io.aeroarc.registry.api.v1.DeregisterAgentResponse;
import io.aeroarc.registry.api.v1.DeregisterRelayRequest;
import io.aeroarc.registry.api.v1.DeregisterRelayResponse;
import io.aeroarc.registry.api.v1.GetAgentPlacementRequest;
import io.aeroarc.registry.api.v1.GetAgentPlacementResponse;
import io.aeroarc.registry.api.v1.GetAgentPlacementsRequest;
import io.aeroarc.registry.api.v1.GetAgentPlacementsResponse;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.GetRelayResponse;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentResponse;
import io.aeroarc.registry.api.v1.HeartbeatAgentsRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentsResponse;
import io.aeroarc.registry.api.v1.HeartbeatRelayRequest;
import io.aeroarc.registry.api.v1.HeartbeatRelayResponse;
import io.aeroarc.registry.api.v1.ListAgentsRequest;
import io.aeroarc.registry.api.v1.ListAgentsResponse;
import io.aeroarc.registry.api.v1.ListRelaysRequest;
import io.aeroarc.registry.api.v1.ListRelaysResponse;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterAgentResponse;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.RegisterRelayResponse;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.api.v1.WatchAgentsRequest;
import io.aeroarc.registry.api.v1.WatchAgentsResponse;
import io.aeroarc.registry.api.v1.WatchRelaysRequest;
import io.aeroarc.registry.api.v1.WatchRelaysResponse;
import io.aeroarc.registry.core.Listing;
import io.aeroarc.registry.core.PlacementLookup;
import io.aeroarc.registry.core.RegistryService;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.CallDeadline;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The AeroRegistry service: wire messages in and out; the work is {@link RegistryService}'s. */
final class AeroRegistryService extends AeroRegistryGrpc.AeroRegistryImplBase {

    private final RegistryService unbounded;
    private final Duration defaultDeadline;
    private final GatheredShedding shedding;
    private final WatchService watches;

    /** @param defaultDeadline bounds calls that reach this service without a gRPC deadline */
    AeroRegistryService(RegistryService registry, Duration defaultDeadline, WatchService watches) {
        this(registry, defaultDeadline, watches, GatheredShedding.NONE);
    }

    /** @param shedding told of every gathered call shed because too many waited for a round trip */
    AeroRegistryService(RegistryService registry, Duration defaultDeadline, WatchService watches, GatheredShedding shedding) {
        this.unbounded = registry;
        this.defaultDeadline = defaultDeadline;
        this.watches = watches;
        this.shedding = shedding;
    }

    /** Where a gathered call shed for overload is counted, as {@link CallAdmission} counts the calls it sheds. */
    interface GatheredShedding {
        GatheredShedding NONE = liveness -> {};

        void shed(boolean liveness);
    }

    /**
     * The registry bounded by the running call's deadline. gRPC keeps the deadline in the call's
     * Context; {@link CallAdmission} gives every call one, also when the client sent none.
     */
    private RegistryService registry() {
        Deadline deadline = Context.current().getDeadline();
        Duration left = deadline == null ? defaultDeadline : Duration.ofNanos(deadline.timeRemaining(TimeUnit.NANOSECONDS));
        return unbounded.boundedBy(CallDeadline.after(left));
    }

    @Override
    public void registerRelay(RegisterRelayRequest request, StreamObserver<RegisterRelayResponse> responses) {
        respond(responses, () -> {
            Relay relay = request.getRelay();
            long expiresAt = registry().registerRelay(relay.getRelayId(), relay.getAddress(), relay.getGrpcPort(), relay.getLabelsMap());
            return RegisterRelayResponse.newBuilder().setExpiresAtUnixMs(expiresAt).build();
        });
    }

    @Override
    public void heartbeatRelay(HeartbeatRelayRequest request, StreamObserver<HeartbeatRelayResponse> responses) {
        respond(responses, () -> HeartbeatRelayResponse.newBuilder()
                .setExpiresAtUnixMs(registry().heartbeatRelay(request.getRelayId())).build());
    }

    @Override
    public void listRelays(ListRelaysRequest request, StreamObserver<ListRelaysResponse> responses) {
        respond(responses, () -> {
            Listing<RelayRecord> listing = registry().listRelays(request.getPageSize(), request.getPageToken(), request.getLabelSelectorMap());
            ListRelaysResponse.Builder response = ListRelaysResponse.newBuilder().setNextPageToken(listing.nextPageToken());
            listing.items().forEach(relay -> response.addRelays(ProtoMapper.relay(relay)));
            return response.build();
        });
    }

    @Override
    public void getRelay(GetRelayRequest request, StreamObserver<GetRelayResponse> responses) {
        respond(responses, () -> GetRelayResponse.newBuilder().setRelay(ProtoMapper.relay(registry().getRelay(request.getRelayId()))).build());
    }

    @Override
    public void deregisterRelay(DeregisterRelayRequest request, StreamObserver<DeregisterRelayResponse> responses) {
        respond(responses, () -> {
            registry().deregisterRelay(request.getRelayId());
            return DeregisterRelayResponse.getDefaultInstance();
        });
    }

    @Override
    public void registerAgent(RegisterAgentRequest request, StreamObserver<RegisterAgentResponse> responses) {
        // RegisterAgent waits for threads in CallAdmission's liveness lane, so a shed one counts there too.
        respondWhenDone(responses, true, () -> registry().registerAgentAsync(request.getAgent().getAgentId(), request.getRelayId())
                .thenApply(registered -> {
                    RegisterAgentResponse.Builder response = RegisterAgentResponse.newBuilder()
                            .setExpiresAtUnixMs(registered.placement().expiresAtMs()).setEpoch(registered.placement().epoch());
                    registered.movedFrom().ifPresent(before -> response.setPreviousRelayId(before.relayId()).setPreviousEpoch(before.epoch()));
                    return response.build();
                }));
    }

    @Override
    public void heartbeatAgent(HeartbeatAgentRequest request, StreamObserver<HeartbeatAgentResponse> responses) {
        respondWhenDone(responses, true, () -> registry().heartbeatAgentAsync(request.getAgentId(), request.getRelayId(), request.getEpoch())
                .thenApply(expiresAt -> HeartbeatAgentResponse.newBuilder().setExpiresAtUnixMs(expiresAt).build()));
    }

    @Override
    public void heartbeatAgents(HeartbeatAgentsRequest request, StreamObserver<HeartbeatAgentsResponse> responses) {
        respond(responses, () -> {
            BatchRenewal renewal = registry().heartbeatAgents(request.getRelayId(), request.getAgentIdsList());
            return HeartbeatAgentsResponse.newBuilder()
                    .setExpiresAtUnixMs(renewal.expiresAtMs())
                    .addAllLostAgentIds(renewal.lostAgentIds())
                    .build();
        });
    }

    @Override
    public void deregisterAgent(DeregisterAgentRequest request, StreamObserver<DeregisterAgentResponse> responses) {
        respond(responses, () -> {
            registry().deregisterAgent(request.getAgentId(), request.getRelayId());
            return DeregisterAgentResponse.getDefaultInstance();
        });
    }

    @Override
    public void getAgentPlacement(GetAgentPlacementRequest request, StreamObserver<GetAgentPlacementResponse> responses) {
        respondWhenDone(responses, false, () -> registry().getAgentPlacementAsync(request.getAgentId())
                .thenApply(found -> GetAgentPlacementResponse.newBuilder()
                        .setPlacement(ProtoMapper.placement(found.placement()))
                        .setRelay(ProtoMapper.relay(found.relay()))
                        .build()));
    }

    @Override
    public void getAgentPlacements(GetAgentPlacementsRequest request, StreamObserver<GetAgentPlacementsResponse> responses) {
        respond(responses, () -> {
            PlacementLookup lookup = registry().getAgentPlacements(request.getAgentIdsList());
            GetAgentPlacementsResponse.Builder response = GetAgentPlacementsResponse.newBuilder().addAllMissingAgentIds(lookup.missingAgentIds());
            lookup.placements().forEach(placement -> response.addPlacements(ProtoMapper.placement(placement)));
            return response.build();
        });
    }

    @Override
    public void listAgents(ListAgentsRequest request, StreamObserver<ListAgentsResponse> responses) {
        respond(responses, () -> {
            Listing<PlacementRecord> listing = registry().listAgents(request.getRelayId(), request.getPageSize(), request.getPageToken());
            ListAgentsResponse.Builder response = ListAgentsResponse.newBuilder().setNextPageToken(listing.nextPageToken());
            listing.items().forEach(placement -> response.addAgents(ProtoMapper.agent(placement)));
            return response.build();
        });
    }

    @Override
    public void watchRelays(WatchRelaysRequest request, StreamObserver<WatchRelaysResponse> responses) {
        watches.watchRelays(request, responses);
    }

    @Override
    public void watchAgents(WatchAgentsRequest request, StreamObserver<WatchAgentsResponse> responses) {
        watches.watchAgents(request, responses);
    }

    /**
     * Answers when the future completes: at once, on this call thread, when the call ran here; else
     * on the thread that ends its gathered round trip, while this call thread is already serving
     * other calls.
     */
    private <T> void respondWhenDone(StreamObserver<T> responses, boolean liveness, Supplier<CompletableFuture<T>> call) {
        CompletableFuture<T> answer;
        try {
            answer = call.get();
        } catch (RuntimeException e) {
            responses.onError(StatusMapper.toStatusException(e));
            return;
        }
        answer.whenComplete((response, failure) -> {
            if (failure != null) {
                if (StatusMapper.isOverloaded(failure)) {
                    shedding.shed(liveness);
                }
                responses.onError(StatusMapper.toStatusException(failure));
                return;
            }
            try {
                responses.onNext(response);
            } catch (RuntimeException e) {
                responses.onError(StatusMapper.toStatusException(e));
                return;
            }
            responses.onCompleted();
        });
    }

    private static <T> void respond(StreamObserver<T> responses, Supplier<T> call) {
        T response;
        try {
            response = call.get();
        } catch (RuntimeException e) {
            responses.onError(StatusMapper.toStatusException(e));
            return;
        }
        responses.onNext(response);
        responses.onCompleted();
    }
}
