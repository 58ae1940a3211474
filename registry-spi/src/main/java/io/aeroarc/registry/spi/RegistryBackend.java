package io.aeroarc.registry.spi;

import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.PollingChangeFeed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Storage for relay liveness and agent placements.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Liveness.</b> A relay is live from {@link #registerRelay} until its last successful
 *       register or heartbeat plus the TTL passed with it. A placement is visible while its own
 *       TTL is valid <em>and</em> the relay incarnation it was placed on is live. Every read
 *       enforces this at the moment of the read, whatever a background sweeper has or has not
 *       removed yet.</li>
 *   <li><b>Incarnations.</b> A relay that expires or is deregistered is over; registering it
 *       again starts a new incarnation with no placements. Nothing that ended becomes visible
 *       again without a new registration of that very entry.</li>
 *   <li><b>Epochs.</b> {@link PlacementRecord#epoch()} is a fencing token: for one agent it
 *       strictly increases every time its placement is created or moves to another relay (also
 *       when it is created again after it ended) and stays the same when the same relay
 *       re-registers or renews it. Epochs are positive. A store that can lose its state (an
 *       in-memory one, a cache without persistence) starts its counter from the clock in
 *       microseconds, so epochs keep increasing across the loss and a fence held from before it
 *       never matches a new placement.</li>
 *   <li><b>Ordering and paging.</b> Lists are ordered by id in a total order the backend keeps
 *       stable across calls (ASCII ids sort byte-wise). A page holds the entries strictly after
 *       {@link PageRequest#afterId()}, so a pass over a changing set never repeats an id.</li>
 *   <li><b>Time.</b> Times are Unix milliseconds of the backend's clock: the
 *       {@link BackendContext#clock()} unless the backend documents another source.</li>
 *   <li><b>Failures.</b> Every method may throw {@link BackendUnavailableException} when the
 *       storage cannot be reached or does not answer within the backend's own timeout, and its
 *       subclass {@link BackendMisconfiguredException} when the storage answers but refuses the
 *       registry as configured (authentication, rights). Any other exception is a bug: clients
 *       get INTERNAL and the health of the server does not change. No method may block without
 *       bound. Expected outcomes (absent, fenced) are return values, never exceptions.</li>
 *   <li><b>Threads.</b> Implementations are safe for concurrent use, and several instances on
 *       one shared store (several registry servers) must keep these guarantees together.</li>
 * </ul>
 *
 * <p>New methods are only ever added with a default implementation.
 */
public interface RegistryBackend extends AutoCloseable {

    /**
     * Creates the relay or updates its address, port and labels, and renews it for {@code ttl}.
     * A relay that was not live starts a new incarnation: its registration time is now and it
     * has no placements.
     *
     * @return when the relay expires unless renewed, in Unix ms
     */
    long registerRelay(RelayRegistration relay, Duration ttl);

    /**
     * Renews a live relay for {@code ttl}.
     *
     * @return the new expiry in Unix ms, or empty when the relay is not live
     */
    OptionalLong heartbeatRelay(String relayId, Duration ttl);

    /** The relay if it is live, with the count of its visible placements. */
    Optional<RelayRecord> getRelay(String relayId);

    /**
     * Ends a live relay and all its placements, atomically for readers.
     *
     * @return false when the relay was not live
     */
    boolean deregisterRelay(String relayId);

    /**
     * Live relays ordered by id, after {@code page.afterId()}, that carry every pair of
     * {@code labelSelector} (an empty selector matches all).
     */
    Page<RelayRecord> listRelays(Map<String, String> labelSelector, PageRequest page);

    /**
     * Creates or moves the agent's placement onto {@code relayId} (last writer wins) and renews it
     * for {@code ttl}. The epoch increases when the placement is created or moved and stays when
     * the agent is already visibly placed on that relay.
     *
     * @return the placement, or empty when the relay is not live
     */
    Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl);

    /** Renews a visible placement for {@code ttl} when it satisfies {@code fence}. */
    AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl);

    /**
     * Renews, for {@code ttl}, each of {@code agentIds} that is visibly placed on {@code relayId}.
     * The ids are distinct.
     *
     * @return the renewal, listing the ids that are not visibly placed on the relay as lost; or
     *     empty when the relay is not live
     */
    Optional<BatchRenewal> heartbeatAgents(String relayId, List<String> agentIds, Duration ttl);

    /** Ends a visible placement when it is on {@code relayId}. */
    AgentDeregistration deregisterAgent(String agentId, String relayId);

    /** The agent's visible placement with its live relay. */
    Optional<RelayPlacement> getPlacement(String agentId);

    /**
     * The visible placements among {@code agentIds}, in any order; absent agents are left out.
     * The ids are distinct.
     */
    List<PlacementRecord> getPlacements(List<String> agentIds);

    /**
     * Visible placements ordered by agent id, after {@code page.afterId()}; only those on
     * {@code relayId} when it is present.
     */
    Page<PlacementRecord> listAgents(Optional<String> relayId, PageRequest page);

    /**
     * A real round trip to the storage, for health checks.
     *
     * @throws BackendUnavailableException when the storage does not answer
     */
    void probe();

    /**
     * Independent single-agent heartbeats in one round trip, as the core's coalescing gathers them
     * from concurrent callers. Item {@code i} of the result is exactly what
     * {@link #heartbeatAgent}{@code (requests[i].agentId(), requests[i].fence(), ttl)} would have
     * answered, each with its own fence, outcome and expiry; an agent may appear more than once
     * (with the same or different fences), and each occurrence is answered as if the items had run
     * one after the other in list order. Items need not be atomic together.
     *
     * <p>The default calls {@link #heartbeatAgent} per item, so a backend without a native batch
     * keeps working unchanged.
     *
     * @throws BackendUnavailableException when the storage fails; the whole batch fails then
     */
    default List<AgentHeartbeat> heartbeatAgentBatch(List<AgentHeartbeatRequest> requests, Duration ttl) {
        List<AgentHeartbeat> results = new ArrayList<>(requests.size());
        for (AgentHeartbeatRequest request : requests) {
            results.add(heartbeatAgent(request.agentId(), request.fence(), ttl));
        }
        return results;
    }

    /**
     * Independent {@link #getPlacement} lookups in one round trip: item {@code i} of the result is
     * what {@code getPlacement(agentIds[i])} would have answered. Ids may repeat.
     *
     * <p>The default calls {@link #getPlacement} per id.
     *
     * @throws BackendUnavailableException when the storage fails; the whole batch fails then
     */
    default List<Optional<RelayPlacement>> getPlacementBatch(List<String> agentIds) {
        List<Optional<RelayPlacement>> results = new ArrayList<>(agentIds.size());
        for (String agentId : agentIds) {
            results.add(getPlacement(agentId));
        }
        return results;
    }

    /**
     * Independent {@link #registerAgent} calls in one round trip, as the core's coalescing gathers
     * them from concurrent callers when {@link #batchesRegistrations()} says so. Item {@code i} of
     * the result is exactly what {@code registerAgent(requests[i].agentId(), requests[i].relayId(), ttl)}
     * would have answered had the items run one after the other in list order: an agent may appear
     * more than once, and a later occurrence sees what the earlier one did (a second registration
     * on the same relay renews and keeps the epoch; one on another relay moves it with a higher
     * epoch). Items need not be atomic together.
     *
     * <p>The default calls {@link #registerAgent} per item, so a backend without a native batch
     * keeps working unchanged.
     *
     * @throws BackendUnavailableException when the storage fails; the whole batch fails then
     */
    default List<Optional<PlacementRecord>> registerAgentBatch(List<AgentRegistrationRequest> requests, Duration ttl) {
        List<Optional<PlacementRecord>> results = new ArrayList<>(requests.size());
        for (AgentRegistrationRequest request : requests) {
            results.add(registerAgent(request.agentId(), request.relayId(), ttl));
        }
        return results;
    }

    /**
     * True when {@link #registerAgentBatch} is a native batch worth gathering concurrent
     * registrations into: one round trip for many items. The default, false, keeps registrations
     * as parallel single calls: with the looping default batch, gathering them would only
     * serialise them through the few round-trip slots the core keeps per operation.
     */
    default boolean batchesRegistrations() {
        return false;
    }

    /**
     * How many batch round trips ({@link #heartbeatAgentBatch}, {@link #getPlacementBatch},
     * {@link #registerAgentBatch}) the
     * storage serves usefully at the same time, such as the size of the connection pool. The core's
     * coalescing never runs more batches of one kind at once, and gathers the calls that arrive
     * meanwhile into the next batch.
     *
     * <p>The default, {@link Integer#MAX_VALUE}, never holds a call back: with the looping default
     * batch methods above, gathering calls would only serialise them.
     */
    default int batchConcurrency() {
        return Integer.MAX_VALUE;
    }

    /**
     * How many blocking calls (every call but the gathered batches) the storage serves usefully at
     * the same time: the server runs this many call threads unless {@code --call-threads} says
     * otherwise. The default, 16, suits a pool of about 20 connections beside the coalescing's batch
     * round trips: with more threads than connections, calls would wait for a connection inside the
     * backend, where the threads the server keeps for liveness calls protect nothing.
     *
     * <p>A backend whose client multiplexes every call over one connection (no pool to exhaust) may
     * allow more, so that calls waiting for slow round trips do not hold every thread.
     */
    default int callConcurrency() {
        return 16;
    }

    /**
     * About how many relays are live, when the backend can tell without reading every entry (a
     * count or an index it keeps); empty otherwise. The server reads it for its metrics, at most
     * once per refresh interval, never per call. It may count entries that expired moments ago
     * and are not yet swept; it must not cost a scan of the storage.
     *
     * <p>The default is empty: the server then publishes no live-relay gauge for this backend.
     */
    default OptionalLong liveRelayCount() {
        return OptionalLong.empty();
    }

    /** Like {@link #liveRelayCount()}, for visible placements. The default is empty. */
    default OptionalLong visiblePlacementCount() {
        return OptionalLong.empty();
    }

    /** What TTLs this backend can honour; the core rejects shorter configured TTLs at start-up. */
    default TtlSupport ttlSupport() {
        return TtlSupport.MILLISECONDS;
    }

    /**
     * This backend for one call that must end by {@code deadline}: every storage wait of the
     * returned view is bounded by {@link CallDeadline#bound the lesser of the backend's timeout and
     * the time left}. The view shares everything with this backend; closing it is not needed.
     *
     * <p>The default returns this backend unchanged, bounded by its own timeout only, so backends
     * written before deadlines existed keep working.
     */
    default RegistryBackend boundedBy(CallDeadline deadline) {
        return this;
    }

    /**
     * Opens this backend's change feed, for watch streams. The server calls it once, with the
     * context it created the backend with, and closes the feed before the backend.
     *
     * <p>The default lists and compares every {@link PollingChangeFeed#DEFAULT_INTERVAL}: it works
     * with any backend but reads the whole fleet each time. Backends whose storage keeps a change
     * log (a stream, a watch, a change table) override it with a native feed.
     */
    default ChangeFeed changeFeed(BackendContext context) {
        return PollingChangeFeed.of(this, context, PollingChangeFeed.DEFAULT_INTERVAL);
    }

    /** Releases connections and threads. Never throws. */
    @Override
    void close();
}
