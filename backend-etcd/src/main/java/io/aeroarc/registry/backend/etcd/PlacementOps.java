package io.aeroarc.registry.backend.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The etcd operations that write or remove a placement together with its copy under its relay
 * incarnation, so that both always change in one transaction.
 */
final class PlacementOps {

    /** Operations of one renewal that stays on its relay: the placement and its copy, both put. */
    static final int OPS_PER_RENEWAL = 2;

    private final KeyLayout keys;

    PlacementOps(KeyLayout keys) {
        this.keys = keys;
    }

    /** Writes {@code next}, removing the copy of {@code previous} when it moved to another relay incarnation. */
    List<Op> write(String agentId, Optional<PlacementValue> previous, PlacementValue next, long leaseId) {
        PutOption withLease = PutOption.builder().withLeaseId(leaseId).build();
        ByteSequence value = next.encode();
        ByteSequence relayAgent = keys.relayAgent(next.relayId(), next.incarnation(), agentId);
        List<Op> ops = new ArrayList<>(3);
        ops.add(Op.put(keys.agent(agentId), value, withLease));
        ops.add(Op.put(relayAgent, value, withLease));
        if (previous.isPresent()) {
            // etcd refuses a transaction that puts and deletes the same key.
            ByteSequence oldRelayAgent = keys.relayAgent(previous.get().relayId(), previous.get().incarnation(), agentId);
            if (!oldRelayAgent.equals(relayAgent)) {
                ops.add(Op.delete(oldRelayAgent, DeleteOption.DEFAULT));
            }
        }
        return ops;
    }

    List<Op> remove(String agentId, PlacementValue current) {
        return List.of(
                Op.delete(keys.agent(agentId), DeleteOption.DEFAULT),
                Op.delete(keys.relayAgent(current.relayId(), current.incarnation(), agentId), DeleteOption.DEFAULT));
    }
}
