package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.PlacementRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code agents/{agentId}} (and its copy under the relay) holds: one agent's placement on one
 * relay incarnation.
 *
 * <p>The epoch of a placement is the etcd revision of the transaction that created or moved it:
 * etcd numbers every write transaction with one cluster-wide, strictly increasing revision, so no
 * counter key is needed that every registration in the cluster would contend on. That transaction
 * cannot know its own revision, so it stores {@link #EPOCH_OF_THIS_WRITE} and readers take the
 * key's modification revision instead; every later write of the placement (a renewal) stores the
 * epoch explicitly.
 */
record PlacementValue(String relayId, String incarnation, long epoch, long lastHeartbeatMs, long expiresAtMs) {

    /** Stored by the write that creates or moves a placement: its own revision is the epoch. */
    static final long EPOCH_OF_THIS_WRITE = 0;

    static PlacementValue created(String relayId, String incarnation, long nowMs, long expiresAtMs) {
        return new PlacementValue(relayId, incarnation, EPOCH_OF_THIS_WRITE, nowMs, expiresAtMs);
    }

    PlacementValue renewed(long nowMs, long newExpiresAtMs) {
        return new PlacementValue(relayId, incarnation, epoch, nowMs, newExpiresAtMs);
    }

    /** Visible as far as its own TTL goes; the relay incarnation must be live too. */
    boolean isLive(long nowMs) {
        return nowMs < expiresAtMs;
    }

    /** Whether it is on the relay {@code relayId} whose current incarnation is {@code relay}. */
    boolean isOn(String relayId, RelayValue relay) {
        return this.relayId.equals(relayId) && isOnIncarnationOf(relay);
    }

    /** Whether {@code relay}, read from this placement's relay key, is the incarnation it was made on. */
    boolean isOnIncarnationOf(RelayValue relay) {
        return incarnation.equals(relay.incarnation());
    }

    PlacementRecord toRecord(String agentId) {
        return new PlacementRecord(agentId, relayId, epoch, lastHeartbeatMs, expiresAtMs);
    }

    ByteSequence encode() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("relay", relayId);
        fields.put("incarnation", incarnation);
        fields.put("epoch", Long.toString(epoch));
        fields.put("heartbeat", Long.toString(lastHeartbeatMs));
        fields.put("expires", Long.toString(expiresAtMs));
        return FieldCodec.encode(fields);
    }

    /** The expiry alone, without decoding the other fields: counting reads many values for this one. */
    static long expiresAtMs(KeyValue kv) {
        try {
            return FieldCodec.longField(kv.getValue(), "expires");
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("unreadable placement at etcd key " + kv.getKey().toString(StandardCharsets.UTF_8), e);
        }
    }

    /** Decodes the value with its epoch resolved (see the class comment). */
    static PlacementValue decode(KeyValue kv) {
        try {
            Map<String, String> fields = FieldCodec.decode(kv.getValue());
            long epoch = FieldCodec.requiredLong(fields, "epoch");
            return new PlacementValue(FieldCodec.required(fields, "relay"), FieldCodec.required(fields, "incarnation"),
                    epoch == EPOCH_OF_THIS_WRITE ? kv.getModRevision() : epoch, FieldCodec.requiredLong(fields, "heartbeat"),
                    FieldCodec.requiredLong(fields, "expires"));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("unreadable placement at etcd key " + kv.getKey().toString(StandardCharsets.UTF_8), e);
        }
    }
}
