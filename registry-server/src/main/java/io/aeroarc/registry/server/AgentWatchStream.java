package io.aeroarc.registry.server;

import io.aeroarc.registry.api.v1.AgentSnapshotPage;
import io.aeroarc.registry.api.v1.PlacementEvents;
import io.aeroarc.registry.api.v1.SnapshotEnd;
import io.aeroarc.registry.api.v1.WatchAgentsResponse;
import io.aeroarc.registry.api.v1.WatchEventType;
import io.aeroarc.registry.core.watch.FleetEvent;
import io.aeroarc.registry.core.watch.WatchHub;
import io.aeroarc.registry.spi.PlacementRecord;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.Optional;
import java.util.Collections;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executor;

/**
 * WatchAgents: placements, optionally only those on one relay and/or of some agents. With a relay
 * filter, a placement moving onto the relay or away from it is reported as MOVED (its
 * {@code relay_id} tells which), then no longer when it left.
 */
final class AgentWatchStream extends WatchStream<PlacementRecord, WatchAgentsResponse> {

    private final Optional<String> relayId;
    private final NavigableSet<String> agentIds;

    AgentWatchStream(WatchHub hub, ServerCallStreamObserver<WatchAgentsResponse> responses, Executor sender, WatchService service,
            String resumeToken, Optional<String> relayId, Set<String> agentIds) {
        super(hub, responses, sender, service, resumeToken);
        this.relayId = relayId;
        this.agentIds = Collections.unmodifiableNavigableSet(new TreeSet<>(agentIds));
    }

    @Override
    List<PlacementRecord> snapshotPage(WatchHub hub, String afterId, int max) {
        return hub.placementsAfter(afterId, max, relayId, agentIds);
    }

    @Override
    String idOf(PlacementRecord placement) {
        return placement.agentId();
    }

    @Override
    WatchAgentsResponse page(List<PlacementRecord> items, boolean resync) {
        AgentSnapshotPage.Builder page = AgentSnapshotPage.newBuilder().setResync(resync);
        items.forEach(placement -> page.addPlacements(ProtoMapper.placement(placement)));
        return WatchAgentsResponse.newBuilder().setSnapshot(page).build();
    }

    @Override
    WatchAgentsResponse snapshotEnd(String token, boolean resync) {
        return WatchAgentsResponse.newBuilder().setSnapshotEnd(SnapshotEnd.newBuilder().setResumeToken(token).setResync(resync)).build();
    }

    @Override
    WatchAgentsResponse events(List<FleetEvent> events, long first, WatchHub hub) {
        PlacementEvents.Builder shown = PlacementEvents.newBuilder();
        long sequence = first;
        for (FleetEvent event : events) {
            if (event instanceof FleetEvent.PlacementEvent placement && shows(placement)) {
                io.aeroarc.registry.api.v1.PlacementEvent.Builder message = io.aeroarc.registry.api.v1.PlacementEvent.newBuilder()
                        .setType(type(placement.type()))
                        .setPlacement(ProtoMapper.placement(placement.placement()))
                        .setResumeToken(hub.token(sequence))
                        .setAtUnixMs(placement.atMs());
                placement.previousRelayId().ifPresent(message::setPreviousRelayId);
                placement.reason().ifPresent(reason -> message.setReason(WatchService.reason(reason)));
                shown.addEvents(message);
            }
            sequence++;
        }
        return shown.getEventsCount() == 0 ? null : WatchAgentsResponse.newBuilder().setEvents(shown).build();
    }

    private boolean shows(FleetEvent.PlacementEvent event) {
        PlacementRecord placement = event.placement();
        if (!agentIds.isEmpty() && !agentIds.contains(placement.agentId())) {
            return false;
        }
        return relayId.isEmpty() || relayId.get().equals(placement.relayId())
                || event.previousRelayId().map(relayId.get()::equals).orElse(false);
    }

    private static WatchEventType type(FleetEvent.Type type) {
        switch (type) {
            case ADDED:
                return WatchEventType.WATCH_EVENT_TYPE_ADDED;
            case MOVED:
                return WatchEventType.WATCH_EVENT_TYPE_MOVED;
            case REMOVED:
                return WatchEventType.WATCH_EVENT_TYPE_REMOVED;
            default:
                throw new IllegalArgumentException("not a placement event: " + type);
        }
    }
}
