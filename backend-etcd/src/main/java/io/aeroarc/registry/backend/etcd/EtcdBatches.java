package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.AgentRegistrationRequest;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.support.DurationText;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The batches of independent single-agent calls ({@code heartbeatAgentBatch},
 * {@code registerAgentBatch}, {@code getPlacementBatch}) of {@link EtcdBackend}: each item decided exactly as the single call
 * decides it, with the reads and writes of all items sent together.
 *
 * <p>A heartbeat batch reads every placement (one range of transactions sent at once), then
 * renews the admitted ones in as few transactions as {@code max-txn-ops} allows, each comparing the
 * revisions it read and reading the items' relays in the same transaction, as a single renewal
 * does. A transaction overtaken by another write is read and decided again with only its own
 * agents, within the one timeout.
 */
final class EtcdBatches {

    private final EtcdCalls calls;
    private final KeyLayout keys;
    private final PlacementOps placements;
    private final LeaseBuckets leases;
    private final Clock clock;
    private final Duration timeout;

    EtcdBatches(EtcdCalls calls, KeyLayout keys, PlacementOps placements, LeaseBuckets leases, Clock clock, Duration timeout) {
        this.calls = calls;
        this.keys = keys;
        this.placements = placements;
        this.leases = leases;
        this.clock = clock;
        this.timeout = timeout;
    }

    List<AgentHeartbeat> heartbeat(List<AgentHeartbeatRequest> requests, Duration ttl) {
        AgentHeartbeat[] results = new AgentHeartbeat[requests.size()];
        Deadline deadline = Deadline.after(timeout);
        inRounds(requests.stream().map(AgentHeartbeatRequest::agentId).toList(), deadline, leases, "renew",
                items -> heartbeatOnce(requests, items, ttl, results, deadline));
        return List.of(results);
    }

    /** One read and one set of transactions for some items of a batch; returns the items overtaken. */
    @FunctionalInterface
    private interface BatchStep {
        List<Integer> run(List<Integer> items);
    }

    /**
     * Runs {@code step} over the items of a batch until none is overtaken, within {@code deadline}.
     * Round k holds the k-th occurrence of each agent, so no transaction writes one key twice and
     * later occurrences see what earlier ones wrote. A lease etcd no longer knows is forgotten and
     * the step run again.
     */
    private static void inRounds(List<String> agentIds, Deadline deadline, LeaseBuckets leases, String verb, BatchStep step) {
        for (List<Integer> round : distinctRounds(agentIds)) {
            List<Integer> pending = round;
            while (!pending.isEmpty()) {
                try {
                    pending = step.run(pending);
                } catch (StaleLeaseException e) {
                    leases.forgetAll();
                }
                if (!pending.isEmpty() && deadline.isExpired()) {
                    throw new BackendUnavailableException("etcd: could not " + verb + " a batch of " + agentIds.size()
                            + " agents within the timeout of " + DurationText.format(deadline.timeout())
                            + ": every attempt was overtaken by a concurrent write");
                }
            }
        }
    }

    /** One read and one set of transactions for distinct agents; returns the items overtaken. */
    private List<Integer> heartbeatOnce(List<AgentHeartbeatRequest> requests, List<Integer> items, Duration ttl,
            AgentHeartbeat[] results, Deadline deadline) {
        List<Optional<KeyValue>> stored = calls.getAll(
                items.stream().map(index -> keys.agent(requests.get(index).agentId())).toList(), deadline, "read placements");
        long now = clock.millis();
        long expiresAt = now + ttl.toMillis();
        int maxOps = calls.maxTxnOps();
        List<HeartbeatTxn> batches = new ArrayList<>();
        HeartbeatTxn open = null;
        long lease = -1;
        for (int i = 0; i < items.size(); i++) {
            int index = items.get(i);
            AgentHeartbeatRequest request = requests.get(index);
            Optional<KeyValue> kv = stored.get(i);
            Optional<PlacementValue> current = kv.map(PlacementValue::decode).filter(p -> p.isLive(now));
            if (current.isEmpty()) {
                results[index] = new AgentHeartbeat.NotFound();
                continue;
            }
            PlacementValue placement = current.get();
            if (lease < 0) {
                lease = leases.leaseFor(expiresAt, deadline);
            }
            // A fenced item writes nothing but still needs its relay read, to tell fenced from ended.
            boolean admitted = request.fence().admits(placement.relayId(), placement.epoch());
            List<Op> writes = admitted
                    ? placements.write(request.agentId(), current, placement.renewed(now, expiresAt), lease)
                    : List.of();
            boolean newRelay = open == null || !open.relays.containsKey(placement.relayId());
            if (open == null || open.ops.size() + writes.size() + (newRelay ? 1 : 0) > maxOps || open.comparisons.size() + 1 > maxOps) {
                open = new HeartbeatTxn();
                batches.add(open);
            }
            open.add(index, placement, admitted, kv.get(), writes, keys);
        }
        List<TxnResponse> written = calls.txnAll(
                batches.stream().map(b -> new EtcdCalls.Transaction(b.comparisons, b.ops)).toList(), deadline, "renew agents");
        List<Integer> overtaken = new ArrayList<>();
        for (int t = 0; t < batches.size(); t++) {
            HeartbeatTxn batch = batches.get(t);
            if (!written.get(t).isSucceeded()) {
                overtaken.addAll(batch.items);
                continue;
            }
            Map<String, Optional<RelayValue>> relays = new HashMap<>();
            List<GetResponse> reads = written.get(t).getGetResponses();
            batch.relays.forEach((relayId, position) -> relays.put(relayId, firstValue(reads.get(position)).map(RelayValue::decode)));
            for (int k = 0; k < batch.items.size(); k++) {
                PlacementValue placement = batch.placements.get(k);
                Optional<RelayValue> relay = relays.get(placement.relayId());
                boolean visible = relay.isPresent() && relay.get().isLive(now) && placement.isOnIncarnationOf(relay.get());
                if (!visible) {
                    results[batch.items.get(k)] = new AgentHeartbeat.NotFound();
                } else if (batch.admitted.get(k)) {
                    results[batch.items.get(k)] = new AgentHeartbeat.Renewed(expiresAt);
                } else {
                    results[batch.items.get(k)] = new AgentHeartbeat.Fenced(placement.relayId(), placement.epoch());
                }
            }
        }
        return overtaken;
    }

    /**
     * {@link EtcdBackend}'s {@code registerAgentBatch}: each item decided exactly as
     * {@code registerAgent} decides it, so a fleet coming up costs etcd a few raft proposals per
     * batch instead of one per agent. One read of every item's relay and placement; then the items
     * whose relay is live are written in as few transactions as {@code max-txn-ops} allows, all
     * sent at once, each comparing the revisions it read of its agents' and relays' keys (so no
     * placement lands on a relay incarnation that ended meanwhile). A created or moved placement
     * takes its transaction's revision as its epoch, as a single registration does.
     */
    List<Optional<PlacementRecord>> register(List<AgentRegistrationRequest> requests, Duration ttl) {
        @SuppressWarnings("unchecked")
        Optional<PlacementRecord>[] results = new Optional[requests.size()];
        Deadline deadline = Deadline.after(timeout);
        inRounds(requests.stream().map(AgentRegistrationRequest::agentId).toList(), deadline, leases, "register",
                items -> registerOnce(requests, items, ttl, results, deadline));
        return List.of(results);
    }

    /** One read and one set of transactions for distinct agents; returns the items overtaken. */
    private List<Integer> registerOnce(List<AgentRegistrationRequest> requests, List<Integer> items, Duration ttl,
            Optional<PlacementRecord>[] results, Deadline deadline) {
        List<String> relayIds = new ArrayList<>(new LinkedHashSet<>(items.stream().map(i -> requests.get(i).relayId()).toList()));
        List<ByteSequence> toRead = new ArrayList<>(relayIds.size() + items.size());
        relayIds.forEach(relayId -> toRead.add(keys.relay(relayId)));
        items.forEach(index -> toRead.add(keys.agent(requests.get(index).agentId())));
        List<Optional<KeyValue>> stored = calls.getAll(toRead, deadline, "read relays and placements");
        Map<String, Optional<KeyValue>> relayReads = new HashMap<>();
        for (int r = 0; r < relayIds.size(); r++) {
            relayReads.put(relayIds.get(r), stored.get(r));
        }
        long now = clock.millis();
        long expiresAt = now + ttl.toMillis();
        int maxOps = calls.maxTxnOps();
        List<RegistrationTxn> batches = new ArrayList<>();
        RegistrationTxn open = null;
        long lease = -1;
        for (int i = 0; i < items.size(); i++) {
            int index = items.get(i);
            AgentRegistrationRequest request = requests.get(index);
            Optional<KeyValue> relayRead = relayReads.get(request.relayId());
            Optional<RelayValue> relay = relayRead.map(RelayValue::decode).filter(r -> r.isLive(now));
            if (relay.isEmpty()) {
                results[index] = Optional.empty();
                continue;
            }
            Optional<KeyValue> agentRead = stored.get(relayIds.size() + i);
            Optional<PlacementValue> current = agentRead.map(PlacementValue::decode);
            boolean staysOnRelay = current.isPresent() && current.get().isOn(request.relayId(), relay.get()) && current.get().isLive(now);
            PlacementValue next = staysOnRelay
                    ? current.get().renewed(now, expiresAt)
                    : PlacementValue.created(request.relayId(), relay.get().incarnation(), now, expiresAt);
            if (lease < 0) {
                lease = leases.leaseFor(expiresAt, deadline);
            }
            List<Op> writes = placements.write(request.agentId(), current, next, lease);
            boolean newRelay = open == null || !open.comparedRelays.contains(request.relayId());
            if (open == null || open.ops.size() + writes.size() > maxOps || open.comparisons.size() + (newRelay ? 2 : 1) > maxOps) {
                open = new RegistrationTxn();
                batches.add(open);
            }
            if (open.comparedRelays.add(request.relayId())) {
                // Comparing the relay too keeps a placement off an incarnation that ended meanwhile.
                open.comparisons.add(EtcdCalls.unchanged(keys.relay(request.relayId()), relayRead));
            }
            open.comparisons.add(EtcdCalls.unchanged(keys.agent(request.agentId()), agentRead));
            open.ops.addAll(writes);
            open.items.add(index);
            open.keptEpochs.add(staysOnRelay ? next.epoch() : PlacementValue.EPOCH_OF_THIS_WRITE);
        }
        List<TxnResponse> written = calls.txnAll(
                batches.stream().map(b -> new EtcdCalls.Transaction(b.comparisons, b.ops)).toList(), deadline, "register agents");
        List<Integer> overtaken = new ArrayList<>();
        for (int t = 0; t < batches.size(); t++) {
            RegistrationTxn batch = batches.get(t);
            if (!written.get(t).isSucceeded()) {
                overtaken.addAll(batch.items);
                continue;
            }
            long revision = written.get(t).getHeader().getRevision();
            for (int k = 0; k < batch.items.size(); k++) {
                int index = batch.items.get(k);
                AgentRegistrationRequest request = requests.get(index);
                long kept = batch.keptEpochs.get(k);
                long epoch = kept == PlacementValue.EPOCH_OF_THIS_WRITE ? revision : kept;
                results[index] = Optional.of(new PlacementRecord(request.agentId(), request.relayId(), epoch, now, expiresAt));
            }
        }
        return overtaken;
    }

    List<Optional<RelayPlacement>> lookup(List<String> agentIds) {
        if (agentIds.isEmpty()) {
            return List.of();
        }
        Deadline deadline = Deadline.after(timeout);
        List<String> distinct = List.copyOf(new LinkedHashSet<>(agentIds));
        List<Optional<KeyValue>> stored = calls.getAll(distinct.stream().map(keys::agent).toList(), deadline, "read placements");
        long now = clock.millis();
        Map<String, PlacementValue> live = new LinkedHashMap<>();
        for (int i = 0; i < distinct.size(); i++) {
            String agentId = distinct.get(i);
            stored.get(i).map(PlacementValue::decode).filter(p -> p.isLive(now)).ifPresent(p -> live.put(agentId, p));
        }
        // Each relay incarnation once: its value and its placement count, as getPlacement reads them.
        List<String> incarnations = new ArrayList<>();
        Map<String, PlacementValue> exampleOf = new LinkedHashMap<>();
        live.values().forEach(p -> exampleOf.putIfAbsent(p.relayId() + "\n" + p.incarnation(), p));
        List<EtcdCalls.Transaction> reads = new ArrayList<>();
        List<Op> ops = new ArrayList<>();
        int perTransaction = Math.max(1, calls.maxTxnOps() / 2);
        for (Map.Entry<String, PlacementValue> entry : exampleOf.entrySet()) {
            PlacementValue placement = entry.getValue();
            incarnations.add(entry.getKey());
            ops.add(EtcdCalls.getOp(keys.relay(placement.relayId())));
            ops.add(VisiblePlacements.read(keys, placement.relayId(), placement.incarnation()));
            if (ops.size() / 2 == perTransaction) {
                reads.add(new EtcdCalls.Transaction(List.of(), ops));
                ops = new ArrayList<>();
            }
        }
        if (!ops.isEmpty()) {
            reads.add(new EtcdCalls.Transaction(List.of(), ops));
        }
        List<GetResponse> answers = new ArrayList<>();
        for (TxnResponse response : calls.txnAll(reads, deadline, "read relays")) {
            answers.addAll(response.getGetResponses());
        }
        Map<String, RelayRecord> relays = new HashMap<>();
        for (int i = 0; i < incarnations.size(); i++) {
            PlacementValue placement = exampleOf.get(incarnations.get(i));
            Optional<RelayValue> relay = firstValue(answers.get(2 * i)).map(RelayValue::decode);
            if (relay.isPresent() && relay.get().isLive(now) && placement.isOnIncarnationOf(relay.get())) {
                relays.put(incarnations.get(i), relay.get().toRecord(placement.relayId(), VisiblePlacements.count(answers.get(2 * i + 1), now)));
            }
        }
        List<Optional<RelayPlacement>> results = new ArrayList<>(agentIds.size());
        for (String agentId : agentIds) {
            PlacementValue placement = live.get(agentId);
            RelayRecord relay = placement == null ? null : relays.get(placement.relayId() + "\n" + placement.incarnation());
            results.add(relay == null ? Optional.empty() : Optional.of(new RelayPlacement(placement.toRecord(agentId), relay)));
        }
        return results;
    }

    /** Indexes of a batch's items, by their agent ids, in rounds in which no agent appears twice. */
    private static List<List<Integer>> distinctRounds(List<String> agentIds) {
        List<List<Integer>> rounds = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < agentIds.size(); i++) {
            int round = seen.merge(agentIds.get(i), 0, (before, zero) -> before + 1);
            if (round == rounds.size()) {
                rounds.add(new ArrayList<>());
            }
            rounds.get(round).add(i);
        }
        return rounds;
    }

    private static Optional<KeyValue> firstValue(GetResponse response) {
        return response.getKvs().stream().findFirst();
    }

    /** One transaction of a heartbeat batch: its items' comparisons and writes, and a read of each of their relays. */
    private static final class HeartbeatTxn {

        final List<Integer> items = new ArrayList<>();
        final List<PlacementValue> placements = new ArrayList<>();
        final List<Boolean> admitted = new ArrayList<>();
        final List<Cmp> comparisons = new ArrayList<>();
        final List<Op> ops = new ArrayList<>();
        /** Relay id to the index of its read among the transaction's get responses. */
        final Map<String, Integer> relays = new LinkedHashMap<>();
        void add(int index, PlacementValue placement, boolean admitted, KeyValue read, List<Op> writes, KeyLayout keys) {
            items.add(index);
            placements.add(placement);
            this.admitted.add(admitted);
            // Fenced items compare too: their answer rests on what was read.
            comparisons.add(EtcdCalls.unchanged(read.getKey(), Optional.of(read)));
            ops.addAll(writes);
            if (!relays.containsKey(placement.relayId())) {
                relays.put(placement.relayId(), relays.size());
                ops.add(EtcdCalls.getOp(keys.relay(placement.relayId())));
            }
        }
    }

    /** One transaction of a registration batch: its items, the epochs they keep, and what it compares and writes. */
    private static final class RegistrationTxn {

        final List<Integer> items = new ArrayList<>();
        /** Per item: the epoch a renewal keeps, or {@link PlacementValue#EPOCH_OF_THIS_WRITE} for a created or moved one. */
        final List<Long> keptEpochs = new ArrayList<>();
        final List<Cmp> comparisons = new ArrayList<>();
        final List<Op> ops = new ArrayList<>();
        final Set<String> comparedRelays = new HashSet<>();
    }
}
