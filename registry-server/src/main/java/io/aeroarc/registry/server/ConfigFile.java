package io.aeroarc.registry.server;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * {@code --config registry.yaml}: a YAML mapping whose keys are flag names without dashes and whose
 * values are scalars, such as
 *
 * <pre>
 * backend: redis
 * relay-ttl: 30s
 * tls-enabled: true
 * backend-option:        # or a list of key=value
 *   url: redis://127.0.0.1:6379
 * </pre>
 *
 * Only plain YAML is read (no tags that build objects), duplicate keys are refused, and every
 * error names the file and, when there is one, the key. Whether a key is a known flag is decided by
 * the command line, which also knows the backends' own flags.
 */
final class ConfigFile {

    static final String BACKEND_OPTION_KEY = "backend-option";

    /** One setting from the file; a backend option arrives as key {@code backend-option}, value {@code key=value}. */
    record Entry(String key, String value) {}

    private ConfigFile() {}

    static List<Entry> read(Path file) {
        Object document;
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(10);
            document = new Yaml(new SafeConstructor(options)).load(reader);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read --config '" + file + "': " + e.getMessage(), e);
        } catch (YAMLException e) {
            throw new IllegalArgumentException("invalid --config '" + file + "': " + oneLine(e.getMessage()), e);
        }
        if (document == null) {
            return List.of();
        }
        if (!(document instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("invalid --config '" + file + "': expected a mapping of flag names to values");
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> setting : map.entrySet()) {
            if (!(setting.getKey() instanceof String key)) {
                throw new IllegalArgumentException("invalid --config '" + file + "': key " + setting.getKey() + " is not a flag name");
            }
            Object value = setting.getValue();
            if (key.equals(BACKEND_OPTION_KEY)) {
                backendOptions(file, value, entries);
            } else {
                entries.add(new Entry(key, scalar(file, key, value)));
            }
        }
        return entries;
    }

    private static void backendOptions(Path file, Object value, List<Entry> entries) {
        if (value instanceof Map<?, ?> options) {
            for (Map.Entry<?, ?> option : options.entrySet()) {
                String key = String.valueOf(option.getKey());
                entries.add(new Entry(BACKEND_OPTION_KEY, key + "=" + scalar(file, BACKEND_OPTION_KEY + "." + key, option.getValue())));
            }
        } else if (value instanceof List<?> list) {
            for (Object item : list) {
                entries.add(new Entry(BACKEND_OPTION_KEY, scalar(file, BACKEND_OPTION_KEY, item)));
            }
        } else {
            entries.add(new Entry(BACKEND_OPTION_KEY, scalar(file, BACKEND_OPTION_KEY, value)));
        }
    }

    private static String scalar(Path file, String key, Object value) {
        if (value == null) {
            throw new IllegalArgumentException("invalid --config '" + file + "': key " + key + " has no value");
        }
        if (value instanceof Map<?, ?> || value instanceof List<?>) {
            throw new IllegalArgumentException("invalid --config '" + file + "': key " + key + " must be a single value, not a "
                    + (value instanceof Map<?, ?> ? "mapping" : "list"));
        }
        if (value instanceof java.util.Date || value instanceof byte[]) {
            throw new IllegalArgumentException("invalid --config '" + file + "': key " + key + " must be a string, number or boolean; quote it");
        }
        return String.valueOf(value);
    }

    private static String oneLine(String message) {
        return message == null ? "not YAML" : message.replaceAll("\\s+", " ").trim();
    }
}
