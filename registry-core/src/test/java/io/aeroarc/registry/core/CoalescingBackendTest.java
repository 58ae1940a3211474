package io.aeroarc.registry.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.AgentRegistrationRequest;
import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.CallDeadline;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.tck.ForwardingBackend;
import io.aeroarc.registry.tck.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Coalescing over the memory backend, counted by a forwarding backend that can hold the first
 * round trip, so calls arriving meanwhile must gather behind it.
 */
class CoalescingBackendTest {

    private static final Duration TTL = Duration.ofSeconds(20);
    private static final long START = 1_700_000_000_000L;

    private final ManualClock clock = ManualClock.startingAt(START);
    private final MemoryBackend memory = new MemoryBackend(clock, Duration.ZERO);
    private final CountingBackend counting = new CountingBackend(memory);
    private final ExecutorService callers = Executors.newFixedThreadPool(40);

    @AfterEach
    void close() {
        callers.shutdownNow();
        memory.close();
    }

    @Test
    void a_lone_call_is_one_single_round_trip_on_the_callers_own_thread() {
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1));
        placeAgents(3);

        for (int i = 0; i < 100; i++) {
            assertThat(coalescing.heartbeatAgent("agent-1", Fence.NONE, TTL)).isInstanceOf(AgentHeartbeat.Renewed.class);
            assertThat(coalescing.getPlacement("agent-2")).isPresent();
        }

        assertThat(counting.singleCalls.get()).isEqualTo(200);
        assertThat(counting.batchCalls.get()).isZero();
        assertThat(counting.callingThreads).as("no hand-off to a timer or another thread").containsOnly(Thread.currentThread());
        assertThat(coalescing.coalescedRoundTrips()).isEqualTo(200);
    }

    @Test
    void calls_arriving_during_a_round_trip_share_the_next_one() throws Exception {
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1));
        placeAgents(30);
        counting.holdNextCall();

        Future<AgentHeartbeat> first = callers.submit(() -> coalescing.heartbeatAgent("agent-0", Fence.NONE, TTL));
        counting.awaitHeld();
        List<Future<AgentHeartbeat>> gathered = new ArrayList<>();
        for (int i = 1; i < 30; i++) {
            String agentId = "agent-" + i;
            gathered.add(callers.submit(() -> coalescing.heartbeatAgent(agentId, Fence.NONE, TTL)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> coalescing.queuedCalls() == 29);
        counting.release();

        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(new AgentHeartbeat.Renewed(START + TTL.toMillis()));
        for (Future<AgentHeartbeat> call : gathered) {
            assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo(new AgentHeartbeat.Renewed(START + TTL.toMillis()));
        }
        assertThat(counting.singleCalls.get()).isEqualTo(1);
        assertThat(counting.batchSizes).containsExactly(29);
        assertThat(coalescing.coalescedRoundTrips()).as("30 calls, 2 round trips").isEqualTo(2);
    }

    @Test
    void batches_are_bounded_and_never_more_run_at_once_than_allowed() throws Exception {
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(10, 2));
        placeAgents(200);

        List<Future<Optional<RelayPlacement>>> calls = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            String agentId = "agent-" + (i % 200);
            calls.add(callers.submit(() -> coalescing.getPlacement(agentId)));
        }
        for (Future<Optional<RelayPlacement>> call : calls) {
            assertThat(call.get(30, TimeUnit.SECONDS)).isPresent();
        }

        assertThat(counting.batchSizes).allSatisfy(size -> assertThat(size).isBetween(2, 10));
        assertThat(counting.mostAtOnce.get()).isLessThanOrEqualTo(2);
        assertThat(counting.singleCalls.get() + counting.batchSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(2000);
    }

    @Test
    void the_backends_declared_concurrency_lowers_the_round_trips_in_flight() throws Exception {
        CoalescingBackend coalescing = new CoalescingBackend(oneRoundTripAtATime(counting), new CoalescingBackend.Options(1000, 8));
        placeAgents(50);

        List<Future<AgentHeartbeat>> calls = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            String agentId = "agent-" + (i % 50);
            calls.add(callers.submit(() -> coalescing.heartbeatAgent(agentId, Fence.NONE, TTL)));
        }
        for (Future<AgentHeartbeat> call : calls) {
            assertThat(call.get(30, TimeUnit.SECONDS)).isInstanceOf(AgentHeartbeat.Renewed.class);
        }
        assertThat(counting.mostAtOnce.get()).isEqualTo(1);
    }

    @Test
    void each_caller_in_a_mixed_batch_gets_what_its_call_alone_would_get() throws Exception {
        memory.registerRelay(new RelayRegistration("relay-a", "10.0.0.1", 7000, Map.of()), Duration.ofMinutes(5));
        memory.registerRelay(new RelayRegistration("relay-b", "10.0.0.2", 7000, Map.of()), Duration.ofMinutes(5));
        memory.registerRelay(new RelayRegistration("relay-gone", "10.0.0.3", 7000, Map.of()), Duration.ofMinutes(5));
        PlacementRecord live = memory.registerAgent("agent-live", "relay-a", TTL).orElseThrow();
        memory.registerAgent("agent-expired", "relay-a", Duration.ofSeconds(1)).orElseThrow();
        PlacementRecord before = memory.registerAgent("agent-moved", "relay-a", TTL).orElseThrow();
        memory.registerAgent("agent-moved", "relay-b", TTL).orElseThrow();
        memory.registerAgent("agent-orphan", "relay-gone", TTL).orElseThrow();
        memory.deregisterRelay("relay-gone");
        clock.advance(Duration.ofSeconds(2));
        List<AgentHeartbeatRequest> requests = List.of(
                new AgentHeartbeatRequest("agent-live", new Fence(Optional.of("relay-a"), live.epoch())),
                new AgentHeartbeatRequest("agent-expired", Fence.NONE),
                new AgentHeartbeatRequest("agent-moved", new Fence(Optional.of("relay-a"), before.epoch())),
                new AgentHeartbeatRequest("agent-unknown", Fence.NONE),
                new AgentHeartbeatRequest("agent-orphan", Fence.NONE),
                new AgentHeartbeatRequest("agent-live", Fence.NONE),
                new AgentHeartbeatRequest("agent-moved", Fence.NONE));
        List<String> lookups = List.of("agent-live", "agent-expired", "agent-moved", "agent-unknown", "agent-orphan");
        // What each call gets alone; the clock stands still, so the renewals' expiries match too.
        List<AgentHeartbeat> alone = requests.stream().map(r -> memory.heartbeatAgent(r.agentId(), r.fence(), TTL)).toList();
        List<Optional<RelayPlacement>> aloneLookups = lookups.stream().map(memory::getPlacement).toList();
        assertThat(alone).extracting(outcome -> outcome.getClass().getSimpleName())
                .containsExactly("Renewed", "NotFound", "Fenced", "NotFound", "NotFound", "Renewed", "Renewed");

        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1));
        counting.holdNextCall();
        Future<Optional<RelayPlacement>> holder = callers.submit(() -> coalescing.getPlacement("agent-live"));
        Future<AgentHeartbeat> heartbeatHolder = callers.submit(() -> coalescing.heartbeatAgent("agent-unknown", Fence.NONE, TTL));
        counting.awaitHeld(2);
        List<Future<AgentHeartbeat>> heartbeats = new ArrayList<>();
        for (AgentHeartbeatRequest request : requests) {
            heartbeats.add(callers.submit(() -> coalescing.heartbeatAgent(request.agentId(), request.fence(), TTL)));
        }
        List<Future<Optional<RelayPlacement>>> found = new ArrayList<>();
        for (String agentId : lookups) {
            found.add(callers.submit(() -> coalescing.getPlacement(agentId)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> coalescing.queuedCalls() == requests.size() + lookups.size());
        counting.release();

        assertThat(heartbeatHolder.get(10, TimeUnit.SECONDS)).isInstanceOf(AgentHeartbeat.NotFound.class);
        for (int i = 0; i < requests.size(); i++) {
            assertThat(heartbeats.get(i).get(10, TimeUnit.SECONDS)).as("caller %d, %s", i, requests.get(i)).isEqualTo(alone.get(i));
        }
        for (int i = 0; i < lookups.size(); i++) {
            assertThat(found.get(i).get(10, TimeUnit.SECONDS)).as("lookup of %s", lookups.get(i)).isEqualTo(aloneLookups.get(i));
        }
        assertThat(holder.get(10, TimeUnit.SECONDS)).isEqualTo(aloneLookups.get(0));
        assertThat(counting.batchSizes).as("one batch of heartbeats, one of lookups")
                .containsExactlyInAnyOrder(requests.size(), lookups.size());
    }

    @Test
    void through_the_service_each_caller_of_a_gathered_batch_gets_its_own_status() throws Exception {
        memory.registerRelay(new RelayRegistration("relay-a", "10.0.0.1", 7000, Map.of()), Duration.ofMinutes(5));
        memory.registerRelay(new RelayRegistration("relay-b", "10.0.0.2", 7000, Map.of()), Duration.ofMinutes(5));
        PlacementRecord live = memory.registerAgent("agent-live", "relay-a", TTL).orElseThrow();
        memory.registerAgent("agent-expired", "relay-a", Duration.ofSeconds(1)).orElseThrow();
        PlacementRecord before = memory.registerAgent("agent-moved", "relay-a", TTL).orElseThrow();
        memory.registerAgent("agent-moved", "relay-b", TTL).orElseThrow();
        clock.advance(Duration.ofSeconds(2));
        RegistrySettings settings = new RegistrySettings(Duration.ofMinutes(5), TTL, 100);
        List<String[]> calls = List.of(
                new String[] {"agent-live", "relay-a", Long.toString(live.epoch())},
                new String[] {"agent-expired", "", "0"},
                new String[] {"agent-moved", "relay-a", Long.toString(before.epoch())},
                new String[] {"agent-unknown", "", "0"});
        RegistryService alone = new RegistryService(memory, settings);
        List<String> expected = calls.stream().map(call -> outcome(alone, call)).toList();
        String renewed = Long.toString(clock.millis() + TTL.toMillis());
        assertThat(expected).containsExactly(renewed, "NOT_FOUND", "FAILED_PRECONDITION", "NOT_FOUND");

        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1));
        RegistryService gathered = new RegistryService(coalescing, settings);
        counting.holdNextCall();
        Future<String> holder = callers.submit(() -> outcome(gathered, new String[] {"agent-live", "", "0"}));
        counting.awaitHeld();
        List<Future<String>> answers = new ArrayList<>();
        for (String[] call : calls) {
            answers.add(callers.submit(() -> outcome(gathered, call)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> coalescing.queuedCalls() == calls.size());
        counting.release();

        assertThat(holder.get(10, TimeUnit.SECONDS)).isEqualTo(renewed);
        for (int i = 0; i < calls.size(); i++) {
            assertThat(answers.get(i).get(10, TimeUnit.SECONDS)).as("caller %d", i).isEqualTo(expected.get(i));
        }
        assertThat(counting.batchSizes).containsExactly(calls.size());
    }

    /** The expiry a HeartbeatAgent call returns, or the kind of error it fails with. */
    private static String outcome(RegistryService registry, String[] call) {
        try {
            return Long.toString(registry.heartbeatAgent(call[0], call[1], Long.parseLong(call[2])));
        } catch (RegistryException e) {
            return e.kind().name();
        }
    }

    @Test
    void heartbeats_of_one_batch_with_their_fences_get_their_own_answers() throws Exception {
        memory.registerRelay(new RelayRegistration("relay-a", "10.0.0.1", 7000, Map.of()), Duration.ofMinutes(5));
        memory.registerRelay(new RelayRegistration("relay-b", "10.0.0.2", 7000, Map.of()), Duration.ofMinutes(5));
        PlacementRecord onA = memory.registerAgent("agent-1", "relay-a", TTL).orElseThrow();
        PlacementRecord onB = memory.registerAgent("agent-1", "relay-b", TTL).orElseThrow();
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1));
        counting.holdNextCall();
        Future<AgentHeartbeat> holder = callers.submit(() -> coalescing.heartbeatAgent("agent-1", Fence.NONE, TTL));
        counting.awaitHeld();

        Future<AgentHeartbeat> stale = callers.submit(() -> coalescing.heartbeatAgent("agent-1", new Fence(Optional.of("relay-a"), onA.epoch()), TTL));
        Future<AgentHeartbeat> current = callers.submit(() -> coalescing.heartbeatAgent("agent-1", new Fence(Optional.of("relay-b"), onB.epoch()), TTL));
        Future<AgentHeartbeat> unknown = callers.submit(() -> coalescing.heartbeatAgent("agent-2", Fence.NONE, TTL));
        await().atMost(Duration.ofSeconds(10)).until(() -> coalescing.queuedCalls() == 3);
        counting.release();

        assertThat(holder.get(10, TimeUnit.SECONDS)).isInstanceOf(AgentHeartbeat.Renewed.class);
        assertThat(stale.get(10, TimeUnit.SECONDS)).isEqualTo(new AgentHeartbeat.Fenced("relay-b", onB.epoch()));
        assertThat(current.get(10, TimeUnit.SECONDS)).isEqualTo(new AgentHeartbeat.Renewed(START + TTL.toMillis()));
        assertThat(unknown.get(10, TimeUnit.SECONDS)).isInstanceOf(AgentHeartbeat.NotFound.class);
        assertThat(counting.batchSizes).containsExactly(3);
    }

    @Test
    void a_failed_round_trip_fails_each_of_its_callers_as_unavailable() throws Exception {
        assertEachCallerOfAFailedRoundTripGets(new BackendUnavailableException("storage timed out"), BackendUnavailableException.class);
    }

    @Test
    void a_refused_round_trip_fails_each_of_its_callers_as_misconfigured() throws Exception {
        assertEachCallerOfAFailedRoundTripGets(new BackendMisconfiguredException("storage timed out: NOPERM"),
                BackendMisconfiguredException.class);
    }

    private void assertEachCallerOfAFailedRoundTripGets(RuntimeException failure, Class<? extends RuntimeException> expected)
            throws Exception {
        placeAgents(10);
        RegistryBackend failingBatches = new ForwardingBackend(counting) {
            @Override
            public List<Optional<RelayPlacement>> getPlacementBatch(List<String> agentIds) {
                throw failure;
            }
        };
        CoalescingBackend coalescing = new CoalescingBackend(failingBatches, new CoalescingBackend.Options(1000, 1));
        counting.holdNextCall();
        Future<Optional<RelayPlacement>> holder = callers.submit(() -> coalescing.getPlacement("agent-0"));
        counting.awaitHeld();
        List<Future<Optional<RelayPlacement>>> gathered = new ArrayList<>();
        for (int i = 1; i < 10; i++) {
            String agentId = "agent-" + i;
            gathered.add(callers.submit(() -> coalescing.getPlacement(agentId)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> coalescing.queuedCalls() == 9);
        counting.release();

        assertThat(holder.get(10, TimeUnit.SECONDS)).isPresent();
        for (Future<Optional<RelayPlacement>> call : gathered) {
            assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).cause()
                    .isExactlyInstanceOf(expected).hasMessageContaining("storage timed out");
        }
        assertThat(coalescing.getPlacement("agent-1")).as("the next lone call works").isPresent();
    }

    @Test
    void one_bad_id_never_fails_the_others() throws Exception {
        placeAgents(10);
        RegistryBackend chokingOnOneId = new ForwardingBackend(counting) {
            @Override
            public Optional<RelayPlacement> getPlacement(String agentId) {
                if (agentId.equals("agent-bad")) {
                    throw new IllegalArgumentException("cannot encode agent-bad");
                }
                return delegate.getPlacement(agentId);
            }

            @Override
            public List<Optional<RelayPlacement>> getPlacementBatch(List<String> agentIds) {
                if (agentIds.contains("agent-bad")) {
                    throw new IllegalArgumentException("cannot encode agent-bad");
                }
                return delegate.getPlacementBatch(agentIds);
            }
        };
        CoalescingBackend coalescing = new CoalescingBackend(chokingOnOneId, new CoalescingBackend.Options(1000, 1));
        counting.holdNextCall();
        Future<Optional<RelayPlacement>> holder = callers.submit(() -> coalescing.getPlacement("agent-0"));
        counting.awaitHeld();
        List<Future<Optional<RelayPlacement>>> good = new ArrayList<>();
        for (int i = 1; i < 5; i++) {
            String agentId = "agent-" + i;
            good.add(callers.submit(() -> coalescing.getPlacement(agentId)));
        }
        Future<Optional<RelayPlacement>> bad = callers.submit(() -> coalescing.getPlacement("agent-bad"));
        await().atMost(Duration.ofSeconds(10)).until(() -> coalescing.queuedCalls() == 5);
        counting.release();

        assertThat(holder.get(10, TimeUnit.SECONDS)).isPresent();
        for (Future<Optional<RelayPlacement>> call : good) {
            assertThat(call.get(10, TimeUnit.SECONDS)).isPresent();
        }
        assertThatThrownBy(() -> bad.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void every_method_it_does_not_gather_is_forwarded() {
        CoalescingBackend coalescing = new CoalescingBackend(counting, CoalescingBackend.Options.DEFAULT);
        coalescing.registerRelay(new RelayRegistration("relay-a", "10.0.0.1", 7000, Map.of()), TTL);
        assertThat(coalescing.registerAgent("agent-1", "relay-a", TTL)).isPresent();
        assertThat(coalescing.getRelay("relay-a")).isPresent();
        assertThat(coalescing.heartbeatRelay("relay-a", TTL)).isPresent();
        assertThat(coalescing.heartbeatAgents("relay-a", List.of("agent-1"), TTL)).isPresent();
        assertThat(coalescing.getPlacements(List.of("agent-1"))).hasSize(1);
        assertThat(coalescing.heartbeatAgentBatch(List.of(new AgentHeartbeatRequest("agent-1", Fence.NONE)), TTL)).hasSize(1);
        assertThat(coalescing.getPlacementBatch(List.of("agent-1", "agent-2"))).hasSize(2);
        assertThat(coalescing.ttlSupport()).isEqualTo(memory.ttlSupport());
        assertThat(coalescing.batchConcurrency()).isEqualTo(memory.batchConcurrency());
        assertThat(counting.batchCalls.get()).as("batch methods called directly are forwarded").isEqualTo(2);
    }

    @Test
    void a_per_call_view_bounds_what_it_does_not_gather_by_the_calls_deadline_and_still_gathers_the_rest() {
        List<CallDeadline> deadlinesSeen = new CopyOnWriteArrayList<>();
        AtomicInteger boundedCalls = new AtomicInteger();
        ForwardingBackend deadlineAware = new ForwardingBackend(counting) {
            @Override
            public RegistryBackend boundedBy(CallDeadline deadline) {
                deadlinesSeen.add(deadline);
                return new ForwardingBackend(counting) {
                    @Override
                    public long registerRelay(RelayRegistration relay, Duration ttl) {
                        boundedCalls.incrementAndGet();
                        return super.registerRelay(relay, ttl);
                    }
                };
            }
        };
        CoalescingBackend coalescing = new CoalescingBackend(deadlineAware, new CoalescingBackend.Options(1000, 1));
        CallDeadline deadline = CallDeadline.after(Duration.ofSeconds(3));

        RegistryBackend view = coalescing.boundedBy(deadline);
        view.registerRelay(new RelayRegistration("relay-a", "10.0.0.1", 7000, Map.of()), TTL);
        memory.registerAgent("agent-1", "relay-a", TTL).orElseThrow();
        assertThat(view.heartbeatAgent("agent-1", Fence.NONE, TTL)).isInstanceOf(AgentHeartbeat.Renewed.class);

        assertThat(deadlinesSeen).containsExactly(deadline);
        assertThat(boundedCalls.get()).as("registerRelay through the deadline-bound backend").isEqualTo(1);
        assertThat(counting.singleCalls.get()).as("the heartbeat went through the shared batcher").isEqualTo(1);
    }

    // ---- the gathered calls through futures: no thread held while a call waits for its batch ----

    @Test
    void a_lone_async_call_runs_on_the_callers_thread_and_is_answered_when_submit_returns() {
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1));
        placeAgents(2);

        CompletableFuture<AgentHeartbeat> heartbeat = coalescing.heartbeatAgentAsync("agent-0", Fence.NONE, TTL);
        CompletableFuture<Optional<RelayPlacement>> lookup = coalescing.getPlacementAsync("agent-1");

        assertThat(heartbeat).isCompletedWithValue(new AgentHeartbeat.Renewed(START + TTL.toMillis()));
        assertThat(lookup).isDone();
        assertThat(lookup.join()).isPresent();
        assertThat(counting.callingThreads).as("no hand-off").containsOnly(Thread.currentThread());
    }

    @Test
    void on_a_backend_that_bounds_its_round_trips_a_lone_call_runs_on_a_runner_thread_and_never_holds_its_caller() {
        CoalescingBackend coalescing = new CoalescingBackend(oneRoundTripAtATime(counting), new CoalescingBackend.Options(1000, 1));
        placeAgents(2);
        counting.holdNextCall();

        CompletableFuture<AgentHeartbeat> heartbeat = coalescing.heartbeatAgentAsync("agent-0", Fence.NONE, TTL);

        assertThat(heartbeat).as("returned while its round trip is held").isNotDone();
        counting.awaitHeld();
        counting.release();
        assertThat(heartbeat.orTimeout(10, TimeUnit.SECONDS).join()).isEqualTo(new AgentHeartbeat.Renewed(START + TTL.toMillis()));
        assertThat(coalescing.getPlacementAsync("agent-1").orTimeout(10, TimeUnit.SECONDS).join()).isPresent();
        assertThat(counting.singleCalls.get()).isEqualTo(2);
        assertThat(counting.callingThreads).as("both ran on a runner thread").isNotEmpty().doesNotContain(Thread.currentThread());
        assertThat(coalescing.gatheredCallsNeverWait()).isTrue();
        assertThat(new CoalescingBackend(counting, CoalescingBackend.Options.DEFAULT).gatheredCallsNeverWait())
                .as("a backend that never holds a call back answers a lone call on its caller's thread").isFalse();
    }

    @Test
    void queued_async_calls_release_the_caller_at_once_and_are_answered_in_one_batch_in_arrival_order() {
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1));
        placeAgents(20);
        counting.holdNextCall();
        callers.submit(() -> coalescing.heartbeatAgent("agent-0", Fence.NONE, TTL));
        counting.awaitHeld();

        // All on this one thread: each submit returns while the round trip ahead is still held.
        List<CompletableFuture<AgentHeartbeat>> queued = new ArrayList<>();
        List<String> order = new ArrayList<>();
        for (int i = 19; i >= 1; i--) {
            order.add("agent-" + i);
            queued.add(coalescing.heartbeatAgentAsync("agent-" + i, Fence.NONE, TTL));
        }
        queued.add(coalescing.heartbeatAgentAsync("agent-unknown", Fence.NONE, TTL));
        order.add("agent-unknown");
        assertThat(queued).noneMatch(CompletableFuture::isDone);
        assertThat(coalescing.queuedCalls()).isEqualTo(20);
        counting.release();

        for (int i = 0; i < 19; i++) {
            assertThat(queued.get(i).orTimeout(10, TimeUnit.SECONDS).join()).isEqualTo(new AgentHeartbeat.Renewed(START + TTL.toMillis()));
        }
        assertThat(queued.get(19).orTimeout(10, TimeUnit.SECONDS).join()).as("its own answer").isInstanceOf(AgentHeartbeat.NotFound.class);
        assertThat(counting.batchedIds).containsExactly(order);
        assertThat(counting.callingThreads).as("the batch ran on a runner thread, not this one").doesNotContain(Thread.currentThread());
    }

    @Test
    void placement_only_reads_are_gathered_into_one_get_placements_round_trip_and_each_caller_gets_its_own_agent() {
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1));
        placeAgents(5);
        PlacementRecord agent1 = memory.getPlacement("agent-1").orElseThrow().placement();
        PlacementRecord agent3 = memory.getPlacement("agent-3").orElseThrow().placement();
        counting.holdNextCall();
        callers.submit(() -> coalescing.currentPlacementAsync("agent-0").join());
        counting.awaitHeld();

        // All on this one thread: each read returns at once, queued behind the held round trip.
        List<String> asked = List.of("agent-3", "agent-1", "agent-unknown", "agent-3", "agent-1");
        List<CompletableFuture<Optional<PlacementRecord>>> answers = new ArrayList<>();
        for (String agentId : asked) {
            answers.add(coalescing.currentPlacementAsync(agentId));
        }
        assertThat(answers).noneMatch(CompletableFuture::isDone);
        assertThat(coalescing.queuedCalls()).isEqualTo(asked.size());
        counting.release();

        assertThat(answers.get(0).orTimeout(10, TimeUnit.SECONDS).join()).contains(agent3);
        assertThat(answers.get(1).orTimeout(10, TimeUnit.SECONDS).join()).contains(agent1);
        assertThat(answers.get(2).orTimeout(10, TimeUnit.SECONDS).join()).as("an agent without a placement").isEmpty();
        assertThat(answers.get(3).orTimeout(10, TimeUnit.SECONDS).join()).as("a duplicate gets the same answer").contains(agent3);
        assertThat(answers.get(4).orTimeout(10, TimeUnit.SECONDS).join()).as("a duplicate gets the same answer").contains(agent1);
        assertThat(counting.placementReads).as("the held single read, then one batch with each id once")
                .containsExactly(List.of("agent-0"), List.of("agent-3", "agent-1", "agent-unknown"));
        assertThat(counting.singleCalls.get() + counting.batchCalls.get()).as("never the full lookup with relay and count").isZero();
        assertThat(coalescing.coalescedRoundTrips()).isEqualTo(2);
    }

    @Test
    void a_lone_placement_only_read_is_answered_when_it_returns_and_a_backend_that_does_not_gather_answers_it_at_once() {
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1));
        placeAgents(3);

        CompletableFuture<Optional<PlacementRecord>> alone = coalescing.currentPlacementAsync("agent-1");
        assertThat(alone).isDone();
        assertThat(alone.join()).contains(memory.getPlacement("agent-1").orElseThrow().placement());
        CompletableFuture<Optional<PlacementRecord>> atOnce = GatheredCalls.of(counting).currentPlacementAsync("agent-2");
        assertThat(atOnce).isDone();
        assertThat(atOnce.join()).contains(memory.getPlacement("agent-2").orElseThrow().placement());
        assertThat(GatheredCalls.of(counting).currentPlacementAsync("agent-unknown").join()).isEmpty();

        assertThat(counting.placementReads).containsExactly(List.of("agent-1"), List.of("agent-2"), List.of("agent-unknown"));
        assertThat(counting.singleCalls.get() + counting.batchCalls.get()).isZero();
    }

    @Test
    void code_chained_on_one_callers_answer_cannot_fail_the_others() {
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1));
        placeAgents(5);
        counting.holdNextCall();
        callers.submit(() -> coalescing.getPlacement("agent-0"));
        counting.awaitHeld();
        CompletableFuture<Optional<RelayPlacement>> first = coalescing.getPlacementAsync("agent-1");
        CompletableFuture<Object> broken = first.thenApply(found -> {
            throw new IllegalStateException("a bug in one caller's answer");
        });
        List<CompletableFuture<Optional<RelayPlacement>>> others = new ArrayList<>();
        for (int i = 2; i < 5; i++) {
            others.add(coalescing.getPlacementAsync("agent-" + i));
        }
        counting.release();

        assertThatThrownBy(() -> broken.orTimeout(10, TimeUnit.SECONDS).join()).hasCauseInstanceOf(IllegalStateException.class);
        for (CompletableFuture<Optional<RelayPlacement>> other : others) {
            assertThat(other.orTimeout(10, TimeUnit.SECONDS).join()).isPresent();
        }
        assertThat(coalescing.getPlacement("agent-1")).as("the batcher goes on").isPresent();
    }

    @Test
    void calls_beyond_the_waiting_bound_are_refused_at_once_as_overloaded() throws Exception {
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1), 5);
        placeAgents(10);
        counting.holdNextCall();
        callers.submit(() -> coalescing.heartbeatAgent("agent-0", Fence.NONE, TTL));
        counting.awaitHeld();
        List<CompletableFuture<AgentHeartbeat>> waiting = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            waiting.add(coalescing.heartbeatAgentAsync("agent-" + i, Fence.NONE, TTL));
        }

        CompletableFuture<AgentHeartbeat> refused = coalescing.heartbeatAgentAsync("agent-6", Fence.NONE, TTL);

        assertThat(refused).isCompletedExceptionally();
        assertThatThrownBy(refused::join).cause().isInstanceOfSatisfying(CallNotRunException.class,
                e -> assertThat(e.reason()).isEqualTo(CallNotRunException.Reason.OVERLOADED))
                .hasMessageStartingWith("the server is overloaded:");
        assertThat(coalescing.refusedCalls()).isEqualTo(1);
        // A lookup runs alone (its own slot), so it is held like any round trip now: from another thread.
        Future<CompletableFuture<Optional<RelayPlacement>>> lookup = callers.submit(() -> coalescing.getPlacementAsync("agent-7"));
        counting.release();
        assertThat(lookup.get(10, TimeUnit.SECONDS).orTimeout(10, TimeUnit.SECONDS).join()).as("each operation has its own bound").isPresent();
        for (CompletableFuture<AgentHeartbeat> call : waiting) {
            assertThat(call.orTimeout(10, TimeUnit.SECONDS).join()).isInstanceOf(AgentHeartbeat.Renewed.class);
        }
        assertThat(counting.batchedIds).as("the refused call never reached the storage").noneMatch(ids -> ids.contains("agent-6"));
    }

    @Test
    void a_queued_call_whose_deadline_passed_is_not_run() {
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1));
        placeAgents(5);
        counting.holdNextCall();
        callers.submit(() -> coalescing.heartbeatAgent("agent-0", Fence.NONE, TTL));
        counting.awaitHeld();
        CallDeadline soon = CallDeadline.after(Duration.ofMillis(50));
        CompletableFuture<AgentHeartbeat> late = coalescing.boundedBy(soon).heartbeatAgentAsync("agent-1", Fence.NONE, TTL);
        List<CompletableFuture<AgentHeartbeat>> timely = new ArrayList<>();
        for (int i = 2; i < 5; i++) {
            timely.add(coalescing.boundedBy(CallDeadline.after(Duration.ofSeconds(30))).heartbeatAgentAsync("agent-" + i, Fence.NONE, TTL));
        }
        await().atMost(Duration.ofSeconds(10)).until(soon::isExpired);
        counting.release();

        assertThatThrownBy(() -> late.orTimeout(10, TimeUnit.SECONDS).join()).cause().isInstanceOfSatisfying(CallNotRunException.class,
                e -> assertThat(e.reason()).isEqualTo(CallNotRunException.Reason.DEADLINE_PASSED));
        for (CompletableFuture<AgentHeartbeat> call : timely) {
            assertThat(call.orTimeout(10, TimeUnit.SECONDS).join()).isInstanceOf(AgentHeartbeat.Renewed.class);
        }
        assertThat(counting.batchedIds).containsExactly(List.of("agent-2", "agent-3", "agent-4"));
    }

    @Test
    void many_queued_calls_on_one_slot_all_complete_over_several_runner_turns() {
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(3, 1));
        placeAgents(100);
        counting.holdNextCall();
        callers.submit(() -> coalescing.getPlacement("agent-0"));
        counting.awaitHeld();
        List<CompletableFuture<Optional<RelayPlacement>>> queued = new ArrayList<>();
        for (int i = 1; i < 100; i++) {
            queued.add(coalescing.getPlacementAsync("agent-" + i));
        }
        counting.release();

        for (CompletableFuture<Optional<RelayPlacement>> call : queued) {
            assertThat(call.orTimeout(10, TimeUnit.SECONDS).join()).isPresent();
        }
        assertThat(counting.batchSizes).as("99 calls in batches of at most 3: more than BATCHES_IN_A_ROW of them")
                .hasSize(33).allSatisfy(size -> assertThat(size).isEqualTo(3));
        assertThat(counting.mostAtOnce.get()).isEqualTo(1);
    }

    @Test
    void closing_fails_the_queued_calls_as_unavailable() {
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1));
        placeAgents(3);
        counting.holdNextCall();
        callers.submit(() -> coalescing.getPlacement("agent-0"));
        counting.awaitHeld();
        CompletableFuture<Optional<RelayPlacement>> queued = coalescing.getPlacementAsync("agent-1");

        coalescing.close();
        counting.release();

        assertThatThrownBy(() -> queued.orTimeout(10, TimeUnit.SECONDS).join()).isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(BackendUnavailableException.class);
        assertThat(coalescing.getPlacementAsync("agent-2")).isCompletedExceptionally();
    }

    // ---- registrations: gathered only when the backend batches them natively

    @Test
    void registrations_on_a_backend_without_a_native_batch_run_in_parallel_and_are_never_queued() throws Exception {
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1));
        placeAgents(0);
        counting.holdNextCall();

        List<Future<Optional<PlacementRecord>>> calls = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String agentId = "agent-" + i;
            calls.add(callers.submit(() -> coalescing.registerAgentAsync(agentId, "relay-a", TTL).join()));
        }
        counting.awaitHeld(10);
        assertThat(coalescing.queuedCalls()).as("none waits for a slot").isZero();
        counting.release();

        for (Future<Optional<PlacementRecord>> call : calls) {
            assertThat(call.get(10, TimeUnit.SECONDS)).isPresent();
        }
        assertThat(counting.singleCalls.get()).isEqualTo(10);
        assertThat(counting.batchCalls.get()).isZero();
        assertThat(counting.mostAtOnce.get()).as("a looping batch would serialise them; singles run side by side").isEqualTo(10);
    }

    @Test
    void registrations_on_a_backend_with_a_native_batch_are_gathered_and_each_caller_gets_its_own_answer() throws Exception {
        counting.nativeRegistrations = true;
        CoalescingBackend coalescing = new CoalescingBackend(counting, new CoalescingBackend.Options(1000, 1));
        memory.registerRelay(new RelayRegistration("relay-a", "10.0.0.1", 7000, Map.of()), Duration.ofMinutes(5));
        memory.registerRelay(new RelayRegistration("relay-b", "10.0.0.2", 7000, Map.of()), Duration.ofMinutes(5));
        PlacementRecord staying = memory.registerAgent("agent-stay", "relay-a", TTL).orElseThrow();
        PlacementRecord moving = memory.registerAgent("agent-move", "relay-a", TTL).orElseThrow();
        counting.holdNextCall();
        Future<Optional<PlacementRecord>> holder = callers.submit(() -> coalescing.registerAgent("agent-0", "relay-a", TTL));
        counting.awaitHeld();

        // All on this one thread: each call returns at once while the round trip ahead is held.
        CompletableFuture<Optional<PlacementRecord>> created = coalescing.registerAgentAsync("agent-new", "relay-b", TTL);
        CompletableFuture<Optional<PlacementRecord>> renewed = coalescing.registerAgentAsync("agent-stay", "relay-a", TTL);
        CompletableFuture<Optional<PlacementRecord>> moved = coalescing.registerAgentAsync("agent-move", "relay-b", TTL);
        CompletableFuture<Optional<PlacementRecord>> refused = coalescing.registerAgentAsync("agent-x", "relay-unknown", TTL);
        CompletableFuture<Optional<PlacementRecord>> movedBack = coalescing.registerAgentAsync("agent-move", "relay-a", TTL);
        assertThat(List.of(created, renewed, moved, refused, movedBack)).noneMatch(CompletableFuture::isDone);
        assertThat(coalescing.queuedCalls()).isEqualTo(5);
        counting.release();

        assertThat(holder.get(10, TimeUnit.SECONDS)).isPresent();
        assertThat(created.get(10, TimeUnit.SECONDS)).map(PlacementRecord::relayId).contains("relay-b");
        assertThat(renewed.get(10, TimeUnit.SECONDS)).map(PlacementRecord::epoch).contains(staying.epoch());
        long movedEpoch = moved.get(10, TimeUnit.SECONDS).orElseThrow().epoch();
        assertThat(movedEpoch).isGreaterThan(moving.epoch());
        assertThat(refused.get(10, TimeUnit.SECONDS)).as("relay not live").isEmpty();
        assertThat(movedBack.get(10, TimeUnit.SECONDS).orElseThrow().epoch()).as("sees the move before it in the batch")
                .isGreaterThan(movedEpoch);
        assertThat(counting.batchSizes).containsExactly(5);
        assertThat(counting.batchedIds).containsExactly(List.of("agent-new", "agent-stay", "agent-move", "agent-x", "agent-move"));
        assertThat(counting.callingThreads).as("the batch ran on a runner thread").doesNotContain(Thread.currentThread());
    }

    @Test
    void a_failed_registration_round_trip_fails_each_of_its_callers_and_one_bad_item_fails_only_itself() throws Exception {
        placeAgents(0);
        RegistryBackend failing = new ForwardingBackend(counting) {
            @Override
            public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
                if (agentId.equals("agent-bad")) {
                    throw new IllegalArgumentException("cannot encode agent-bad");
                }
                return delegate.registerAgent(agentId, relayId, ttl);
            }

            @Override
            public List<Optional<PlacementRecord>> registerAgentBatch(List<AgentRegistrationRequest> requests, Duration ttl) {
                if (requests.stream().anyMatch(request -> request.agentId().equals("agent-bad"))) {
                    throw new IllegalArgumentException("cannot encode agent-bad");
                }
                if (requests.stream().anyMatch(request -> request.agentId().equals("agent-outage"))) {
                    throw new BackendUnavailableException("storage timed out");
                }
                return delegate.registerAgentBatch(requests, ttl);
            }

            @Override
            public boolean batchesRegistrations() {
                return true;
            }
        };
        CoalescingBackend coalescing = new CoalescingBackend(failing, new CoalescingBackend.Options(1000, 1));

        counting.holdNextCall();
        callers.submit(() -> coalescing.registerAgent("agent-0", "relay-a", TTL));
        counting.awaitHeld();
        List<CompletableFuture<Optional<PlacementRecord>>> good = new ArrayList<>();
        for (int i = 1; i < 5; i++) {
            good.add(coalescing.registerAgentAsync("agent-" + i, "relay-a", TTL));
        }
        CompletableFuture<Optional<PlacementRecord>> bad = coalescing.registerAgentAsync("agent-bad", "relay-a", TTL);
        counting.release();
        for (CompletableFuture<Optional<PlacementRecord>> call : good) {
            assertThat(call.get(10, TimeUnit.SECONDS)).as("run again alone after the batch choked").isPresent();
        }
        assertThatThrownBy(() -> bad.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(IllegalArgumentException.class);

        counting.holdNextCall();
        callers.submit(() -> coalescing.registerAgent("agent-0", "relay-a", TTL));
        counting.awaitHeld(2); // the count of held round trips includes the first phase's
        List<CompletableFuture<Optional<PlacementRecord>>> outage = new ArrayList<>();
        outage.add(coalescing.registerAgentAsync("agent-outage", "relay-a", TTL));
        outage.add(coalescing.registerAgentAsync("agent-5", "relay-a", TTL));
        counting.release();
        for (CompletableFuture<Optional<PlacementRecord>> call : outage) {
            assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).cause()
                    .isExactlyInstanceOf(BackendUnavailableException.class).hasMessageContaining("storage timed out");
        }
        assertThat(coalescing.registerAgent("agent-6", "relay-a", TTL)).as("the next lone call works").isPresent();
    }

    /** {@code delegate}, declaring one batch round trip at a time, as a backend with a storage server bounds them. */
    private static RegistryBackend oneRoundTripAtATime(RegistryBackend delegate) {
        return new ForwardingBackend(delegate) {
            @Override
            public int batchConcurrency() {
                return 1;
            }
        };
    }

    private void placeAgents(int count) {
        memory.registerRelay(new RelayRegistration("relay-a", "10.0.0.1", 7000, Map.of()), Duration.ofMinutes(5));
        for (int i = 0; i < count; i++) {
            memory.registerAgent("agent-" + i, "relay-a", TTL).orElseThrow();
        }
    }

    /** Counts round trips and what they carried; can hold the next one until released. */
    private static final class CountingBackend extends ForwardingBackend {

        final AtomicInteger singleCalls = new AtomicInteger();
        final AtomicInteger batchCalls = new AtomicInteger();
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        final List<List<String>> batchedIds = new CopyOnWriteArrayList<>();
        /** The ids of each {@code getPlacements} round trip (placement-only reads), apart from the other counts. */
        final List<List<String>> placementReads = new CopyOnWriteArrayList<>();
        final List<Thread> callingThreads = new CopyOnWriteArrayList<>();
        final AtomicInteger atOnce = new AtomicInteger();
        final AtomicInteger mostAtOnce = new AtomicInteger();
        final AtomicInteger held = new AtomicInteger();
        private volatile CountDownLatch gate;
        /** What {@link #batchesRegistrations()} says; set before the coalescing backend is made. */
        volatile boolean nativeRegistrations;

        CountingBackend(RegistryBackend delegate) {
            super(delegate);
        }

        /** Holds every round trip that starts from now until {@link #release()}. */
        void holdNextCall() {
            gate = new CountDownLatch(1);
        }

        void awaitHeld() {
            awaitHeld(1);
        }

        void awaitHeld(int roundTrips) {
            await().atMost(Duration.ofSeconds(10)).until(() -> held.get() == roundTrips);
        }

        void release() {
            gate.countDown();
        }

        @Override
        public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
            return single(() -> delegate.heartbeatAgent(agentId, fence, ttl));
        }

        @Override
        public Optional<RelayPlacement> getPlacement(String agentId) {
            return single(() -> delegate.getPlacement(agentId));
        }

        @Override
        public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
            return single(() -> delegate.registerAgent(agentId, relayId, ttl));
        }

        @Override
        public List<Optional<PlacementRecord>> registerAgentBatch(List<AgentRegistrationRequest> requests, Duration ttl) {
            batchedIds.add(requests.stream().map(AgentRegistrationRequest::agentId).toList());
            return batch(requests.size(), () -> delegate.registerAgentBatch(requests, ttl));
        }

        @Override
        public boolean batchesRegistrations() {
            return nativeRegistrations;
        }

        @Override
        public List<AgentHeartbeat> heartbeatAgentBatch(List<AgentHeartbeatRequest> requests, Duration ttl) {
            batchedIds.add(requests.stream().map(AgentHeartbeatRequest::agentId).toList());
            return batch(requests.size(), () -> delegate.heartbeatAgentBatch(requests, ttl));
        }

        @Override
        public List<PlacementRecord> getPlacements(List<String> agentIds) {
            placementReads.add(List.copyOf(agentIds));
            return roundTrip(() -> delegate.getPlacements(agentIds));
        }

        @Override
        public List<Optional<RelayPlacement>> getPlacementBatch(List<String> agentIds) {
            batchedIds.add(List.copyOf(agentIds));
            return batch(agentIds.size(), () -> delegate.getPlacementBatch(agentIds));
        }

        private <T> T single(Supplier<T> call) {
            singleCalls.incrementAndGet();
            callingThreads.add(Thread.currentThread());
            return roundTrip(call);
        }

        private <T> T batch(int size, Supplier<T> call) {
            batchCalls.incrementAndGet();
            batchSizes.add(size);
            return roundTrip(call);
        }

        private <T> T roundTrip(Supplier<T> call) {
            mostAtOnce.accumulateAndGet(atOnce.incrementAndGet(), Math::max);
            try {
                CountDownLatch closed = gate;
                if (closed != null && closed.getCount() > 0) {
                    held.incrementAndGet();
                    closed.await(30, TimeUnit.SECONDS);
                }
                return call.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } finally {
                atOnce.decrementAndGet();
            }
        }
    }
}
