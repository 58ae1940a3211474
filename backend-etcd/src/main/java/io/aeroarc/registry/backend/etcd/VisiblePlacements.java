package io.aeroarc.registry.backend.etcd;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;

/**
 * A relay's agent count: its incarnation's placement copies whose expiry is still ahead, read in
 * one range and counted here. etcd can only count keys, and a copy outlives its expiry until its
 * lease ends (up to two seconds later), so counting keys would count placements that just expired.
 *
 * <p>Reading the copies costs a relay's readers what an index of expiries used to cost every
 * renewal (a put and a delete more each): readers of a count are rare next to renewals.
 */
final class VisiblePlacements {

    private VisiblePlacements() {}

    /** The read, inside a transaction, of every placement copy of the relay incarnation. */
    static Op read(KeyLayout keys, String relayId, String incarnation) {
        KeyLayout.KeyRange copies = keys.allRelayAgents(relayId, incarnation);
        return Op.get(copies.start(), GetOption.builder().withRange(copies.end()).build());
    }

    /** How many of the copies that {@link #read} returned are visible at {@code nowMs}. */
    static int count(GetResponse copies, long nowMs) {
        int visible = 0;
        for (KeyValue copy : copies.getKvs()) {
            if (nowMs < PlacementValue.expiresAtMs(copy)) {
                visible++;
            }
        }
        return visible;
    }
}
