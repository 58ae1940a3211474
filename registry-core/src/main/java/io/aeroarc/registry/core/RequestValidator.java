package io.aeroarc.registry.core;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The input rules of the wire contract; each violation names the offending field. */
public final class RequestValidator {

    public static final int MAX_ID_BYTES = 256;
    public static final int MAX_ADDRESS_BYTES = 255;
    public static final int MAX_LABELS = 32;
    public static final int MAX_LABEL_KEY_BYTES = 63;
    public static final int MAX_LABEL_VALUE_BYTES = 256;
    public static final int MAX_BATCH_IDS = 1000;

    private RequestValidator() {}

    /**
     * Relay and agent ids: 1–256 bytes of UTF-8, no control characters, whitespace, format
     * characters (zero-width, bidi controls, BOM) or noncharacters, and in Unicode normalization
     * form C. Ids are compared byte for byte; requiring NFC instead of normalizing means two ids
     * that render the same (a precomposed and a decomposed "é") cannot both exist, and an id is
     * always stored exactly as its owner sent it. ASCII is always NFC.
     */
    public static void requireId(String field, String value) {
        requireToken(field, value, MAX_ID_BYTES);
        if (!Normalizer.isNormalized(value, Normalizer.Form.NFC)) {
            throw RegistryException.invalidArgument(field, "must be in Unicode normalization form C (NFC)");
        }
    }

    /** An id that may be left empty, meaning "not given". */
    public static void requireOptionalId(String field, String value) {
        if (!value.isEmpty()) {
            requireId(field, value);
        }
    }

    /** A host name or IP address: 1–255 bytes, no control characters, no whitespace. */
    public static void requireAddress(String field, String value) {
        requireToken(field, value, MAX_ADDRESS_BYTES);
    }

    public static void requirePort(String field, int port) {
        if (port < 1 || port > 65535) {
            throw RegistryException.invalidArgument(field, "must be a port from 1 to 65535, was " + port);
        }
    }

    /** At most 32 pairs; keys 1–63 bytes without whitespace or control characters; values up to 256 bytes without control characters. */
    public static void requireLabels(String field, Map<String, String> labels) {
        if (labels.size() > MAX_LABELS) {
            throw RegistryException.invalidArgument(field, "at most " + MAX_LABELS + " labels, was " + labels.size());
        }
        for (Map.Entry<String, String> label : labels.entrySet()) {
            requireToken(field + " key '" + printable(label.getKey()) + "'", label.getKey(), MAX_LABEL_KEY_BYTES);
            String valueField = field + "[" + printable(label.getKey()) + "]";
            if (utf8Length(label.getValue()) > MAX_LABEL_VALUE_BYTES) {
                throw RegistryException.invalidArgument(valueField, "at most " + MAX_LABEL_VALUE_BYTES + " bytes of UTF-8");
            }
            if (label.getValue().codePoints().anyMatch(Character::isISOControl)) {
                throw RegistryException.invalidArgument(valueField, "must not contain control characters");
            }
        }
    }

    public static void requirePageSize(String field, int pageSize) {
        if (pageSize < 0) {
            throw RegistryException.invalidArgument(field, "must not be negative, was " + pageSize);
        }
    }

    /**
     * Up to 1000 valid ids, each named by its index; duplicates are dropped, the first
     * occurrence keeping its place.
     */
    public static List<String> requireDistinctIds(String field, List<String> ids) {
        if (ids.size() > MAX_BATCH_IDS) {
            throw RegistryException.invalidArgument(field, "at most " + MAX_BATCH_IDS + " ids per call, was " + ids.size());
        }
        for (int i = 0; i < ids.size(); i++) {
            requireId(field + "[" + i + "]", ids.get(i));
        }
        return new ArrayList<>(new LinkedHashSet<>(ids));
    }

    private static void requireToken(String field, String value, int maxBytes) {
        if (value.isEmpty()) {
            throw RegistryException.invalidArgument(field, "required");
        }
        int bytes = utf8Length(value);
        if (bytes > maxBytes) {
            throw RegistryException.invalidArgument(field, "at most " + maxBytes + " bytes of UTF-8, was " + bytes);
        }
        for (int i = 0; i < value.length(); ) {
            int codePoint = value.codePointAt(i);
            if (Character.isISOControl(codePoint)) {
                throw RegistryException.invalidArgument(field, "must not contain control characters");
            }
            if (Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint)) {
                throw RegistryException.invalidArgument(field, "must not contain whitespace");
            }
            if (Character.getType(codePoint) == Character.FORMAT) {
                throw RegistryException.invalidArgument(field,
                        "must not contain format characters (U+" + hex(codePoint) + ": zero-width, bidi control or BOM)");
            }
            if (isNoncharacter(codePoint)) {
                throw RegistryException.invalidArgument(field, "must not contain noncharacters (U+" + hex(codePoint) + ")");
            }
            i += Character.charCount(codePoint);
        }
    }

    /** U+FDD0..U+FDEF and the last two code points of every plane. */
    private static boolean isNoncharacter(int codePoint) {
        return (codePoint >= 0xFDD0 && codePoint <= 0xFDEF) || (codePoint & 0xFFFE) == 0xFFFE;
    }

    private static String hex(int codePoint) {
        return String.format(Locale.ROOT, "%04X", codePoint);
    }

    static int utf8Length(String value) {
        int bytes = 0;
        for (int i = 0; i < value.length(); ) {
            int codePoint = value.codePointAt(i);
            bytes += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
            i += Character.charCount(codePoint);
        }
        return bytes;
    }

    /** A label key as it may be quoted in an error message, without control characters or overlong text. */
    private static String printable(String text) {
        String visible = text.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return visible.length() > 64 ? visible.substring(0, 64) + "..." : visible;
    }
}
