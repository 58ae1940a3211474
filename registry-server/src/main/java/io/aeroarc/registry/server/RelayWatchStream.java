package io.aeroarc.registry.server;

import io.aeroarc.registry.api.v1.RelayEvents;
import io.aeroarc.registry.api.v1.RelaySnapshotPage;
import io.aeroarc.registry.api.v1.SnapshotEnd;
import io.aeroarc.registry.api.v1.WatchEventType;
import io.aeroarc.registry.api.v1.WatchRelaysResponse;
import io.aeroarc.registry.core.watch.FleetEvent;
import io.aeroarc.registry.core.watch.WatchHub;
import io.aeroarc.registry.spi.RelayRecord;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * WatchRelays: relays carrying every pair of the label selector. A relay whose labels stop
 * matching is reported once more (UPDATED, with its new labels), then no longer; one whose labels
 * start matching is ADDED.
 */
final class RelayWatchStream extends WatchStream<RelayRecord, WatchRelaysResponse> {

    private final Map<String, String> selector;

    RelayWatchStream(WatchHub hub, ServerCallStreamObserver<WatchRelaysResponse> responses, Executor sender, WatchService service,
            String resumeToken, Map<String, String> selector) {
        super(hub, responses, sender, service, resumeToken);
        this.selector = Map.copyOf(selector);
    }

    private boolean matches(RelayRecord relay) {
        return relay.labels().entrySet().containsAll(selector.entrySet());
    }

    @Override
    List<RelayRecord> snapshotPage(WatchHub hub, String afterId, int max) {
        return hub.relaysAfter(afterId, max, this::matches);
    }

    @Override
    String idOf(RelayRecord relay) {
        return relay.relayId();
    }

    @Override
    WatchRelaysResponse page(List<RelayRecord> items, boolean resync) {
        RelaySnapshotPage.Builder page = RelaySnapshotPage.newBuilder().setResync(resync);
        items.forEach(relay -> page.addRelays(ProtoMapper.relay(relay)));
        return WatchRelaysResponse.newBuilder().setSnapshot(page).build();
    }

    @Override
    WatchRelaysResponse snapshotEnd(String token, boolean resync) {
        return WatchRelaysResponse.newBuilder().setSnapshotEnd(SnapshotEnd.newBuilder().setResumeToken(token).setResync(resync)).build();
    }

    @Override
    WatchRelaysResponse events(List<FleetEvent> events, long first, WatchHub hub) {
        RelayEvents.Builder shown = RelayEvents.newBuilder();
        long sequence = first;
        for (FleetEvent event : events) {
            if (event instanceof FleetEvent.RelayEvent relay) {
                WatchEventType type = shownAs(relay);
                if (type != null) {
                    io.aeroarc.registry.api.v1.RelayEvent.Builder message = io.aeroarc.registry.api.v1.RelayEvent.newBuilder()
                            .setType(type)
                            .setRelay(ProtoMapper.relay(relay.relay()))
                            .setResumeToken(hub.token(sequence))
                            .setAtUnixMs(relay.atMs());
                    relay.reason().ifPresent(reason -> message.setReason(WatchService.reason(reason)));
                    shown.addEvents(message);
                }
            }
            sequence++;
        }
        return shown.getEventsCount() == 0 ? null : WatchRelaysResponse.newBuilder().setEvents(shown).build();
    }

    /** How the selector shows the event; null when it does not. */
    private WatchEventType shownAs(FleetEvent.RelayEvent event) {
        boolean now = matches(event.relay());
        switch (event.type()) {
            case ADDED:
                return now ? WatchEventType.WATCH_EVENT_TYPE_ADDED : null;
            case REMOVED:
                return now ? WatchEventType.WATCH_EVENT_TYPE_REMOVED : null;
            case UPDATED:
                boolean before = event.previous().map(this::matches).orElse(false);
                if (before) {
                    return WatchEventType.WATCH_EVENT_TYPE_UPDATED; // also when it leaves the selection: once, then no more
                }
                return now ? WatchEventType.WATCH_EVENT_TYPE_ADDED : null;
            default:
                return null;
        }
    }
}
