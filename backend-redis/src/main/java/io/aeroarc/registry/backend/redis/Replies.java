package io.aeroarc.registry.backend.redis;

import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayRecord;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes script replies into SPI records. Scripts return Lua numbers as integers and hash
 * fields as strings, so a number may arrive as either.
 */
final class Replies {

    private Replies() {}

    static long toLong(Object reply) {
        if (reply instanceof Long number) {
            return number;
        }
        return Long.parseLong(toText(reply));
    }

    static String toText(Object reply) {
        if (reply instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        if (reply instanceof String || reply instanceof Long) {
            return reply.toString();
        }
        throw new IllegalStateException("unexpected script reply " + reply);
    }

    @SuppressWarnings("unchecked")
    static List<Object> toList(Object reply) {
        if (reply instanceof List<?> list) {
            return (List<Object>) list;
        }
        throw new IllegalStateException("unexpected script reply " + reply + ", expected a list");
    }

    /** Decodes {@code relay_record} of prelude.lua. */
    static RelayRecord relay(Object reply) {
        List<Object> fields = toList(reply);
        Map<String, String> labels = new HashMap<>();
        for (int i = 7; i + 1 < fields.size(); i += 2) {
            labels.put(toText(fields.get(i)), toText(fields.get(i + 1)));
        }
        return new RelayRecord(
                toText(fields.get(0)),
                toText(fields.get(1)),
                (int) toLong(fields.get(2)),
                labels,
                toLong(fields.get(3)),
                toLong(fields.get(4)),
                toLong(fields.get(5)),
                (int) toLong(fields.get(6)));
    }

    /** Decodes {@code placement_record} of prelude.lua. */
    static PlacementRecord placement(Object reply) {
        List<Object> fields = toList(reply);
        return new PlacementRecord(
                toText(fields.get(0)),
                toText(fields.get(1)),
                toLong(fields.get(2)),
                toLong(fields.get(3)),
                toLong(fields.get(4)));
    }
}
