package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.AgentDeregistration;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.AgentRegistrationRequest;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.CallDeadline;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.TtlSupport;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.support.DurationText;
import io.aeroarc.registry.spi.support.Paging;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * The registry on etcd, shared by every registry server pointed at the same namespace.
 *
 * <p>Visibility is decided on every read from the expiry stored in each value, to the
 * millisecond; etcd leases only remove what nobody renews (see {@link LeaseBuckets}). A placement
 * names the relay incarnation it was made on, so it ends for good when that incarnation ends,
 * whatever keys are still waiting for their lease.
 *
 * <p>Every write is read, decide, then one transaction that compares the modification revision of
 * what was read: when another registry server wrote in between, nothing is written and the call
 * starts over, within its one timeout. That is how racing registrations through different servers
 * leave exactly one placement with increasing epochs.
 */
public final class EtcdBackend implements RegistryBackend {

    /**
     * Expiry is exact to the millisecond of the registry's clock (the value holds it); a second
     * is the shortest TTL accepted, so that a renewal's round trip and the clock skew between
     * registry servers stay a small part of it.
     */
    static final TtlSupport TTL_SUPPORT = new TtlSupport(Duration.ofSeconds(1), Duration.ofMillis(1));

    private static final int MIN_FETCH = 100;
    private static final int BATCH_CONCURRENCY = 4;
    private static final int CALL_CONCURRENCY = 64;

    private final EtcdConnection connection;
    private final EtcdCalls calls;
    private final KeyLayout keys;
    private final PlacementOps placements;
    private final LeaseBuckets leases;
    private final WriteTurns writeTurns;
    private final EtcdBatches batches;
    private final Clock clock;
    private final Duration timeout;
    /** The call's deadline in a per-call view (see {@link #boundedBy}); null in the backend itself. */
    private final CallDeadline callDeadline;

    EtcdBackend(EtcdConnection connection, EtcdSettings settings, Clock clock) {
        this.connection = connection;
        this.calls = new EtcdCalls(connection, settings.maxTxnOps());
        this.keys = new KeyLayout(settings.namespace());
        this.placements = new PlacementOps(keys);
        this.leases = new LeaseBuckets(calls, clock, settings.timeout());
        this.writeTurns = new WriteTurns();
        this.clock = clock;
        this.timeout = settings.timeout();
        this.batches = new EtcdBatches(calls, keys, placements, leases, clock, timeout);
        this.callDeadline = null;
    }

    /** A view for one call: shares everything with {@code base}, waits no longer than the call's time left. */
    private EtcdBackend(EtcdBackend base, CallDeadline callDeadline) {
        this.connection = base.connection;
        this.calls = base.calls;
        this.keys = base.keys;
        this.placements = base.placements;
        this.leases = base.leases;
        this.writeTurns = base.writeTurns;
        this.batches = base.batches;
        this.clock = base.clock;
        this.timeout = base.timeout;
        this.callDeadline = callDeadline;
    }

    @Override
    public RegistryBackend boundedBy(CallDeadline deadline) {
        return new EtcdBackend(this, deadline);
    }

    /** The bound of one call started now: the backend's timeout, or less when the call's deadline is nearer. */
    private Duration callTimeout() {
        return callDeadline == null ? timeout : callDeadline.bound(timeout);
    }

    // ---------------------------------------------------------------- relays

    @Override
    public long registerRelay(RelayRegistration registration, Duration ttl) {
        String relayId = registration.relayId();
        ByteSequence relayKey = keys.relay(relayId);
        return readDecideWrite("register relay " + relayId, relayId, List.of(relayKey), (stored, deadline) -> {
            long now = clock.millis();
            long expiresAt = now + ttl.toMillis();
            Optional<RelayValue> previous = stored.get(0).map(RelayValue::decode);
            boolean stayedLive = previous.isPresent() && previous.get().isLive(now);
            RelayValue next = stayedLive
                    ? previous.get().reregistered(registration, now, expiresAt)
                    : RelayValue.newIncarnation(registration, now, expiresAt);
            List<Op> ops = new ArrayList<>();
            ops.add(Op.put(relayKey, next.encode(), withLeaseFor(expiresAt, deadline)));
            if (previous.isPresent() && !stayedLive) {
                // The ended incarnation's entries are invisible already; free them now rather than at their leases' end.
                ops.add(deleteRange(keys.allRelayAgents(relayId, previous.get().incarnation())));
            }
            return Step.write(List.of(EtcdCalls.unchanged(relayKey, stored.get(0))), ops, written -> expiresAt);
        });
    }

    @Override
    public OptionalLong heartbeatRelay(String relayId, Duration ttl) {
        ByteSequence relayKey = keys.relay(relayId);
        return readDecideWrite("renew relay " + relayId, relayId, List.of(relayKey), (stored, deadline) -> {
            long now = clock.millis();
            Optional<RelayValue> relay = stored.get(0).map(RelayValue::decode).filter(r -> r.isLive(now));
            if (relay.isEmpty()) {
                return Step.answer(OptionalLong.empty());
            }
            long expiresAt = now + ttl.toMillis();
            Op put = Op.put(relayKey, relay.get().renewed(now, expiresAt).encode(), withLeaseFor(expiresAt, deadline));
            return Step.write(List.of(EtcdCalls.unchanged(relayKey, stored.get(0))), List.of(put), written -> OptionalLong.of(expiresAt));
        });
    }

    @Override
    public Optional<RelayRecord> getRelay(String relayId) {
        Deadline deadline = Deadline.after(callTimeout());
        Optional<RelayValue> relay = liveRelay(relayId, deadline);
        if (relay.isEmpty()) {
            return Optional.empty();
        }
        TxnResponse copies = calls.txn(List.of(), List.of(VisiblePlacements.read(keys, relayId, relay.get().incarnation())), deadline,
                "count the placements of relay " + relayId);
        int agentCount = VisiblePlacements.count(copies.getGetResponses().get(0), clock.millis());
        return Optional.of(relay.get().toRecord(relayId, agentCount));
    }

    @Override
    public boolean deregisterRelay(String relayId) {
        ByteSequence relayKey = keys.relay(relayId);
        return readDecideWrite("deregister relay " + relayId, relayId, List.of(relayKey), (stored, deadline) -> {
            long now = clock.millis();
            Optional<RelayValue> relay = stored.get(0).map(RelayValue::decode).filter(r -> r.isLive(now));
            if (relay.isEmpty()) {
                return Step.answer(false);
            }
            // Deleting the relay key alone ends every placement at once for readers, since they
            // check the incarnation; the relay's entries go with it to keep its lists clean.
            List<Op> ops = List.of(
                    deregisteredMarker("relay", relayId, now),
                    Op.delete(relayKey, DeleteOption.DEFAULT),
                    deleteRange(keys.allRelayAgents(relayId, relay.get().incarnation())));
            return Step.write(List.of(EtcdCalls.unchanged(relayKey, stored.get(0))), ops, written -> true);
        });
    }

    @Override
    public Page<RelayRecord> listRelays(Map<String, String> labelSelector, PageRequest page) {
        Deadline deadline = Deadline.after(callTimeout());
        Map<String, RelayValue> matched = new LinkedHashMap<>();
        String after = page.afterId();
        boolean more = true;
        while (more && matched.size() <= page.limit()) {
            GetResponse batch = calls.range(keys.relaysAfter(after), fetchSize(page), deadline, "list relays");
            long now = clock.millis();
            for (KeyValue kv : batch.getKvs()) {
                after = keys.relayIdOf(kv.getKey());
                RelayValue relay = RelayValue.decode(kv);
                if (relay.isLive(now) && relay.hasLabels(labelSelector)) {
                    matched.put(after, relay);
                }
            }
            more = batch.isMore();
        }
        List<String> relayIds = matched.keySet().stream().limit(page.limit()).toList();
        List<Op> copies = relayIds.stream().map(relayId -> VisiblePlacements.read(keys, relayId, matched.get(relayId).incarnation())).toList();
        List<GetResponse> read = calls.readAll(copies, deadline, "count the placements of relays");
        long now = clock.millis();
        List<RelayRecord> items = new ArrayList<>(relayIds.size());
        for (int i = 0; i < relayIds.size(); i++) {
            items.add(matched.get(relayIds.get(i)).toRecord(relayIds.get(i), VisiblePlacements.count(read.get(i), now)));
        }
        return new Page<>(items, matched.size() > page.limit());
    }

    // ---------------------------------------------------------------- agents

    @Override
    public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
        ByteSequence relayKey = keys.relay(relayId);
        ByteSequence agentKey = keys.agent(agentId);
        return readDecideWrite("register agent " + agentId, agentId, List.of(relayKey, agentKey), (stored, deadline) -> {
            long now = clock.millis();
            Optional<RelayValue> relay = stored.get(0).map(RelayValue::decode).filter(r -> r.isLive(now));
            if (relay.isEmpty()) {
                return Step.answer(Optional.<PlacementRecord>empty());
            }
            Optional<PlacementValue> current = stored.get(1).map(PlacementValue::decode);
            boolean staysOnRelay = current.isPresent() && current.get().isOn(relayId, relay.get()) && current.get().isLive(now);
            long expiresAt = now + ttl.toMillis();
            PlacementValue next = staysOnRelay
                    ? current.get().renewed(now, expiresAt)
                    : PlacementValue.created(relayId, relay.get().incarnation(), now, expiresAt);
            List<Op> ops = placements.write(agentId, current, next, leases.leaseFor(expiresAt, deadline));
            // Comparing the relay too keeps a placement off an incarnation that ended meanwhile.
            List<Cmp> unchanged = List.of(EtcdCalls.unchanged(relayKey, stored.get(0)), EtcdCalls.unchanged(agentKey, stored.get(1)));
            return Step.write(unchanged, ops, written -> {
                long epoch = staysOnRelay ? next.epoch() : written.getHeader().getRevision();
                return Optional.of(new PlacementRecord(agentId, relayId, epoch, now, expiresAt));
            });
        });
    }

    @Override
    public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
        ByteSequence agentKey = keys.agent(agentId);
        return readDecideWrite("renew agent " + agentId, agentId, List.of(agentKey), (stored, deadline) -> {
            long now = clock.millis();
            Optional<PlacementValue> current = stored.get(0).map(PlacementValue::decode).filter(p -> p.isLive(now));
            if (current.isEmpty()) {
                return Step.answer(new AgentHeartbeat.NotFound());
            }
            PlacementValue placement = current.get();
            if (!fence.admits(placement.relayId(), placement.epoch())) {
                return Step.answer(isOnLiveRelay(placement, deadline)
                        ? new AgentHeartbeat.Fenced(placement.relayId(), placement.epoch())
                        : new AgentHeartbeat.NotFound());
            }
            long expiresAt = now + ttl.toMillis();
            List<Op> ops = new ArrayList<>(placements.write(agentId, current, placement.renewed(now, expiresAt),
                    leases.leaseFor(expiresAt, deadline)));
            // Read the relay in the same transaction instead of a round trip before it.
            ops.add(EtcdCalls.getOp(keys.relay(placement.relayId())));
            return Step.write(List.of(EtcdCalls.unchanged(agentKey, stored.get(0))), ops, written -> {
                Optional<RelayValue> relay = firstValue(written.getGetResponses().get(0)).map(RelayValue::decode);
                // When the relay incarnation ended, the renewal wrote to a placement that stays ended.
                boolean visible = relay.isPresent() && relay.get().isLive(now) && placement.isOnIncarnationOf(relay.get());
                return visible ? new AgentHeartbeat.Renewed(expiresAt) : new AgentHeartbeat.NotFound();
            });
        });
    }

    @Override
    public Optional<BatchRenewal> heartbeatAgents(String relayId, List<String> agentIds, Duration ttl) {
        return new BatchHeartbeat(relayId, ttl).run(agentIds);
    }

    @Override
    public List<AgentHeartbeat> heartbeatAgentBatch(List<AgentHeartbeatRequest> requests, Duration ttl) {
        return batches.heartbeat(requests, ttl);
    }

    @Override
    public List<Optional<RelayPlacement>> getPlacementBatch(List<String> agentIds) {
        return batches.lookup(agentIds);
    }

    @Override
    public List<Optional<PlacementRecord>> registerAgentBatch(List<AgentRegistrationRequest> requests, Duration ttl) {
        return batches.register(requests, ttl);
    }

    /** Registrations in a batch share a few transactions: one raft proposal for many agents. */
    @Override
    public boolean batchesRegistrations() {
        return true;
    }

    /**
     * One client channel carries every call and etcd applies writes one after another, so a few
     * batches at once keep it busy; more would only queue there.
     */
    @Override
    public int batchConcurrency() {
        return BATCH_CONCURRENCY;
    }

    /**
     * No pool limits calls here, and a relay registration or renewal holds its thread for two
     * round trips, one of them through raft: with 16 threads, 1,000 relays renewing every 10 s took
     * every thread once etcd answered in about 160 ms, and calls that hold no thread while they wait
     * (agent heartbeats, lookups) were shed waiting to start.
     */
    @Override
    public int callConcurrency() {
        return CALL_CONCURRENCY;
    }

    @Override
    public AgentDeregistration deregisterAgent(String agentId, String relayId) {
        ByteSequence agentKey = keys.agent(agentId);
        ByteSequence relayKey = keys.relay(relayId);
        return readDecideWrite("deregister agent " + agentId, agentId, List.of(agentKey, relayKey), (stored, deadline) -> {
            long now = clock.millis();
            Optional<PlacementValue> current = stored.get(0).map(PlacementValue::decode).filter(p -> p.isLive(now));
            if (current.isEmpty()) {
                return Step.answer(new AgentDeregistration.NotFound());
            }
            PlacementValue placement = current.get();
            if (!placement.relayId().equals(relayId)) {
                return Step.answer(isOnLiveRelay(placement, deadline)
                        ? new AgentDeregistration.Fenced(placement.relayId())
                        : new AgentDeregistration.NotFound());
            }
            Optional<RelayValue> relay = stored.get(1).map(RelayValue::decode).filter(r -> r.isLive(now));
            if (relay.isEmpty() || !placement.isOn(relayId, relay.get())) {
                return Step.answer(new AgentDeregistration.NotFound());
            }
            List<Op> ops = new ArrayList<>(placements.remove(agentId, placement));
            ops.add(0, deregisteredMarker("agent", agentId, now));
            return Step.write(List.of(EtcdCalls.unchanged(agentKey, stored.get(0))), ops, written -> new AgentDeregistration.Removed());
        });
    }

    @Override
    public Optional<RelayPlacement> getPlacement(String agentId) {
        Deadline deadline = Deadline.after(callTimeout());
        Optional<KeyValue> stored = calls.get(keys.agent(agentId), deadline, "read placement of " + agentId);
        long now = clock.millis();
        Optional<PlacementValue> current = stored.map(PlacementValue::decode).filter(p -> p.isLive(now));
        if (current.isEmpty()) {
            return Optional.empty();
        }
        PlacementValue placement = current.get();
        // The relay and its placement count in one round trip.
        List<Op> reads = List.of(
                EtcdCalls.getOp(keys.relay(placement.relayId())),
                VisiblePlacements.read(keys, placement.relayId(), placement.incarnation()));
        TxnResponse read = calls.txn(List.of(), reads, deadline, "read relay " + placement.relayId());
        Optional<RelayValue> relay = firstValue(read.getGetResponses().get(0)).map(RelayValue::decode);
        if (relay.isEmpty() || !relay.get().isLive(now) || !placement.isOnIncarnationOf(relay.get())) {
            return Optional.empty();
        }
        int agentCount = VisiblePlacements.count(read.getGetResponses().get(1), now);
        RelayRecord relayRecord = relay.get().toRecord(placement.relayId(), agentCount);
        return Optional.of(new RelayPlacement(placement.toRecord(agentId), relayRecord));
    }

    @Override
    public List<PlacementRecord> getPlacements(List<String> agentIds) {
        if (agentIds.isEmpty()) {
            return List.of();
        }
        Deadline deadline = Deadline.after(callTimeout());
        List<Optional<KeyValue>> stored = calls.getAll(agentIds.stream().map(keys::agent).toList(), deadline, "read placements");
        long now = clock.millis();
        Map<String, PlacementValue> live = new LinkedHashMap<>();
        for (int i = 0; i < agentIds.size(); i++) {
            String agentId = agentIds.get(i);
            stored.get(i).map(PlacementValue::decode).filter(p -> p.isLive(now)).ifPresent(p -> live.put(agentId, p));
        }
        Map<String, RelayValue> relays = liveRelays(live.values().stream().map(PlacementValue::relayId).toList(), deadline);
        List<PlacementRecord> found = new ArrayList<>(live.size());
        live.forEach((agentId, placement) -> {
            if (isOnLiveRelay(placement, relays)) {
                found.add(placement.toRecord(agentId));
            }
        });
        return found;
    }

    @Override
    public Page<PlacementRecord> listAgents(Optional<String> relayId, PageRequest page) {
        Deadline deadline = Deadline.after(callTimeout());
        return relayId.isPresent() ? listAgentsOf(relayId.get(), page, deadline) : listAllAgents(page, deadline);
    }

    /** Walks the relay incarnation's own entries: the other relays' agents are never read. */
    private Page<PlacementRecord> listAgentsOf(String relayId, PageRequest page, Deadline deadline) {
        Optional<RelayValue> relay = liveRelay(relayId, deadline);
        if (relay.isEmpty()) {
            return new Page<>(List.of(), false);
        }
        String incarnation = relay.get().incarnation();
        List<PlacementRecord> items = new ArrayList<>();
        String after = page.afterId();
        boolean more = true;
        while (more && items.size() <= page.limit()) {
            GetResponse batch = calls.range(keys.relayAgentsAfter(relayId, incarnation, after), fetchSize(page), deadline,
                    "list the agents of relay " + relayId);
            long now = clock.millis();
            for (KeyValue kv : batch.getKvs()) {
                after = keys.agentIdOfRelayAgent(kv.getKey(), relayId, incarnation);
                PlacementValue placement = PlacementValue.decode(kv);
                if (placement.isLive(now)) {
                    items.add(placement.toRecord(after));
                }
            }
            more = batch.isMore();
        }
        return Paging.of(items, page);
    }

    private Page<PlacementRecord> listAllAgents(PageRequest page, Deadline deadline) {
        Map<String, RelayValue> relays = new HashMap<>();
        List<PlacementRecord> items = new ArrayList<>();
        String after = page.afterId();
        boolean more = true;
        while (more && items.size() <= page.limit()) {
            GetResponse batch = calls.range(keys.agentsAfter(after), fetchSize(page), deadline, "list agents");
            long now = clock.millis();
            Map<String, PlacementValue> live = new LinkedHashMap<>();
            for (KeyValue kv : batch.getKvs()) {
                after = keys.agentIdOf(kv.getKey());
                PlacementValue placement = PlacementValue.decode(kv);
                if (placement.isLive(now)) {
                    live.put(after, placement);
                }
            }
            List<String> unknownRelays = live.values().stream().map(PlacementValue::relayId)
                    .filter(id -> !relays.containsKey(id)).toList();
            relays.putAll(liveRelays(unknownRelays, deadline));
            live.forEach((agentId, placement) -> {
                if (isOnLiveRelay(placement, relays)) {
                    items.add(placement.toRecord(agentId));
                }
            });
            more = batch.isMore();
        }
        return Paging.of(items, page);
    }

    @Override
    public void probe() {
        calls.probe(keys.probe(), Deadline.after(timeout));
    }

    @Override
    public TtlSupport ttlSupport() {
        return TTL_SUPPORT;
    }

    /**
     * A native feed on etcd's watch: see {@link EtcdChangeFeed}. Renewals cost it no storage
     * writes; it reads the fleet once per subscription.
     */
    @Override
    public ChangeFeed changeFeed(BackendContext context) {
        return new EtcdChangeFeed(calls, keys, leases, connection, context.clock(), timeout);
    }

    @Override
    public void close() {
        connection.close();
    }

    // ---------------------------------------------------------------- batch renewal

    /**
     * One {@link #heartbeatAgents} call: read the relay and every placement, then renew the ones
     * still on this relay incarnation in transactions of {@link PlacementOps#OPS_PER_RENEWAL}
     * operations each, all sent at once. A transaction overtaken by another write is read and
     * decided again, with only its own agents.
     */
    private final class BatchHeartbeat {

        private final String relayId;
        private final Duration ttl;
        private final Deadline deadline = Deadline.after(callTimeout());
        private final List<String> lost = new ArrayList<>();
        private long expiresAt = -1;

        BatchHeartbeat(String relayId, Duration ttl) {
            this.relayId = relayId;
            this.ttl = ttl;
        }

        Optional<BatchRenewal> run(List<String> agentIds) {
            List<String> pending = agentIds;
            while (true) {
                try {
                    Optional<Round> round = renew(pending);
                    if (round.isEmpty()) {
                        return Optional.empty();
                    }
                    lost.addAll(round.get().lost());
                    pending = round.get().overtaken();
                } catch (StaleLeaseException e) {
                    leases.forgetAll();
                }
                if (pending.isEmpty()) {
                    return Optional.of(new BatchRenewal(expiresAt, lost));
                }
                checkTimeLeft(deadline, "renew the agents of relay " + relayId);
            }
        }

        /** One read and one set of transactions; empty when the relay is not live. */
        private Optional<Round> renew(List<String> agentIds) {
            List<ByteSequence> toRead = new ArrayList<>(agentIds.size() + 1);
            toRead.add(keys.relay(relayId));
            agentIds.forEach(agentId -> toRead.add(keys.agent(agentId)));
            List<Optional<KeyValue>> stored = calls.getAll(toRead, deadline, "read relay and placements");
            long now = clock.millis();
            Optional<RelayValue> relay = stored.get(0).map(RelayValue::decode).filter(r -> r.isLive(now));
            if (relay.isEmpty()) {
                return Optional.empty();
            }
            if (expiresAt < 0) {
                expiresAt = now + ttl.toMillis();
            }
            List<String> lostNow = new ArrayList<>();
            List<String> renewing = new ArrayList<>();
            List<EtcdCalls.Transaction> transactions = new ArrayList<>();
            List<Cmp> comparisons = new ArrayList<>();
            List<Op> ops = new ArrayList<>();
            int perTransaction = Math.max(1, calls.maxTxnOps() / PlacementOps.OPS_PER_RENEWAL);
            long lease = -1;
            for (int i = 0; i < agentIds.size(); i++) {
                String agentId = agentIds.get(i);
                Optional<KeyValue> kv = stored.get(i + 1);
                Optional<PlacementValue> placement = kv.map(PlacementValue::decode);
                if (placement.isEmpty() || !placement.get().isOn(relayId, relay.get()) || !placement.get().isLive(now)) {
                    lostNow.add(agentId);
                    continue;
                }
                if (lease < 0) {
                    lease = leases.leaseFor(expiresAt, deadline);
                }
                renewing.add(agentId);
                comparisons.add(EtcdCalls.unchanged(keys.agent(agentId), kv));
                ops.addAll(placements.write(agentId, placement, placement.get().renewed(now, expiresAt), lease));
                if (comparisons.size() == perTransaction) {
                    transactions.add(new EtcdCalls.Transaction(comparisons, ops));
                    comparisons = new ArrayList<>();
                    ops = new ArrayList<>();
                }
            }
            if (!comparisons.isEmpty()) {
                transactions.add(new EtcdCalls.Transaction(comparisons, ops));
            }
            List<TxnResponse> written = calls.txnAll(transactions, deadline, "renew the agents of relay " + relayId);
            List<String> overtaken = new ArrayList<>();
            for (int t = 0; t < written.size(); t++) {
                if (!written.get(t).isSucceeded()) {
                    int first = t * perTransaction;
                    overtaken.addAll(renewing.subList(first, Math.min(renewing.size(), first + perTransaction)));
                }
            }
            return Optional.of(new Round(lostNow, overtaken));
        }
    }

    /**
     * What one round of a batch renewal found: agents not on the relay, and agents whose
     * transaction another write overtook, to be read and decided again.
     */
    private record Round(List<String> lost, List<String> overtaken) {}

    // ---------------------------------------------------------------- helpers

    /**
     * Reads {@code toRead}, decides, and writes on the condition that what the decision rests on
     * was not written meanwhile. When another registry server wrote first, the failed transaction
     * returns the keys' new values and the call decides again from them: one round trip per
     * retry, all within one timeout. Writes of one entry through this instance take turns (see
     * {@link WriteTurns}).
     */
    private <T> T readDecideWrite(String action, String entryId, List<ByteSequence> toRead, Decision<T> decision) {
        Deadline deadline = Deadline.after(callTimeout());
        return writeTurns.inTurn(entryId, deadline, action, () -> {
            List<Optional<KeyValue>> stored = calls.getAll(toRead, deadline, action);
            while (true) {
                Step<T> step = decision.decide(stored, deadline);
                if (step instanceof Step.Answer<T> answer) {
                    return answer.value();
                }
                Step.Write<T> write = (Step.Write<T>) step;
                try {
                    TxnResponse written = calls.txnElseRead(write.comparisons(), write.operations(), toRead, deadline, action);
                    if (written.isSucceeded()) {
                        return write.result().apply(written);
                    }
                    stored = written.getGetResponses().stream().map(EtcdBackend::firstValue).toList();
                } catch (StaleLeaseException e) {
                    leases.forgetAll();
                    stored = calls.getAll(toRead, deadline, action);
                }
                checkTimeLeft(deadline, action);
            }
        });
    }

    /**
     * Gives up when the call's time is over. There is no pause before the next attempt: etcd
     * applies transactions one at a time, so among racing writers one always succeeds, and a
     * pause that grows with failures would only make the unlucky writers lose more often.
     */
    private void checkTimeLeft(Deadline deadline, String action) {
        if (deadline.isExpired()) {
            throw new BackendUnavailableException("etcd: could not " + action + " within the timeout of " + format(timeout)
                    + ": every attempt was overtaken by a concurrent write");
        }
    }

    /**
     * Written with a deregistration's deletes, in its transaction: a change feed sees it at the
     * same revision and reports those deletes as DEREGISTERED (at {@code nowMs}), where deletes
     * by a lease are expiries. One key, overwritten by every deregistration, never deleted.
     */
    private Op deregisteredMarker(String kind, String id, long nowMs) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(kind, id);
        fields.put("at", Long.toString(nowMs));
        return Op.put(keys.deregisteredMarker(), FieldCodec.encode(fields), PutOption.DEFAULT);
    }

    private PutOption withLeaseFor(long expiresAtMs, Deadline deadline) {
        return PutOption.builder().withLeaseId(leases.leaseFor(expiresAtMs, deadline)).build();
    }

    private Optional<RelayValue> liveRelay(String relayId, Deadline deadline) {
        Optional<KeyValue> stored = calls.get(keys.relay(relayId), deadline, "read relay " + relayId);
        long now = clock.millis();
        return stored.map(RelayValue::decode).filter(r -> r.isLive(now));
    }

    /** Whether the placement's relay incarnation is live: with its own TTL valid, whether it is visible. */
    private boolean isOnLiveRelay(PlacementValue placement, Deadline deadline) {
        return liveRelay(placement.relayId(), deadline).filter(relay -> placement.isOnIncarnationOf(relay)).isPresent();
    }

    /** The live ones among the relays, by id. */
    private Map<String, RelayValue> liveRelays(List<String> relayIds, Deadline deadline) {
        List<String> distinct = List.copyOf(new LinkedHashSet<>(relayIds));
        List<Optional<KeyValue>> stored = calls.getAll(distinct.stream().map(keys::relay).toList(), deadline, "read relays");
        long now = clock.millis();
        Map<String, RelayValue> live = new HashMap<>();
        for (int i = 0; i < distinct.size(); i++) {
            String relayId = distinct.get(i);
            stored.get(i).map(RelayValue::decode).filter(r -> r.isLive(now)).ifPresent(r -> live.put(relayId, r));
        }
        return live;
    }

    private static boolean isOnLiveRelay(PlacementValue placement, Map<String, RelayValue> liveRelays) {
        RelayValue relay = liveRelays.get(placement.relayId());
        return relay != null && placement.isOnIncarnationOf(relay);
    }

    /**
     * Keys read per round trip of a list: one more than the page to know whether more follow,
     * and no fewer than {@link #MIN_FETCH} so that entries a list skips (expired, other labels)
     * do not cost a round trip each few keys.
     */
    private static int fetchSize(PageRequest page) {
        return Math.max(Paging.fetchSize(page), MIN_FETCH);
    }

    private static Optional<KeyValue> firstValue(GetResponse response) {
        return response.getKvs().stream().findFirst();
    }


    private static Op deleteRange(KeyLayout.KeyRange range) {
        return Op.delete(range.start(), DeleteOption.builder().withRange(range.end()).build());
    }

    /** Decides, from the values read (empty for absent keys), what to answer or write. */
    @FunctionalInterface
    private interface Decision<T> {
        Step<T> decide(List<Optional<KeyValue>> stored, Deadline deadline);
    }

    /** A decision: answer without writing, or write on a condition and answer from the response. */
    private sealed interface Step<T> {

        static <T> Step<T> answer(T value) {
            return new Answer<>(value);
        }

        static <T> Step<T> write(List<Cmp> comparisons, List<Op> operations, Function<TxnResponse, T> result) {
            return new Write<>(comparisons, operations, result);
        }

        record Answer<T>(T value) implements Step<T> {}

        record Write<T>(List<Cmp> comparisons, List<Op> operations, Function<TxnResponse, T> result) implements Step<T> {}
    }

    private static String format(Duration duration) {
        return DurationText.format(duration);
    }
}
