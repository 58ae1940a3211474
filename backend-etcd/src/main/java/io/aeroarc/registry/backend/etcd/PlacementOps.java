package io.aeroarc.registry.backend.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The etcd operations that write or remove a placement together with its two entries under its
 * relay incarnation, so that all three always change in one transaction.
 */
final class PlacementOps {

    /** Operations of one renewal that stays on its relay: three puts and the old expiry entry's delete. */
    static final int OPS_PER_RENEWAL = 4;

    private final KeyLayout keys;

    PlacementOps(KeyLayout keys) {
        this.keys = keys;
    }

    /** Writes {@code next}, replacing the entries of {@code previous} that it does not overwrite. */
    List<Op> write(String agentId, Optional<PlacementValue> previous, PlacementValue next, long leaseId) {
        PutOption withLease = PutOption.builder().withLeaseId(leaseId).build();
        ByteSequence value = next.encode();
        ByteSequence relayAgent = keys.relayAgent(next.relayId(), next.incarnation(), agentId);
        ByteSequence relayExpiry = keys.relayExpiry(next.relayId(), next.incarnation(), next.expiresAtMs(), agentId);
        List<Op> ops = new ArrayList<>(5);
        ops.add(Op.put(keys.agent(agentId), value, withLease));
        ops.add(Op.put(relayAgent, value, withLease));
        ops.add(Op.put(relayExpiry, ByteSequence.EMPTY, withLease));
        if (previous.isPresent()) {
            // etcd refuses a transaction that puts and deletes the same key.
            ByteSequence oldRelayAgent = keys.relayAgent(previous.get().relayId(), previous.get().incarnation(), agentId);
            ByteSequence oldRelayExpiry = keys.relayExpiry(previous.get().relayId(), previous.get().incarnation(),
                    previous.get().expiresAtMs(), agentId);
            if (!oldRelayAgent.equals(relayAgent)) {
                ops.add(Op.delete(oldRelayAgent, DeleteOption.DEFAULT));
            }
            if (!oldRelayExpiry.equals(relayExpiry)) {
                ops.add(Op.delete(oldRelayExpiry, DeleteOption.DEFAULT));
            }
        }
        return ops;
    }

    List<Op> remove(String agentId, PlacementValue current) {
        return List.of(
                Op.delete(keys.agent(agentId), DeleteOption.DEFAULT),
                Op.delete(keys.relayAgent(current.relayId(), current.incarnation(), agentId), DeleteOption.DEFAULT),
                Op.delete(keys.relayExpiry(current.relayId(), current.incarnation(), current.expiresAtMs(), agentId),
                        DeleteOption.DEFAULT));
    }
}
