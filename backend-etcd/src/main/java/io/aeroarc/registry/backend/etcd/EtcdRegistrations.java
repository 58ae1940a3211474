package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.AgentRegistrationRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@link EtcdBackend}'s {@code registerAgentBatch}: each item decided exactly as
 * {@code registerAgent} decides it, with the reads and writes of all items sent together, so a
 * fleet coming up costs etcd a few raft proposals per batch instead of one per agent.
 *
 * <p>One read of every item's relay and placement; then the items whose relay is live are written
 * in as few transactions as {@code max-txn-ops} allows, all sent at once, each comparing the
 * revisions it read of its agents' and relays' keys (so no placement lands on a relay incarnation
 * that ended meanwhile). A created or moved placement takes its transaction's revision as its
 * epoch, as a single registration does. A transaction overtaken by another write is read and
 * decided again with only its own items, within the one timeout. Items of one agent go in rounds,
 * one after the other, so a later item sees what the earlier one wrote.
 */
final class EtcdRegistrations {

    private final EtcdCalls calls;
    private final KeyLayout keys;
    private final PlacementOps placements;
    private final LeaseBuckets leases;
    private final Clock clock;
    private final Duration timeout;

    EtcdRegistrations(EtcdCalls calls, KeyLayout keys, PlacementOps placements, LeaseBuckets leases, Clock clock, Duration timeout) {
        this.calls = calls;
        this.keys = keys;
        this.placements = placements;
        this.leases = leases;
        this.clock = clock;
        this.timeout = timeout;
    }

    List<Optional<PlacementRecord>> register(List<AgentRegistrationRequest> requests, Duration ttl) {
        @SuppressWarnings("unchecked")
        Optional<PlacementRecord>[] results = new Optional[requests.size()];
        Deadline deadline = Deadline.after(timeout);
        EtcdBatches.inRounds(requests.stream().map(AgentRegistrationRequest::agentId).toList(), deadline, leases, "register",
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
        List<Batch> batches = new ArrayList<>();
        Batch open = null;
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
                open = new Batch();
                batches.add(open);
            }
            if (open.comparedRelays.add(request.relayId())) {
                // Comparing the relay too keeps a placement off an incarnation that ended meanwhile.
                open.comparisons.add(unchanged(keys.relay(request.relayId()), relayRead));
            }
            open.comparisons.add(unchanged(keys.agent(request.agentId()), agentRead));
            open.ops.addAll(writes);
            open.items.add(index);
            open.keptEpochs.add(staysOnRelay ? next.epoch() : PlacementValue.EPOCH_OF_THIS_WRITE);
        }
        List<TxnResponse> written = calls.txnAll(
                batches.stream().map(b -> new EtcdCalls.Transaction(b.comparisons, b.ops)).toList(), deadline, "register agents");
        List<Integer> overtaken = new ArrayList<>();
        for (int t = 0; t < batches.size(); t++) {
            Batch batch = batches.get(t);
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

    /** Holds when the key was not written since it was read (absent keys compare as revision 0). */
    private static Cmp unchanged(ByteSequence key, Optional<KeyValue> read) {
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(read.map(KeyValue::getModRevision).orElse(0L)));
    }

    /** One transaction of a registration batch: its items, the epochs they keep, and what it compares and writes. */
    private static final class Batch {

        final List<Integer> items = new ArrayList<>();
        /** Per item: the epoch a renewal keeps, or {@link PlacementValue#EPOCH_OF_THIS_WRITE} for a created or moved one. */
        final List<Long> keptEpochs = new ArrayList<>();
        final List<Cmp> comparisons = new ArrayList<>();
        final List<Op> ops = new ArrayList<>();
        final Set<String> comparedRelays = new HashSet<>();
    }
}
