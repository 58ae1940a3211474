package io.aeroarc.registry.server.security;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads the {@code --auth-policy} JSON file. Every mistake, including an unknown key, is refused
 * with the path of the offending field, so a typo cannot silently loosen the policy.
 *
 * <pre>{@code
 * {
 *   "identities": [
 *     {"match": "spiffe://fleet/relay/{relay_id}", "role": "relay"},
 *     {"match": "*.api.fleet.internal", "role": "reader"},
 *     {"match": "spiffe://fleet/ops/admin", "role": "admin"}
 *   ],
 *   "relays_may_read": false,
 *   "relays_may_take_over_agents": false,
 *   "reflection": true,
 *   "rate_limits": {
 *     "relay": {"writes_per_second": 100, "write_burst": 1000, "reads_per_second": 10, "read_burst": 100},
 *     "identities": {"spiffe://fleet/relay/big-one": {"writes_per_second": 500, "write_burst": 5000, "reads_per_second": 10, "read_burst": 100}}
 *   }
 * }
 * }</pre>
 */
public final class PolicyParser {

    private static final Set<String> TOP_LEVEL = Set.of("identities", "relays_may_read", "relays_may_take_over_agents", "reflection", "rate_limits");
    private static final List<String> LIMIT_FIELDS = List.of("writes_per_second", "write_burst", "reads_per_second", "read_burst");

    private PolicyParser() {}

    /** @throws IllegalArgumentException starting with {@code --auth-policy PATH:} and naming the field */
    public static Policy read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("--auth-policy " + file + ": cannot read: " + e.getMessage(), e);
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--auth-policy " + file + ": " + e.getMessage(), e);
        }
    }

    static Policy parse(String text) {
        JsonElement root;
        try {
            root = JsonParser.parseString(text);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("not valid JSON: " + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()));
        }
        JsonObject policy = object(root, "the policy");
        requireOnly(policy, TOP_LEVEL, "");

        List<Policy.IdentityRule> identities = new ArrayList<>();
        if (policy.has("identities")) {
            JsonElement list = policy.get("identities");
            if (!list.isJsonArray()) {
                throw new IllegalArgumentException("identities: expected a list");
            }
            for (int i = 0; i < list.getAsJsonArray().size(); i++) {
                String path = "identities[" + i + "]";
                JsonObject entry = object(list.getAsJsonArray().get(i), path);
                requireOnly(entry, Set.of("match", "role"), path + ".");
                String match = string(entry, "match", path + ".match");
                if (match.isEmpty()) {
                    throw new IllegalArgumentException(path + ".match: must not be empty");
                }
                Role role;
                try {
                    role = Role.parse(string(entry, "role", path + ".role"));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(path + ".role: " + e.getMessage());
                }
                try {
                    identities.add(Policy.IdentityRule.of(match, role));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(path + ".match: " + e.getMessage());
                }
            }
        }
        boolean relaysMayRead = bool(policy, "relays_may_read", false);
        boolean takeOver = bool(policy, "relays_may_take_over_agents", false);
        boolean reflection = bool(policy, "reflection", true);
        Policy.RateLimits limits = policy.has("rate_limits") ? rateLimits(object(policy.get("rate_limits"), "rate_limits"))
                : Policy.RateLimits.defaults();
        return new Policy(identities, relaysMayRead, takeOver, reflection, limits);
    }

    private static Policy.RateLimits rateLimits(JsonObject section) {
        requireOnly(section, Set.of("relay", "reader", "admin", "peer", "identities"), "rate_limits.");
        Policy.RateLimits defaults = Policy.RateLimits.defaults();
        Map<Role, Policy.RateLimit> roles = new EnumMap<>(defaults.roles());
        for (Role role : Role.values()) {
            if (section.has(role.wireName())) {
                roles.put(role, limit(section.get(role.wireName()), defaults.roles().get(role), "rate_limits." + role.wireName()));
            }
        }
        Policy.RateLimit peer = section.has("peer") ? limit(section.get("peer"), defaults.peer(), "rate_limits.peer") : defaults.peer();
        Map<String, Policy.RateLimit> identities = new TreeMap<>();
        if (section.has("identities")) {
            JsonObject named = object(section.get("identities"), "rate_limits.identities");
            for (Map.Entry<String, JsonElement> entry : named.entrySet()) {
                String path = "rate_limits.identities[\"" + entry.getKey() + "\"]";
                JsonObject fields = object(entry.getValue(), path);
                for (String field : LIMIT_FIELDS) {
                    if (!fields.has(field)) {
                        throw new IllegalArgumentException(path + "." + field + ": missing (an identity's limits are given in full)");
                    }
                }
                identities.put(entry.getKey(), limit(fields, null, path));
            }
        }
        return new Policy.RateLimits(roles, peer, identities);
    }

    private static Policy.RateLimit limit(JsonElement element, Policy.RateLimit defaults, String path) {
        JsonObject fields = object(element, path);
        requireOnly(fields, Set.copyOf(LIMIT_FIELDS), path + ".");
        return new Policy.RateLimit(
                fields.has("writes_per_second") ? positive(fields, "writes_per_second", path) : defaults.writesPerSecond(),
                fields.has("write_burst") ? (int) whole(fields, "write_burst", path) : defaults.writeBurst(),
                fields.has("reads_per_second") ? positive(fields, "reads_per_second", path) : defaults.readsPerSecond(),
                fields.has("read_burst") ? (int) whole(fields, "read_burst", path) : defaults.readBurst());
    }

    private static double positive(JsonObject fields, String name, String path) {
        JsonElement value = fields.get(name);
        if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isNumber() && value.getAsDouble() > 0 && Double.isFinite(value.getAsDouble())) {
            return value.getAsDouble();
        }
        throw new IllegalArgumentException(path + "." + name + ": expected a number above 0, was " + value);
    }

    private static long whole(JsonObject fields, String name, String path) {
        JsonElement value = fields.get(name);
        if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isNumber()) {
            double number = value.getAsDouble();
            if (number >= 1 && number <= 1_000_000_000 && number == Math.rint(number)) {
                return (long) number;
            }
        }
        throw new IllegalArgumentException(path + "." + name + ": expected a whole number from 1 to 1000000000, was " + value);
    }

    private static JsonObject object(JsonElement element, String path) {
        if (element == null || !element.isJsonObject()) {
            throw new IllegalArgumentException(path + ": expected an object");
        }
        return element.getAsJsonObject();
    }

    private static String string(JsonObject object, String name, String path) {
        JsonElement value = object.get(name);
        if (value == null) {
            throw new IllegalArgumentException(path + ": missing");
        }
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException(path + ": expected a string, was " + value);
        }
        return value.getAsString();
    }

    private static boolean bool(JsonObject object, String name, boolean defaultValue) {
        JsonElement value = object.get(name);
        if (value == null) {
            return defaultValue;
        }
        if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isBoolean()) {
            return value.getAsBoolean();
        }
        throw new IllegalArgumentException(name + ": expected true or false, was " + value);
    }

    private static void requireOnly(JsonObject object, Set<String> known, String prefix) {
        for (String key : object.keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException(prefix + key + ": unknown field; known: " + String.join(", ", new TreeSet<>(known)));
            }
        }
    }
}
