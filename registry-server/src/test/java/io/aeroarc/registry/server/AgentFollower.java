package io.aeroarc.registry.server;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.AgentPlacement;
import io.aeroarc.registry.api.v1.PlacementEvent;
import io.aeroarc.registry.api.v1.WatchAgentsRequest;
import io.aeroarc.registry.api.v1.WatchAgentsResponse;
import io.aeroarc.registry.api.v1.WatchEventType;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A watch client as an API server would write one: it keeps the placements it was told about,
 * replaces them at each snapshot's end, applies events, and remembers the last resume token so it
 * can watch again after a disconnect.
 */
final class AgentFollower {

    private final Map<String, AgentPlacement> placements = new HashMap<>();
    private Map<String, AgentPlacement> pending;
    private String token = "";
    final AtomicInteger snapshots = new AtomicInteger();
    final AtomicInteger resyncs = new AtomicInteger();
    final AtomicInteger events = new AtomicInteger();
    final List<PlacementEvent> received = new CopyOnWriteArrayList<>();
    final AtomicReference<Status> ended = new AtomicReference<>();
    private Context.CancellableContext call;
    private String relayFilter = "";

    /** Opens a watch on {@code channel}, resuming after the last token when it has one. */
    synchronized void watch(Channel channel, WatchAgentsRequest filter) {
        ended.set(null);
        pending = null;
        relayFilter = filter.getRelayId();
        call = Context.current().withCancellation();
        Context.CancellableContext thisCall = call;
        WatchAgentsRequest request = filter.toBuilder().setResumeToken(token).build();
        call.run(() -> AeroRegistryGrpc.newStub(channel).watchAgents(request, new StreamObserver<>() {
            @Override
            public void onNext(WatchAgentsResponse response) {
                receive(response);
            }

            @Override
            public void onError(Throwable t) {
                endedWith(thisCall, Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                endedWith(thisCall, Status.OK);
            }
        }));
    }

    /** The end of an earlier call (one the client left) must not pass for the current one's. */
    private synchronized void endedWith(Context.CancellableContext which, Status status) {
        if (which == call) {
            ended.set(status);
        }
    }

    /** Leaves the stream, as a client going away does. */
    synchronized void disconnect() {
        call.cancel(null);
    }

    synchronized Map<String, AgentPlacement> placements() {
        return Map.copyOf(placements);
    }

    synchronized String token() {
        return token;
    }

    /** Whether a snapshot is being received (pages without their end yet). */
    synchronized boolean inSnapshot() {
        return pending != null;
    }

    private synchronized void receive(WatchAgentsResponse response) {
        switch (response.getItemCase()) {
            case SNAPSHOT:
                if (pending == null) {
                    pending = new HashMap<>();
                }
                response.getSnapshot().getPlacementsList().forEach(p -> pending.put(p.getAgentId(), p));
                break;
            case SNAPSHOT_END:
                placements.clear();
                if (pending != null) {
                    placements.putAll(pending);
                }
                pending = null;
                token = response.getSnapshotEnd().getResumeToken();
                snapshots.incrementAndGet();
                if (response.getSnapshotEnd().getResync()) {
                    resyncs.incrementAndGet();
                }
                break;
            case EVENTS:
                for (PlacementEvent event : response.getEvents().getEventsList()) {
                    events.incrementAndGet();
                    received.add(event);
                    boolean left = !relayFilter.isEmpty() && !relayFilter.equals(event.getPlacement().getRelayId());
                    if (event.getType() == WatchEventType.WATCH_EVENT_TYPE_REMOVED || left) {
                        placements.remove(event.getPlacement().getAgentId());
                    } else {
                        placements.put(event.getPlacement().getAgentId(), event.getPlacement());
                    }
                    token = event.getResumeToken();
                }
                break;
            default:
                throw new IllegalStateException("unexpected " + response);
        }
    }
}
