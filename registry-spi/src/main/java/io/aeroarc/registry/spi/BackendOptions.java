package io.aeroarc.registry.spi;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The operator's {@code --backend-option key=value} settings for one backend, with typed reads
 * whose errors name the option.
 */
public final class BackendOptions {

    private final String backendName;
    private final Map<String, String> values;

    private BackendOptions(String backendName, Map<String, String> values) {
        this.backendName = backendName;
        this.values = Map.copyOf(values);
    }

    public static BackendOptions of(String backendName, Map<String, String> values) {
        return new BackendOptions(backendName, values);
    }

    public static BackendOptions none(String backendName) {
        return new BackendOptions(backendName, Map.of());
    }

    public String backendName() {
        return backendName;
    }

    public Map<String, String> asMap() {
        return new TreeMap<>(values);
    }

    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public String get(String key, String defaultValue) {
        return values.getOrDefault(key, defaultValue);
    }

    public int getInt(String key, int defaultValue) {
        String text = values.get(key);
        if (text == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw invalid(key, text, "an integer");
        }
    }

    public Duration getDuration(String key, Duration defaultValue) {
        String text = values.get(key);
        if (text == null) {
            return defaultValue;
        }
        try {
            return GoDurations.parse(text.trim());
        } catch (IllegalArgumentException e) {
            throw invalid(key, text, "a duration such as 500ms or 2s");
        }
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        String text = values.get(key);
        if (text == null) {
            return defaultValue;
        }
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw invalid(key, text, "true or false");
        };
    }

    /** Rejects options this backend does not know, so a typo fails at start-up instead of being ignored. */
    public void requireOnly(Set<String> knownKeys) {
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(knownKeys);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown --backend-option " + String.join(", ", unknown) + " for backend "
                    + backendName + "; known: " + String.join(", ", new TreeSet<>(knownKeys)));
        }
    }

    private IllegalArgumentException invalid(String key, String text, String expected) {
        return new IllegalArgumentException(
                "invalid --backend-option " + key + "='" + text + "' for backend " + backendName + ": expected " + expected);
    }

    @Override
    public String toString() {
        return "BackendOptions[" + backendName + ", keys=" + new TreeSet<>(values.keySet()) + "]";
    }
}
