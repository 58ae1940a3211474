package io.aeroarc.registry.backend.redis;

import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.feed.RemovalReason;
import java.util.HashMap;
import java.util.Map;

/**
 * Decodes the change stream's entries (written by {@code record_change} in prelude.lua) into
 * {@link FleetChange}s. An entry's id is {@code <seq>-0}; its position is the seq.
 */
final class ChangeEntries {

    private static final String LABEL = "label:";

    private ChangeEntries() {}

    static FleetChange decode(long seq, Map<String, String> fields) {
        String position = Long.toString(seq);
        String kind = required(fields, "k");
        return switch (kind) {
            case "ru" -> new FleetChange.RelayUpserted(position, relay(fields));
            case "rr" -> new FleetChange.RelayRemoved(position, required(fields, "id"), number(fields, "reg"),
                    reason(fields), number(fields, "at"));
            case "pu" -> new FleetChange.PlacementUpserted(position, new PlacementRecord(required(fields, "id"),
                    required(fields, "relay"), number(fields, "epoch"), number(fields, "hb"), number(fields, "exp")));
            case "pr" -> new FleetChange.PlacementRemoved(position, required(fields, "id"), required(fields, "relay"),
                    number(fields, "epoch"), reason(fields), number(fields, "at"));
            default -> throw new IllegalStateException("change stream entry " + position + " of unknown kind " + kind);
        };
    }

    /** The record as registered; its agent count is not tracked in the stream (0). */
    private static RelayRecord relay(Map<String, String> fields) {
        Map<String, String> labels = new HashMap<>();
        fields.forEach((field, value) -> {
            if (field.startsWith(LABEL)) {
                labels.put(field.substring(LABEL.length()), value);
            }
        });
        return new RelayRecord(required(fields, "id"), required(fields, "addr"), (int) number(fields, "port"), labels,
                number(fields, "reg"), number(fields, "hb"), number(fields, "exp"), 0);
    }

    private static RemovalReason reason(Map<String, String> fields) {
        return required(fields, "why").equals("D") ? RemovalReason.DEREGISTERED : RemovalReason.EXPIRED;
    }

    private static long number(Map<String, String> fields, String name) {
        return Long.parseLong(required(fields, name));
    }

    private static String required(Map<String, String> fields, String name) {
        String value = fields.get(name);
        if (value == null) {
            throw new IllegalStateException("change stream entry without field " + name + ": " + fields);
        }
        return value;
    }
}
