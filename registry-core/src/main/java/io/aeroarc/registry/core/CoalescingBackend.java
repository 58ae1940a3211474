package io.aeroarc.registry.core;

import io.aeroarc.registry.spi.AgentDeregistration;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.AgentRegistrationRequest;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.CallDeadline;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.support.DaemonThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A backend that gathers concurrent single-agent {@code heartbeatAgent} and {@code getPlacement}
 * calls into the backend's batch methods ({@link RegistryBackend#heartbeatAgentBatch},
 * {@link RegistryBackend#getPlacementBatch}), one {@link CallBatcher} per operation, so a busy
 * server makes one storage round trip for many calls. Placement-only reads
 * ({@link #currentPlacementAsync}, the owner before each RegisterAgent) are gathered into
 * {@link RegistryBackend#getPlacements}. {@code registerAgent} calls are gathered
 * into {@link RegistryBackend#registerAgentBatch} too, but only when the backend
 * {@link RegistryBackend#batchesRegistrations batches them natively}: a fleet coming up registers
 * thousands of agents a second. Every other method is forwarded as it is.
 *
 * <p>Through {@link GatheredCalls} a gathered call holds no thread while it waits for its batch:
 * the batch runs on this backend's runner threads (at most one per round-trip slot, so at most
 * {@code 3 × maxInFlight}, {@code 4 ×} when registrations are gathered), which complete each
 * caller's future. At most {@code maxQueuedCalls} calls of each operation wait; more are refused
 * ({@link CallNotRunException}). The blocking methods wait for the same future on the caller's
 * thread.
 *
 * <p>On a backend that bounds its batch round trips ({@link RegistryBackend#batchConcurrency()}
 * below {@link Integer#MAX_VALUE}: every backend that waits for a storage server), a lone
 * heartbeat or lookup, which finds a round-trip slot free, runs on the runner threads too, never on
 * its caller's: {@link #heartbeatAgentAsync} and {@link #getPlacementAsync} then never make their
 * caller wait ({@link #gatheredCallsNeverWait}), so a server may call them from its transport
 * threads. Other backends (the in-memory one) answer a lone call on its caller's thread at once.
 *
 * <p>HeartbeatRelay is not gathered: a relay renews itself once per interval, a small share of the
 * calls. RegisterAgent on a backend whose registration batch only loops is not gathered either:
 * the looping batch would serialise registrations that now run in parallel.
 */
public final class CoalescingBackend extends BackendLayer implements GatheredCalls {

    /** Calls of one operation that may wait for a round trip unless told otherwise: the server's default queue bound. */
    public static final int DEFAULT_MAX_QUEUED_CALLS = 10_000;

    /**
     * @param maxBatchSize the most calls one round trip carries
     * @param maxInFlight the most round trips of one operation at once; the backend's
     *     {@link RegistryBackend#batchConcurrency()} lowers it further
     */
    public record Options(int maxBatchSize, int maxInFlight) {

        public static final Options DEFAULT = new Options(1000, 2);

        public Options {
            if (maxBatchSize < 1) {
                throw new IllegalArgumentException("maxBatchSize must be positive, was " + maxBatchSize);
            }
            if (maxInFlight < 1) {
                throw new IllegalArgumentException("maxInFlight must be positive, was " + maxInFlight);
            }
        }
    }

    /** One gathered heartbeat; the TTL travels with it because the SPI takes it per call. */
    private record HeartbeatCall(AgentHeartbeatRequest request, Duration ttl) {}

    /** One gathered registration; the TTL travels with it as with heartbeats. */
    private record RegistrationCall(AgentRegistrationRequest request, Duration ttl) {}

    /** Where gathered round trips go: the backend itself, bounded only by its own timeout. */
    private final RegistryBackend batchTarget;
    private final CallBatcher<HeartbeatCall, AgentHeartbeat> heartbeats;
    private final CallBatcher<String, Optional<RelayPlacement>> lookups;
    /** Placement-only reads: no relay record, no count, so far cheaper than {@link #lookups}. */
    private final CallBatcher<String, Optional<PlacementRecord>> currentPlacements;
    private final CallBatcher<RegistrationCall, Optional<PlacementRecord>> registrations;
    /** Whether registrations go through {@link #registrations}: only when the backend batches them natively. */
    private final boolean gathersRegistrations;
    /** Whether lone heartbeats and lookups run on {@link #runner}, so their callers never wait. */
    private final boolean gatheredCallsNeverWait;
    /** Runs batches of queued calls: one thread per round-trip slot at most, idle ones end. */
    private final ThreadPoolExecutor runner;
    /** The call's deadline in a per-call view, else null: a queued call is not run once it passed. */
    private final CallDeadline deadline;

    public CoalescingBackend(RegistryBackend delegate, Options options) {
        this(delegate, options, DEFAULT_MAX_QUEUED_CALLS);
    }

    /** @param maxQueuedCalls calls of each operation that may wait for a round trip; more are refused */
    public CoalescingBackend(RegistryBackend delegate, Options options, int maxQueuedCalls) {
        super(delegate);
        this.batchTarget = delegate;
        this.deadline = null;
        int inFlight = Math.max(1, Math.min(options.maxInFlight(), delegate.batchConcurrency()));
        this.gathersRegistrations = delegate.batchesRegistrations();
        this.gatheredCallsNeverWait = delegate.batchConcurrency() != Integer.MAX_VALUE;
        int threads = (gathersRegistrations ? 4 : 3) * inFlight;
        this.runner = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                DaemonThreads.numbered("registry-batch-"));
        runner.allowCoreThreadTimeOut(true);
        this.heartbeats = new CallBatcher<>("heartbeatAgent",
                call -> delegate.heartbeatAgent(call.request().agentId(), call.request().fence(), call.ttl()),
                this::heartbeatBatch, options.maxBatchSize(), inFlight, maxQueuedCalls, runner, !gatheredCallsNeverWait);
        this.lookups = new CallBatcher<>("getPlacement", delegate::getPlacement, delegate::getPlacementBatch,
                options.maxBatchSize(), inFlight, maxQueuedCalls, runner, !gatheredCallsNeverWait);
        this.currentPlacements = new CallBatcher<>("getPlacements", agentId -> GatheredCalls.placementOf(agentId, delegate.getPlacements(List.of(agentId))),
                this::currentPlacementBatch, options.maxBatchSize(), inFlight, maxQueuedCalls, runner);
        this.registrations = new CallBatcher<>("registerAgent",
                call -> delegate.registerAgent(call.request().agentId(), call.request().relayId(), call.ttl()),
                this::registrationBatch, options.maxBatchSize(), inFlight, maxQueuedCalls, runner);
    }

    private CoalescingBackend(CoalescingBackend base, RegistryBackend boundedDelegate, CallDeadline deadline) {
        super(boundedDelegate);
        this.batchTarget = base.batchTarget;
        this.heartbeats = base.heartbeats;
        this.lookups = base.lookups;
        this.currentPlacements = base.currentPlacements;
        this.registrations = base.registrations;
        this.gathersRegistrations = base.gathersRegistrations;
        this.gatheredCallsNeverWait = base.gatheredCallsNeverWait;
        this.runner = base.runner;
        this.deadline = deadline;
    }

    /**
     * A view for one call. Calls that are not gathered wait no longer than the call's deadline. A
     * gathered round trip serves many callers with different deadlines, so it keeps the backend's
     * own timeout: a caller can wait for the round trip ahead of it plus its own. A gathered call
     * still queued when the deadline passes is not run.
     */
    @Override
    public CoalescingBackend boundedBy(CallDeadline callDeadline) {
        return new CoalescingBackend(this, batchTarget.boundedBy(callDeadline), callDeadline);
    }

    /**
     * Whether {@link #heartbeatAgentAsync} and {@link #getPlacementAsync} never make their caller
     * wait for the storage: every round trip of theirs, a lone one too, runs on this backend's
     * runner threads. True when the backend bounds its batch round trips.
     */
    public boolean gatheredCallsNeverWait() {
        return gatheredCallsNeverWait;
    }

    /** Storage round trips made for gathered calls (heartbeatAgent, getPlacement, placement-only reads, registerAgent when gathered) so far. */
    public long coalescedRoundTrips() {
        return heartbeats.roundTrips() + lookups.roundTrips() + currentPlacements.roundTrips() + registrations.roundTrips();
    }

    /** Calls waiting to be gathered right now. */
    public int queuedCalls() {
        return heartbeats.queuedCalls() + lookups.queuedCalls() + currentPlacements.queuedCalls() + registrations.queuedCalls();
    }

    /** Calls refused because too many of their kind were waiting for a round trip, since start. */
    public long refusedCalls() {
        return heartbeats.refusedCalls() + lookups.refusedCalls() + currentPlacements.refusedCalls() + registrations.refusedCalls();
    }

    @Override
    public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
        return heartbeats.call(new HeartbeatCall(new AgentHeartbeatRequest(agentId, fence), ttl));
    }

    @Override
    public Optional<RelayPlacement> getPlacement(String agentId) {
        return lookups.call(agentId);
    }

    @Override
    public CompletableFuture<AgentHeartbeat> heartbeatAgentAsync(String agentId, Fence fence, Duration ttl) {
        return heartbeats.submit(new HeartbeatCall(new AgentHeartbeatRequest(agentId, fence), ttl), deadline);
    }

    @Override
    public CompletableFuture<Optional<RelayPlacement>> getPlacementAsync(String agentId) {
        return lookups.submit(agentId, deadline);
    }

    @Override
    public CompletableFuture<Optional<PlacementRecord>> currentPlacementAsync(String agentId) {
        return currentPlacements.submit(agentId, deadline);
    }

    @Override
    public CompletableFuture<Optional<PlacementRecord>> registerAgentAsync(String agentId, String relayId, Duration ttl) {
        if (!gathersRegistrations) {
            try {
                return CompletableFuture.completedFuture(delegate.registerAgent(agentId, relayId, ttl));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return registrations.submit(new RegistrationCall(new AgentRegistrationRequest(agentId, relayId), ttl), deadline);
    }

    private List<AgentHeartbeat> heartbeatBatch(List<HeartbeatCall> calls) {
        return perTtl("heartbeatAgentBatch", calls, HeartbeatCall::ttl, HeartbeatCall::request, batchTarget::heartbeatAgentBatch);
    }

    /**
     * One {@link RegistryBackend#getPlacements} for the batch: it takes distinct ids and answers
     * only the visible placements, in any order, so each caller's answer is found by agent id.
     */
    private List<Optional<PlacementRecord>> currentPlacementBatch(List<String> agentIds) {
        Map<String, PlacementRecord> found = new HashMap<>();
        for (PlacementRecord placement : batchTarget.getPlacements(new ArrayList<>(new LinkedHashSet<>(agentIds)))) {
            found.put(placement.agentId(), placement);
        }
        List<Optional<PlacementRecord>> results = new ArrayList<>(agentIds.size());
        for (String agentId : agentIds) {
            results.add(Optional.ofNullable(found.get(agentId)));
        }
        return results;
    }

    private List<Optional<PlacementRecord>> registrationBatch(List<RegistrationCall> calls) {
        return perTtl("registerAgentBatch", calls, RegistrationCall::ttl, RegistrationCall::request, batchTarget::registerAgentBatch);
    }

    /**
     * Calls with the same TTL (all of them, with one configured agent TTL) share one batch call;
     * each caller is answered from its own item.
     */
    private static <C, Q, R> List<R> perTtl(String batchName, List<C> calls, Function<C, Duration> ttlOf, Function<C, Q> requestOf,
            BiFunction<List<Q>, Duration, List<R>> batch) {
        Map<Duration, List<Integer>> byTtl = new LinkedHashMap<>();
        for (int i = 0; i < calls.size(); i++) {
            byTtl.computeIfAbsent(ttlOf.apply(calls.get(i)), ttl -> new ArrayList<>()).add(i);
        }
        List<R> results = new ArrayList<>(Collections.nCopies(calls.size(), null));
        byTtl.forEach((ttl, indexes) -> {
            List<Q> requests = new ArrayList<>(indexes.size());
            for (int index : indexes) {
                requests.add(requestOf.apply(calls.get(index)));
            }
            List<R> answered = batch.apply(requests, ttl);
            if (answered.size() != requests.size()) {
                throw new IllegalStateException(batchName + " of " + requests.size() + " answered " + answered.size());
            }
            for (int i = 0; i < indexes.size(); i++) {
                results.set(indexes.get(i), answered.get(i));
            }
        });
        return results;
    }

    // ---- forwarded as they are ----

    @Override
    public long registerRelay(RelayRegistration relay, Duration ttl) {
        return delegate.registerRelay(relay, ttl);
    }

    @Override
    public OptionalLong heartbeatRelay(String relayId, Duration ttl) {
        return delegate.heartbeatRelay(relayId, ttl);
    }

    @Override
    public Optional<RelayRecord> getRelay(String relayId) {
        return delegate.getRelay(relayId);
    }

    @Override
    public boolean deregisterRelay(String relayId) {
        return delegate.deregisterRelay(relayId);
    }

    @Override
    public Page<RelayRecord> listRelays(Map<String, String> labelSelector, PageRequest page) {
        return delegate.listRelays(labelSelector, page);
    }

    @Override
    public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
        if (!gathersRegistrations) {
            return delegate.registerAgent(agentId, relayId, ttl);
        }
        return registrations.call(new RegistrationCall(new AgentRegistrationRequest(agentId, relayId), ttl));
    }

    @Override
    public Optional<BatchRenewal> heartbeatAgents(String relayId, List<String> agentIds, Duration ttl) {
        return delegate.heartbeatAgents(relayId, agentIds, ttl);
    }

    @Override
    public AgentDeregistration deregisterAgent(String agentId, String relayId) {
        return delegate.deregisterAgent(agentId, relayId);
    }

    @Override
    public List<PlacementRecord> getPlacements(List<String> agentIds) {
        return delegate.getPlacements(agentIds);
    }

    @Override
    public Page<PlacementRecord> listAgents(Optional<String> relayId, PageRequest page) {
        return delegate.listAgents(relayId, page);
    }

    @Override
    public List<AgentHeartbeat> heartbeatAgentBatch(List<AgentHeartbeatRequest> requests, Duration ttl) {
        return delegate.heartbeatAgentBatch(requests, ttl);
    }

    @Override
    public List<Optional<RelayPlacement>> getPlacementBatch(List<String> agentIds) {
        return delegate.getPlacementBatch(agentIds);
    }

    @Override
    public List<Optional<PlacementRecord>> registerAgentBatch(List<AgentRegistrationRequest> requests, Duration ttl) {
        return delegate.registerAgentBatch(requests, ttl);
    }

    @Override
    public int batchConcurrency() {
        return delegate.batchConcurrency();
    }

    @Override
    public void probe() {
        delegate.probe();
    }




    /** The backend's own feed, native or polling: gathering calls has nothing to do with it. */
    @Override
    public ChangeFeed changeFeed(BackendContext context) {
        return batchTarget.changeFeed(context);
    }

    /** Fails the calls still queued, stops the runner threads, then closes the backend. */
    @Override
    public void close() {
        heartbeats.close();
        lookups.close();
        currentPlacements.close();
        registrations.close();
        runner.shutdown();
        delegate.close();
    }
}
