package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.RelayEvent;
import io.aeroarc.registry.api.v1.WatchAgentsRequest;
import io.aeroarc.registry.api.v1.WatchAgentsResponse;
import io.aeroarc.registry.api.v1.WatchEventType;
import io.aeroarc.registry.api.v1.WatchRelaysRequest;
import io.aeroarc.registry.api.v1.WatchRelaysResponse;
import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.tck.ForwardingBackend;
import io.aeroarc.registry.tck.ManualClock;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The watch streams' filters, limits, flow control and their place among the server's call limits. */
class WatchStreamsTest {

    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final ManualClock clock = ManualClock.startingAt(1_700_000_000_000L);
    private final MemoryBackend memory = new MemoryBackend(clock, Duration.ofHours(1));
    private final ListingTestFeed feed = new ListingTestFeed(memory, clock, 20);
    private final RegistryBackend storage = new ForwardingBackend(memory) {
        @Override
        public ChangeFeed changeFeed(BackendContext context) {
            return feed;
        }
    };
    private RunningRegistry registry;

    @AfterEach
    void stop() throws InterruptedException {
        if (registry != null) {
            registry.close();
        }
        feed.stop();
    }

    private RunningRegistry start(CallLimits calls, WatchLimits watches) {
        registry = new RunningRegistry(storage, new RegistrySettings(TTL, TTL, 10_000), Duration.ofSeconds(5), calls, watches);
        return registry;
    }

    private void relay(String id, Map<String, String> labels) {
        memory.registerRelay(new RelayRegistration(id, "10.0.0.1", 7000, labels), TTL);
    }

    /** Responses of one watch, collected; {@link #cancel()} leaves it. */
    private static final class Collected<R> implements StreamObserver<R> {
        final List<R> responses = new CopyOnWriteArrayList<>();
        final AtomicReference<Status> ended = new AtomicReference<>();
        Context.CancellableContext context = Context.current().withCancellation();

        @Override
        public void onNext(R value) {
            responses.add(value);
        }

        @Override
        public void onError(Throwable t) {
            ended.set(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            ended.set(Status.OK);
        }

        void cancel() {
            context.cancel(null);
        }
    }

    private Collected<WatchRelaysResponse> watchRelays(WatchRelaysRequest request) {
        Collected<WatchRelaysResponse> collected = new Collected<>();
        collected.context.run(() -> AeroRegistryGrpc.newStub(registry.channel).watchRelays(request, collected));
        return collected;
    }

    private Collected<WatchAgentsResponse> watchAgents(WatchAgentsRequest request) {
        Collected<WatchAgentsResponse> collected = new Collected<>();
        collected.context.run(() -> AeroRegistryGrpc.newStub(registry.channel).watchAgents(request, collected));
        return collected;
    }

    private static List<String> relayEvents(Collected<WatchRelaysResponse> collected) {
        List<String> events = new ArrayList<>();
        for (WatchRelaysResponse response : collected.responses) {
            for (RelayEvent event : response.getEvents().getEventsList()) {
                events.add(event.getType().name().replace("WATCH_EVENT_TYPE_", "") + " " + event.getRelay().getRelayId());
            }
        }
        return events;
    }

    @Test
    void a_label_selector_reports_a_relay_leaving_it_once_and_one_entering_it_as_added() {
        start(CallLimits.defaults(), WatchLimits.defaults());
        relay("in", Map.of("zone", "a"));
        relay("out", Map.of("zone", "b"));
        feed.poll();
        Collected<WatchRelaysResponse> watch = watchRelays(WatchRelaysRequest.newBuilder().putLabelSelector("zone", "a").build());
        await().atMost(WAIT).until(() -> watch.responses.stream().anyMatch(WatchRelaysResponse::hasSnapshotEnd));
        assertThat(watch.responses.get(0).getSnapshot().getRelaysList()).extracting(r -> r.getRelayId()).containsExactly("in");

        relay("in", Map.of("zone", "b")); // leaves the selection
        feed.poll();
        relay("in", Map.of("zone", "b", "v", "2")); // outside it: not shown
        feed.poll();
        relay("out", Map.of("zone", "a")); // enters it
        feed.poll();
        memory.deregisterRelay("out");
        feed.poll();

        await().atMost(WAIT).until(() -> relayEvents(watch).size() == 3);
        assertThat(relayEvents(watch)).containsExactly("UPDATED in", "ADDED out", "REMOVED out");
        watch.cancel();
    }

    @Test
    void agent_filters_show_only_their_placements_and_bad_filters_name_the_field() {
        start(CallLimits.defaults(), WatchLimits.defaults());
        relay("r1", Map.of());
        relay("r2", Map.of());
        memory.registerAgent("a1", "r1", TTL);
        memory.registerAgent("a2", "r2", TTL);
        feed.poll();
        Collected<WatchAgentsResponse> onR1 = watchAgents(WatchAgentsRequest.newBuilder().setRelayId("r1").build());
        Collected<WatchAgentsResponse> a2Only = watchAgents(WatchAgentsRequest.newBuilder().addAgentIds("a2").build());
        await().atMost(WAIT).until(() -> onR1.responses.stream().anyMatch(WatchAgentsResponse::hasSnapshotEnd)
                && a2Only.responses.stream().anyMatch(WatchAgentsResponse::hasSnapshotEnd));
        assertThat(onR1.responses.get(0).getSnapshot().getPlacementsList()).extracting(p -> p.getAgentId()).containsExactly("a1");
        assertThat(a2Only.responses.get(0).getSnapshot().getPlacementsList()).extracting(p -> p.getAgentId()).containsExactly("a2");

        memory.registerAgent("a2", "r1", TTL); // onto r1: both see it move
        feed.poll();
        memory.registerAgent("a1", "r2", TTL); // away from r1: r1's watcher sees it leave
        feed.poll();
        memory.registerAgent("a3", "r2", TTL); // neither
        feed.poll();
        await().atMost(WAIT).until(() -> events(onR1).size() == 2 && events(a2Only).size() == 1);
        assertThat(events(onR1)).containsExactly("MOVED a2 r2->r1", "MOVED a1 r1->r2");
        assertThat(events(a2Only)).containsExactly("MOVED a2 r2->r1");

        List<String> tooMany = IntStream.range(0, 1001).mapToObj(i -> "agent-" + i).toList();
        assertThat(firstStatus(watchAgents(WatchAgentsRequest.newBuilder().addAllAgentIds(tooMany).build())))
                .satisfies(s -> assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT))
                .satisfies(s -> assertThat(s.getDescription()).startsWith("agent_ids"));
        assertThat(firstStatus(watchAgents(WatchAgentsRequest.newBuilder().setRelayId("bad id\n").build())))
                .satisfies(s -> assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT))
                .satisfies(s -> assertThat(s.getDescription()).startsWith("relay_id"));
        onR1.cancel();
        a2Only.cancel();
    }

    private static List<String> events(Collected<WatchAgentsResponse> collected) {
        List<String> events = new ArrayList<>();
        for (WatchAgentsResponse response : collected.responses) {
            response.getEvents().getEventsList().forEach(e -> events.add(e.getType().name().replace("WATCH_EVENT_TYPE_", "") + " "
                    + e.getPlacement().getAgentId() + (e.getPreviousRelayId().isEmpty() ? "" : " " + e.getPreviousRelayId() + "->"
                    + e.getPlacement().getRelayId())));
        }
        return events;
    }

    private static Status firstStatus(Collected<?> collected) {
        await().atMost(WAIT).until(() -> collected.ended.get() != null);
        return collected.ended.get();
    }

    @Test
    void a_watch_outlives_the_default_call_deadline_and_the_watcher_limit_is_kept() {
        start(CallLimits.of(Duration.ofMillis(300), 2000, Duration.ofMillis(250), 16), new WatchLimits(2, 1000));
        relay("r1", Map.of());
        Collected<WatchAgentsResponse> first = watchAgents(WatchAgentsRequest.getDefaultInstance());
        Collected<WatchAgentsResponse> second = watchAgents(WatchAgentsRequest.getDefaultInstance());
        await().atMost(WAIT).until(() -> registry.server.watches().watchers() == 2);
        Collected<WatchAgentsResponse> third = watchAgents(WatchAgentsRequest.getDefaultInstance());
        assertThat(firstStatus(third).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);

        // Well past the 300 ms default deadline, the stream still delivers.
        await().pollDelay(Duration.ofSeconds(1)).atMost(WAIT).until(() -> true);
        memory.registerAgent("a1", "r1", TTL);
        feed.poll();
        await().atMost(WAIT).until(() -> !events(first).isEmpty());
        assertThat(first.ended.get()).isNull();
        // A unary call on the same server still gets the default deadline's protection and answers.
        assertThat(registry.registry().getRelay(io.aeroarc.registry.api.v1.GetRelayRequest.newBuilder().setRelayId("r1").build())
                .getRelay().getRelayId()).isEqualTo("r1");
        first.cancel();
        second.cancel();
        await().atMost(WAIT).until(() -> registry.server.watches().watchers() == 0);
    }

    @Test
    void a_watcher_that_reads_nothing_holds_no_backlog_and_gets_a_resync_snapshot_when_it_reads_again() {
        start(CallLimits.defaults(), new WatchLimits(100, 200));
        relay("r1", Map.of());
        feed.poll();
        List<WatchAgentsResponse> received = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<ClientCallStreamObserver<WatchAgentsRequest>> call = new AtomicReference<>();
        AeroRegistryGrpc.newStub(registry.channel).watchAgents(WatchAgentsRequest.getDefaultInstance(),
                new ClientResponseObserver<WatchAgentsRequest, WatchAgentsResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<WatchAgentsRequest> requests) {
                        requests.disableAutoRequestWithInitial(1);
                        call.set(requests);
                    }

                    @Override
                    public void onNext(WatchAgentsResponse value) {
                        received.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {}
                });
        await().atMost(WAIT).until(() -> received.size() == 1); // the snapshot's end (no placements yet)
        // 5,000 events (each ~100 bytes on the wire): far more than the 200 kept and than gRPC's windows hold.
        for (int i = 0; i < 5000; i++) {
            memory.registerAgent(String.format("a%05d", i), "r1", TTL);
            if (i % 500 == 0) {
                feed.poll();
            }
        }
        feed.poll();
        await().atMost(WAIT).until(() -> registry.server.watches().fellBehindCount() >= 1);
        call.get().request(Integer.MAX_VALUE);
        await().atMost(WAIT).untilAsserted(() -> assertThat(received).anyMatch(r -> r.hasSnapshotEnd() && r.getSnapshotEnd().getResync()));
        // Applied as a client does (a snapshot replaces all at its end), what it received is the whole truth.
        await().atMost(WAIT).untilAsserted(() -> assertThat(replay(List.copyOf(received))).hasSize(5000));
        assertThat(registry.server.watches().resyncs()).isGreaterThanOrEqualTo(1);
        call.get().cancel("done", null);
    }

    @Test
    void a_snapshot_read_page_by_page_while_the_fleet_changes_ends_exact() throws InterruptedException {
        start(CallLimits.defaults(), WatchLimits.defaults());
        relay("r1", Map.of());
        relay("r2", Map.of());
        for (int i = 0; i < 5000; i++) {
            memory.registerAgent(String.format("a%05d", i), "r1", TTL);
        }
        feed.poll();
        io.grpc.ManagedChannel slow = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", registry.server.port())
                .usePlaintext().flowControlWindow(16 * 1024).build();
        List<WatchAgentsResponse> received = Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger pages = new java.util.concurrent.atomic.AtomicInteger();
        try {
            AeroRegistryGrpc.newStub(slow).watchAgents(WatchAgentsRequest.getDefaultInstance(),
                    new ClientResponseObserver<WatchAgentsRequest, WatchAgentsResponse>() {
                        private ClientCallStreamObserver<WatchAgentsRequest> call;

                        @Override
                        public void beforeStart(ClientCallStreamObserver<WatchAgentsRequest> requests) {
                            call = requests;
                            requests.disableAutoRequestWithInitial(1);
                        }

                        @Override
                        public void onNext(WatchAgentsResponse value) {
                            received.add(value);
                            if (value.hasSnapshot()) {
                                // Between pages: an end ahead of the pages, a move behind them, one ahead, a new agent.
                                int i = pages.getAndIncrement();
                                memory.deregisterAgent(String.format("a%05d", 4999 - i * 7), "r1");
                                memory.registerAgent(String.format("a%05d", i), "r2", TTL);
                                memory.registerAgent(String.format("a%05d", 4000 + i), "r2", TTL);
                                memory.registerAgent("new-" + i, "r2", TTL);
                                feed.poll();
                            }
                            call.request(1);
                        }

                        @Override
                        public void onError(Throwable t) {}

                        @Override
                        public void onCompleted() {}
                    });
            await().atMost(WAIT).until(() -> received.stream().anyMatch(WatchAgentsResponse::hasSnapshotEnd));
            assertThat(pages.get()).as("pages, with the agents added meanwhile").isBetween(10, 11);
            Map<String, String> truth = new java.util.TreeMap<>();
            memory.listAgents(java.util.Optional.empty(), new io.aeroarc.registry.spi.PageRequest("", 10_000)).items()
                    .forEach(p -> truth.put(p.agentId(), p.relayId()));
            await().atMost(WAIT).untilAsserted(() -> assertThat(replayRelays(List.copyOf(received))).isEqualTo(truth));
        } finally {
            slow.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static Map<String, String> replayRelays(List<WatchAgentsResponse> received) {
        Map<String, String> agents = new java.util.TreeMap<>();
        Map<String, String> pending = new java.util.TreeMap<>();
        for (WatchAgentsResponse response : received) {
            if (response.hasSnapshot()) {
                response.getSnapshot().getPlacementsList().forEach(p -> pending.put(p.getAgentId(), p.getRelayId()));
            } else if (response.hasSnapshotEnd()) {
                agents.clear();
                agents.putAll(pending);
                pending.clear();
            } else {
                response.getEvents().getEventsList().forEach(e -> {
                    if (e.getType() == WatchEventType.WATCH_EVENT_TYPE_REMOVED) {
                        agents.remove(e.getPlacement().getAgentId());
                    } else {
                        agents.put(e.getPlacement().getAgentId(), e.getPlacement().getRelayId());
                    }
                });
            }
        }
        return agents;
    }

    private static java.util.Set<String> replay(List<WatchAgentsResponse> received) {
        java.util.Set<String> agents = new java.util.HashSet<>();
        java.util.Set<String> pending = new java.util.HashSet<>();
        for (WatchAgentsResponse response : received) {
            if (response.hasSnapshot()) {
                response.getSnapshot().getPlacementsList().forEach(p -> pending.add(p.getAgentId()));
            } else if (response.hasSnapshotEnd()) {
                agents.clear();
                agents.addAll(pending);
                pending.clear();
            } else {
                response.getEvents().getEventsList().forEach(e -> {
                    if (e.getType() == WatchEventType.WATCH_EVENT_TYPE_REMOVED) {
                        agents.remove(e.getPlacement().getAgentId());
                    } else {
                        agents.add(e.getPlacement().getAgentId());
                    }
                });
            }
        }
        return agents;
    }

    @Test
    void watchers_that_take_nothing_do_not_hold_up_another_watchers_snapshot() throws InterruptedException {
        start(CallLimits.defaults(), WatchLimits.defaults());
        relay("r1", Map.of());
        for (int i = 0; i < 5000; i++) {
            memory.registerAgent(String.format("a%05d", i), "r1", TTL);
        }
        feed.poll();
        // Readers that take nothing, with a window far smaller than the ~300 KB snapshot: each stops mid-snapshot.
        io.grpc.ManagedChannel stalled = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", registry.server.port())
                .usePlaintext().flowControlWindow(65_535).build();
        List<ClientCallStreamObserver<WatchAgentsRequest>> holders = new ArrayList<>();
        try {
            for (int i = 0; i < 70; i++) {
                AeroRegistryGrpc.newStub(stalled).watchAgents(WatchAgentsRequest.getDefaultInstance(),
                        new ClientResponseObserver<WatchAgentsRequest, WatchAgentsResponse>() {
                            @Override
                            public void beforeStart(ClientCallStreamObserver<WatchAgentsRequest> requests) {
                                requests.disableAutoRequestWithInitial(0);
                                holders.add(requests);
                            }

                            @Override
                            public void onNext(WatchAgentsResponse value) {}

                            @Override
                            public void onError(Throwable t) {}

                            @Override
                            public void onCompleted() {}
                        });
            }
            await().atMost(WAIT).until(() -> registry.server.watches().watchers() == 70);
            // Changes while everyone's snapshot is under way: the reader's pages plus the replayed events are exact.
            memory.deregisterAgent("a00000", "r1");
            memory.registerAgent("late", "r1", TTL);
            feed.poll();
            Collected<WatchAgentsResponse> reader = watchAgents(WatchAgentsRequest.getDefaultInstance());
            await().atMost(WAIT).until(() -> reader.responses.stream().anyMatch(WatchAgentsResponse::hasSnapshotEnd));
            memory.deregisterAgent("a00001", "r1");
            feed.poll();
            await().atMost(WAIT).untilAsserted(() -> assertThat(replay(List.copyOf(reader.responses))).hasSize(4999)
                    .contains("late").doesNotContain("a00000", "a00001"));
            reader.cancel();
        } finally {
            stalled.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void a_token_from_elsewhere_gets_a_resync_snapshot() {
        start(CallLimits.defaults(), WatchLimits.defaults());
        relay("r1", Map.of());
        feed.poll();
        Collected<WatchRelaysResponse> watch = watchRelays(WatchRelaysRequest.newBuilder().setResumeToken("AAAAAAAAAAAAAAAAAAAAAA").build());
        await().atMost(WAIT).until(() -> watch.responses.stream().anyMatch(WatchRelaysResponse::hasSnapshotEnd));
        assertThat(watch.responses.get(0).getSnapshot().getResync()).isTrue();
        assertThat(watch.responses.get(1).getSnapshotEnd().getResync()).isTrue();
        watch.cancel();
    }

    @Test
    void shutdown_ends_watches_with_unavailable_at_once() throws InterruptedException {
        start(CallLimits.defaults(), WatchLimits.defaults());
        relay("r1", Map.of());
        Collected<WatchRelaysResponse> watch = watchRelays(WatchRelaysRequest.getDefaultInstance());
        await().atMost(WAIT).until(() -> watch.responses.stream().anyMatch(WatchRelaysResponse::hasSnapshotEnd));
        long started = System.nanoTime();
        registry.server.stop();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).as("not held for the 5 s shutdown timeout").isLessThan(4000);
        assertThat(firstStatus(watch).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }
}
