package io.aeroarc.registry.bench;

import io.aeroarc.registry.core.GoDurations;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A command's flags: {@code --name value}, {@code --name=value}, and switches such as
 * {@code --quick} that take no value. Unknown names are refused, so a typo never silently runs
 * the default.
 */
final class Flags {

    private final Map<String, String> values;

    private Flags(Map<String, String> values) {
        this.values = values;
    }

    /**
     * @param valued the names that take a value
     * @param switches the names that take none
     * @throws IllegalArgumentException for an unknown name or a missing value
     */
    static Flags parse(List<String> args, Set<String> valued, Set<String> switches) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            String value = null;
            int equals = name.indexOf('=');
            if (equals >= 0) {
                value = name.substring(equals + 1);
                name = name.substring(0, equals);
            }
            if (switches.contains(name)) {
                values.put(name, value == null ? "true" : value);
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.size()) {
                        throw new IllegalArgumentException("--" + name + " needs a value");
                    }
                    value = args.get(++i);
                }
                values.put(name, value);
            } else {
                Set<String> known = new TreeSet<>(valued);
                known.addAll(switches);
                throw new IllegalArgumentException("unknown flag --" + name + "; known: --" + String.join(", --", known));
            }
        }
        return new Flags(values);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    boolean isOn(String name) {
        String value = values.get(name);
        if (value == null) {
            return false;
        }
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("--" + name + " takes true or false, was '" + value + "'");
        };
    }

    String get(String name, String defaultValue) {
        return values.getOrDefault(name, defaultValue);
    }

    String require(String name) {
        String value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }

    int getInt(String name, int defaultValue) {
        String value = values.get(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " takes a whole number, was '" + value + "'");
        }
    }

    double getDouble(String name, double defaultValue) {
        String value = values.get(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            return Double.parseDouble(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " takes a number, was '" + value + "'");
        }
    }

    Duration getDuration(String name, Duration defaultValue) {
        String value = values.get(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            return GoDurations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--" + name + " takes a duration such as 500ms, 20s or 5m, was '" + value + "'");
        }
    }
}
