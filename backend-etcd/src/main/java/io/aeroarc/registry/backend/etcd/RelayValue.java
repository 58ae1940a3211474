package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code relays/{relayId}} holds: one incarnation of a relay.
 *
 * @param incarnation a random id given when the relay becomes live; placements name it, so they
 *     end for good when the relay expires or is deregistered, whatever keys are left behind
 */
record RelayValue(
        String incarnation,
        String address,
        int grpcPort,
        Map<String, String> labels,
        long registeredAtMs,
        long lastHeartbeatMs,
        long expiresAtMs) {

    private static final String LABEL_PREFIX = "label.";
    private static final SecureRandom INCARNATIONS = new SecureRandom();

    RelayValue {
        labels = Map.copyOf(labels);
    }

    static RelayValue newIncarnation(RelayRegistration registration, long nowMs, long expiresAtMs) {
        // 64 random bits: ample to tell one relay's lifetimes apart, and every placement value and
        // copy key carries it, so its length is paid on every renewal and every counted copy.
        String incarnation = String.format("%016x", INCARNATIONS.nextLong());
        return new RelayValue(incarnation, registration.address(), registration.grpcPort(), registration.labels(), nowMs, nowMs,
                expiresAtMs);
    }

    /** The same incarnation with the registration's new address and labels, renewed. */
    RelayValue reregistered(RelayRegistration registration, long nowMs, long newExpiresAtMs) {
        return new RelayValue(incarnation, registration.address(), registration.grpcPort(), registration.labels(), registeredAtMs,
                nowMs, newExpiresAtMs);
    }

    RelayValue renewed(long nowMs, long newExpiresAtMs) {
        return new RelayValue(incarnation, address, grpcPort, labels, registeredAtMs, nowMs, newExpiresAtMs);
    }

    boolean isLive(long nowMs) {
        return nowMs < expiresAtMs;
    }

    boolean hasLabels(Map<String, String> selector) {
        return labels.entrySet().containsAll(selector.entrySet());
    }

    RelayRecord toRecord(String relayId, int agentCount) {
        return new RelayRecord(relayId, address, grpcPort, labels, registeredAtMs, lastHeartbeatMs, expiresAtMs, agentCount);
    }

    ByteSequence encode() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("incarnation", incarnation);
        fields.put("address", address);
        fields.put("port", Integer.toString(grpcPort));
        fields.put("registered", Long.toString(registeredAtMs));
        fields.put("heartbeat", Long.toString(lastHeartbeatMs));
        fields.put("expires", Long.toString(expiresAtMs));
        new TreeMap<>(labels).forEach((name, value) -> fields.put(LABEL_PREFIX + name, value));
        return FieldCodec.encode(fields);
    }

    static RelayValue decode(KeyValue kv) {
        try {
            Map<String, String> fields = FieldCodec.decode(kv.getValue());
            Map<String, String> labels = new TreeMap<>();
            fields.forEach((name, value) -> {
                if (name.startsWith(LABEL_PREFIX)) {
                    labels.put(name.substring(LABEL_PREFIX.length()), value);
                }
            });
            return new RelayValue(FieldCodec.required(fields, "incarnation"), FieldCodec.required(fields, "address"),
                    (int) FieldCodec.requiredLong(fields, "port"), labels, FieldCodec.requiredLong(fields, "registered"),
                    FieldCodec.requiredLong(fields, "heartbeat"), FieldCodec.requiredLong(fields, "expires"));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("unreadable relay at etcd key " + kv.getKey().toString(StandardCharsets.UTF_8), e);
        }
    }
}
