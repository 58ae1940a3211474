package io.aeroarc.registry.spi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import io.aeroarc.registry.spi.support.DurationText;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The operator's {@code --backend-option key=value} settings for one backend, with typed reads
 * whose errors name the option.
 *
 * <p>Every option can also be read from a file: {@code KEY-file=PATH} stands for {@code KEY} set to
 * the file's content (one trailing line break removed), so secrets such as {@code password} stay out
 * of command lines, {@code ps} and environment dumps. This is resolved when {@code KEY} is read, not
 * when the options are given: an option whose own name ends in {@code -file} (etcd's {@code ca-file})
 * is still read as it is. Values read from files never appear in error messages.
 *
 * <p>Every invalid value is reported in one format, {@code invalid --backend-option KEY='VALUE' for
 * backend NAME: expected WHAT}: the typed reads produce it, and {@link #invalid} gives backends the
 * same message for their own checks.
 */
public final class BackendOptions {

    private static final String FILE_SUFFIX = "-file";

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

    /** Every option as given, for a caller that builds a variant of them (the TCK adds an unknown one). */
    public Map<String, String> asMap() {
        return values;
    }

    public String backendName() {
        return backendName;
    }

    public Optional<String> get(String key) {
        return Optional.ofNullable(value(key));
    }

    public String get(String key, String defaultValue) {
        String value = value(key);
        return value == null ? defaultValue : value;
    }

    /** The option as given, else the content of the file {@code KEY-file} names, else null. */
    private String value(String key) {
        String given = values.get(key);
        String file = values.get(key + FILE_SUFFIX);
        if (given != null && file != null) {
            throw new IllegalArgumentException("--backend-option " + key + " and " + key + FILE_SUFFIX + " for backend " + backendName
                    + " exclude each other; give one");
        }
        if (file == null) {
            return given;
        }
        try {
            String content = Files.readString(Path.of(file), StandardCharsets.UTF_8);
            return content.endsWith("\r\n") ? content.substring(0, content.length() - 2)
                    : content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot read --backend-option " + key + FILE_SUFFIX + " '" + file + "' for backend "
                    + backendName + ": " + e.getClass().getSimpleName());
        }
    }

    private boolean fromFile(String key) {
        return values.get(key + FILE_SUFFIX) != null;
    }

    public int getInt(String key, int defaultValue) {
        String text = value(key);
        if (text == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw invalid(key, text, "an integer");
        }
    }

    /** A duration in {@link DurationText}'s syntax, such as {@code 500ms}, {@code 2s} or {@code 1m30s}. */
    public Duration getDuration(String key, Duration defaultValue) {
        String text = value(key);
        if (text == null) {
            return defaultValue;
        }
        try {
            return DurationText.parse(text.trim());
        } catch (IllegalArgumentException e) {
            throw invalid(key, text, "a duration such as 500ms or 2s");
        }
    }

    /** {@link #getInt(String, int)} within [{@code min}, {@code max}]. */
    public int getInt(String key, int defaultValue, int min, int max) {
        int value = getInt(key, defaultValue);
        if (value < min || value > max) {
            throw invalid(key, max == Integer.MAX_VALUE ? "an integer of at least " + min : "an integer from " + min + " to " + max);
        }
        return value;
    }

    /** {@link #getDuration(String, Duration)} within [{@code min}, {@code max}]. */
    public Duration getDuration(String key, Duration defaultValue, Duration min, Duration max) {
        Duration value = getDuration(key, defaultValue);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw invalid(key, "a duration from " + DurationText.format(min) + " to " + DurationText.format(max));
        }
        return value;
    }

    /**
     * The option, which must be given.
     *
     * @param expected what a valid value looks like, for the message when it is missing
     */
    public String require(String key, String expected) {
        String value = value(key);
        if (value == null) {
            throw new IllegalArgumentException("missing --backend-option " + key + " for backend " + backendName + ": expected " + expected);
        }
        return value;
    }

    /**
     * The one message for an option whose value this backend cannot use, for checks beyond the
     * typed reads: {@code invalid --backend-option KEY='VALUE' for backend NAME: expected WHAT}
     * (a value read from a file is not shown).
     *
     * @param expected what a valid value looks like, such as "a JDBC URL starting with jdbc:postgresql:"
     */
    public IllegalArgumentException invalid(String key, String expected) {
        String text = value(key);
        return invalid(key, text == null ? "" : text, expected);
    }

    /** {@link #invalid(String, String)} for a value that may hold a secret (a URL with a password): the value is not shown. */
    public IllegalArgumentException invalidSecret(String key, String expected) {
        return new IllegalArgumentException("invalid --backend-option " + key + " (value not shown) for backend " + backendName
                + ": expected " + expected);
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        String text = value(key);
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
        unknown.removeIf(key -> key.endsWith(FILE_SUFFIX) && knownKeys.contains(key.substring(0, key.length() - FILE_SUFFIX.length())));
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown --backend-option " + String.join(", ", unknown) + " for backend "
                    + backendName + "; known: " + String.join(", ", new TreeSet<>(knownKeys)));
        }
    }

    private IllegalArgumentException invalid(String key, String text, String expected) {
        String shown = fromFile(key) ? key + FILE_SUFFIX + " (content not shown)" : key + "='" + text + "'";
        return new IllegalArgumentException("invalid --backend-option " + shown + " for backend " + backendName + ": expected " + expected);
    }

    @Override
    public String toString() {
        return "BackendOptions[" + backendName + ", keys=" + new TreeSet<>(values.keySet()) + "]";
    }
}
