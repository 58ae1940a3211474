package io.aeroarc.registry.server.security;

import io.aeroarc.registry.api.v1.DeregisterAgentRequest;
import io.aeroarc.registry.api.v1.DeregisterRelayRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentsRequest;
import io.aeroarc.registry.api.v1.HeartbeatRelayRequest;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import java.util.Optional;
import java.util.Set;

/**
 * Decides whether an identity may make one AeroRegistry call. The rules, by the name a denial
 * carries:
 * <ul>
 *   <li>{@code identities}: a certificate whose name matches no entry of the policy's identities has no role and may do nothing;
 *   <li>{@code admin}: admins may do everything;
 *   <li>{@code reader-reads-only}: readers may call the Get, List and Watch RPCs only;
 *   <li>{@code relay-no-fleet-reads}: relays may not call Get, List or Watch RPCs unless the policy sets relays_may_read;
 *   <li>{@code relay-own-relay}: a relay may register, heartbeat and deregister only the relay its identity names;
 *   <li>{@code relay-own-agents}: a relay may register, heartbeat and deregister agents only with its own relay_id; a
 *       HeartbeatAgent without relay_id, or a DeregisterAgent, only for an agent placed on its relay (an unfenced
 *       HeartbeatAgent is then fenced on that relay, so an agent moved meanwhile is not renewed);
 *   <li>{@code relay-no-takeover}: a relay may RegisterAgent only agents that are not placed, or placed on its own relay,
 *       unless the policy sets relays_may_take_over_agents: moving a live agent away from another relay is the hijack
 *       this policy exists to stop. A relay that lost its drone deregisters the agent, or the placement expires;
 *   <li>{@code relay-methods}: any other AeroRegistry method is closed to relays.
 * </ul>
 */
final class Authorizer {

    static final Set<String> READS = Set.of("ListRelays", "GetRelay", "ListAgents", "GetAgentPlacement", "GetAgentPlacements", "WatchRelays",
            "WatchAgents");

    /** The outcome: the request to hand on (a relay's unfenced HeartbeatAgent comes back fenced), or the rule that refused it. */
    sealed interface Decision {}

    record Allow(Object request) implements Decision {}

    record Deny(String rule, String reason) implements Decision {}

    private final boolean relaysMayRead;
    private final boolean relaysMayTakeOver;
    private final CurrentPlacement placements;

    Authorizer(boolean relaysMayRead, boolean relaysMayTakeOver, CurrentPlacement placements) {
        this.relaysMayRead = relaysMayRead;
        this.relaysMayTakeOver = relaysMayTakeOver;
        this.placements = placements;
    }

    static boolean isRead(String method) {
        return READS.contains(method);
    }

    Decision decide(Identity identity, String method, Object request) {
        if (identity.role().isEmpty()) {
            return new Deny("identities", identity.name() + " matches no entry of the policy's identities, so it has no role");
        }
        Role role = identity.role().get();
        if (role == Role.ADMIN) {
            return new Allow(request);
        }
        if (role == Role.READER) {
            return isRead(method) ? new Allow(request) : new Deny("reader-reads-only", "readers may not call " + method);
        }
        if (isRead(method)) {
            return relaysMayRead ? new Allow(request)
                    : new Deny("relay-no-fleet-reads", "relays may not call " + method + " (the policy's relays_may_read is false)");
        }
        String own = identity.relayId().orElseThrow();
        if (request instanceof RegisterRelayRequest r) {
            return ownRelay(own, r.getRelay().getRelayId(), method, request);
        }
        if (request instanceof HeartbeatRelayRequest r) {
            return ownRelay(own, r.getRelayId(), method, request);
        }
        if (request instanceof DeregisterRelayRequest r) {
            return ownRelay(own, r.getRelayId(), method, request);
        }
        if (request instanceof RegisterAgentRequest r) {
            Decision decision = ownAgents(own, r.getRelayId(), method, request);
            if (decision instanceof Allow && !relaysMayTakeOver && placedElsewhere(r.getAgent().getAgentId(), own)) {
                return new Deny("relay-no-takeover", "agent " + r.getAgent().getAgentId() + " is placed on another relay; relay " + own
                        + " may register it once that placement is deregistered or expired");
            }
            return decision;
        }
        if (request instanceof HeartbeatAgentsRequest r) {
            return ownAgents(own, r.getRelayId(), method, request);
        }
        if (request instanceof DeregisterAgentRequest r) {
            Decision decision = ownAgents(own, r.getRelayId(), method, request);
            if (decision instanceof Allow && placedElsewhere(r.getAgentId(), own)) {
                return new Deny("relay-own-agents", "agent " + r.getAgentId() + " is not placed on relay " + own);
            }
            return decision;
        }
        if (request instanceof HeartbeatAgentRequest r) {
            return heartbeatAgent(own, r);
        }
        return new Deny("relay-methods", method + " is not open to relays");
    }

    private static Decision ownRelay(String own, String relayId, String method, Object request) {
        return own.equals(relayId) ? new Allow(request)
                : new Deny("relay-own-relay", "relay " + own + " may not call " + method + " for relay '" + relayId + "'");
    }

    private static Decision ownAgents(String own, String relayId, String method, Object request) {
        return own.equals(relayId) ? new Allow(request)
                : new Deny("relay-own-agents", "relay " + own + " may call " + method + " only with relay_id " + own + ", not '" + relayId + "'");
    }

    private Decision heartbeatAgent(String own, HeartbeatAgentRequest request) {
        if (!request.getRelayId().isEmpty()) {
            return ownAgents(own, request.getRelayId(), "HeartbeatAgent", request);
        }
        if (placedElsewhere(request.getAgentId(), own)) {
            return new Deny("relay-own-agents", "agent " + request.getAgentId() + " is not placed on relay " + own);
        }
        return new Allow(request.toBuilder().setRelayId(own).build());
    }

    private boolean placedElsewhere(String agentId, String own) {
        if (agentId.isEmpty()) {
            return false;
        }
        Optional<PlacementRecord> current = placements.of(agentId);
        return current.isPresent() && !current.get().relayId().equals(own);
    }
}
