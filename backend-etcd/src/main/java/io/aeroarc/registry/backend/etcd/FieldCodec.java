package io.aeroarc.registry.backend.etcd;

import io.etcd.jetcd.ByteSequence;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stored values as URL-encoded {@code name=value} pairs joined by {@code &}: readable with
 * {@code etcdctl get}, and a newer registry can add fields that an older one ignores.
 */
final class FieldCodec {

    private FieldCodec() {}

    static ByteSequence encode(Map<String, String> fields) {
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, String> field : fields.entrySet()) {
            if (text.length() > 0) {
                text.append('&');
            }
            text.append(escape(field.getKey())).append('=').append(escape(field.getValue()));
        }
        return ByteSequence.from(text.toString(), StandardCharsets.UTF_8);
    }

    /** @throws IllegalArgumentException when the bytes are not such pairs */
    static Map<String, String> decode(ByteSequence value) {
        Map<String, String> fields = new LinkedHashMap<>();
        String text = value.toString(StandardCharsets.UTF_8);
        if (text.isEmpty()) {
            return fields;
        }
        for (String pair : text.split("&", -1)) {
            int equals = pair.indexOf('=');
            if (equals < 0) {
                throw new IllegalArgumentException("field without '=': " + pair);
            }
            fields.put(unescape(pair.substring(0, equals)), unescape(pair.substring(equals + 1)));
        }
        return fields;
    }

    /**
     * As {@link URLEncoder}, which leaves exactly these characters as they are; most names and
     * values (ids, numbers) have no other, and skip its allocations, which every renewal and every
     * counted copy used to pay.
     */
    private static String escape(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean kept = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'
                    || c == '*' || c == '_';
            if (!kept) {
                return URLEncoder.encode(text, StandardCharsets.UTF_8);
            }
        }
        return text;
    }

    /** As {@link URLDecoder}, which changes only escapes and {@code +}. */
    private static String unescape(String text) {
        return text.indexOf('%') < 0 && text.indexOf('+') < 0 ? text : URLDecoder.decode(text, StandardCharsets.UTF_8);
    }

    /**
     * One number field, found without splitting the others: its name and digits are never
     * URL-escaped.
     *
     * @throws IllegalArgumentException when the field is missing or not a number
     */
    static long longField(ByteSequence value, String name) {
        String text = value.toString(StandardCharsets.UTF_8);
        String prefix = name + "=";
        int start;
        if (text.startsWith(prefix)) {
            start = prefix.length();
        } else {
            int separator = text.indexOf("&" + prefix);
            if (separator < 0) {
                throw new IllegalArgumentException("missing field '" + name + "'");
            }
            start = separator + 1 + prefix.length();
        }
        int end = text.indexOf('&', start);
        try {
            return Long.parseLong(text, start, end < 0 ? text.length() : end, 10);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("field '" + name + "' is not a number", e);
        }
    }

    static String required(Map<String, String> fields, String name) {
        String value = fields.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing field '" + name + "'");
        }
        return value;
    }

    static long requiredLong(Map<String, String> fields, String name) {
        try {
            return Long.parseLong(required(fields, name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("field '" + name + "' is not a number", e);
        }
    }
}
