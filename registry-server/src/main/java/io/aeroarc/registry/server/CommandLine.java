package io.aeroarc.registry.server;

import io.aeroarc.registry.core.CoalescingBackend;
import io.aeroarc.registry.core.GoDurations;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.server.security.SecurityConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Reads the server's settings from flags ({@code --name value}, {@code --name=value}, one or two
 * dashes) over environment variables over defaults. Errors are one-line reasons naming the flag or
 * variable.
 *
 * <p>Besides the {@link Flag}s, {@code --BACKEND-KEY value} for a discovered backend name (the Go
 * registry's {@code --redis-addr}, {@code --redis-port}...) sets backend option KEY of that
 * backend (the longest backend name that fits wins); a flag of another backend than the selected
 * one stops the start-up.
 */
final class CommandLine {

    /** What the command line asks for. */
    sealed interface Request {}

    record Help(String text) implements Request {}

    record Run(ServerConfig config, Operations operations) implements Request {}

    /**
     * The process around the server: metrics export and logging.
     *
     * @param metricsAddress where the Prometheus scrape endpoint listens; empty for none
     * @param logLevel empty to keep logback.xml's (REGISTRY_LOG_LEVEL, else INFO)
     */
    record Operations(Optional<InetSocketAddress> metricsAddress, LogSetup.Format logFormat, Optional<String> logLevel) {}

    /** A setting's text and where it came from, for error messages. */
    private record Setting(String text, String source) {}

    private CommandLine() {}

    /**
     * @param backends the backends found, by name, each with the jar or plugin it came from (for {@code --help})
     */
    static Request parse(List<String> args, Map<String, String> env, Map<String, String> backends) {
        Collection<String> backendNames = backends.keySet();
        Map<Flag, Setting> settings = new EnumMap<>(Flag.class);
        Map<String, String> backendOptions = new TreeMap<>();
        Map<String, Map<String, Setting>> backendFlags = new TreeMap<>();
        // Precedence: flag > environment > file > default; each source below overwrites the one before.
        Optional<Path> configFile = configFile(args, env);
        if (configFile.isPresent()) {
            readConfigFile(configFile.get(), backendNames, settings, backendOptions, backendFlags);
        }
        readEnvironment(env, settings, backendOptions);

        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("-") || arg.equals("-") || arg.equals("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'; run with --help to list the flags");
            }
            String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            int equals = body.indexOf('=');
            String name = equals < 0 ? body : body.substring(0, equals);
            String inline = equals < 0 ? null : body.substring(equals + 1);
            Flag flag = Flag.named(name);
            if (flag != null && flag.isBoolean()) {
                settings.put(flag, new Setting(inline == null ? "true" : inline, "--" + name));
                continue;
            }
            String owner = flag == null ? backendOwning(name, backendNames) : null;
            if (flag == null && owner == null) {
                throw new IllegalArgumentException("unknown flag --" + name + "; run with --help to list the flags");
            }
            String value = inline;
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new IllegalArgumentException("flag --" + name + " needs a value");
                }
                value = args.get(++i);
            }
            if (owner != null) {
                backendFlags.computeIfAbsent(owner, o -> new TreeMap<>())
                        .put(name.substring(owner.length() + 1), new Setting(value, "--" + name));
            } else if (flag == Flag.BACKEND_OPTION) {
                putBackendOption(backendOptions, value, "--backend-option");
            } else {
                settings.put(flag, new Setting(value, "--" + name));
            }
        }

        if (parseBoolean(settings, Flag.HELP)) {
            return new Help(help(backends));
        }
        String backend = text(settings, Flag.BACKEND);
        List<String> warnings = new ArrayList<>();
        for (Map.Entry<String, Map<String, Setting>> owned : backendFlags.entrySet()) {
            for (Map.Entry<String, Setting> option : owned.getValue().entrySet()) {
                if (!owned.getKey().equals(backend)) {
                    // Refused rather than ignored: a flag meant for the backend in use but misspelt, or left over
                    // from another set-up, must not pass unnoticed.
                    throw new IllegalArgumentException(option.getValue().source() + " sets option " + option.getKey() + " of backend "
                            + owned.getKey() + ", but the backend is " + backend + "; remove it or select --backend " + owned.getKey());
                }
                backendOptions.put(option.getKey(), option.getValue().text());
            }
        }
        if (settings.containsKey(Flag.HEARTBEAT_INTERVAL)) {
            parseDuration(settings, Flag.HEARTBEAT_INTERVAL);
            warnings.add("--heartbeat-interval is accepted for compatibility with the Go registry and has no effect");
        }

        RegistrySettings registry = new RegistrySettings(parsePositiveDuration(settings, Flag.RELAY_TTL),
                parsePositiveDuration(settings, Flag.AGENT_TTL), parseInt(settings, Flag.MAX_PAGE_SIZE, 1, Integer.MAX_VALUE),
                parseInt(settings, Flag.MAX_PAGE_BYTES, RegistrySettings.MIN_PAGE_BYTES, Integer.MAX_VALUE));
        TransportLimits limits = new TransportLimits(
                parseInt(settings, Flag.MAX_CONCURRENT_CALLS_PER_CONNECTION, 1, Integer.MAX_VALUE),
                parseInt(settings, Flag.MAX_CONNECTIONS, 1, Integer.MAX_VALUE),
                parseInt(settings, Flag.RESERVED_CONNECTIONS, 0, Integer.MAX_VALUE),
                parsePositiveDuration(settings, Flag.MAX_CONNECTION_IDLE),
                parsePositiveDuration(settings, Flag.MAX_CONNECTION_AGE),
                parsePositiveDuration(settings, Flag.MAX_CONNECTION_AGE_GRACE),
                parsePositiveDuration(settings, Flag.KEEPALIVE_TIME),
                parsePositiveDuration(settings, Flag.KEEPALIVE_TIMEOUT),
                parsePositiveDuration(settings, Flag.PERMIT_KEEPALIVE_TIME),
                parsePositiveDuration(settings, Flag.FIRST_MESSAGE_TIMEOUT),
                parseInt(settings, Flag.MAX_RESETS_PER_10S, 1, Integer.MAX_VALUE),
                parseInt(settings, Flag.MAX_UNREAD_RESPONSE_BYTES_PER_CONNECTION, 64 * 1024, Integer.MAX_VALUE),
                parseInt(settings, Flag.MAX_UNREAD_RESPONSE_BYTES, 64 * 1024, Integer.MAX_VALUE),
                parseInt(settings, Flag.MAX_LIST_CALLS_PER_CONNECTION, 1, 1024));
        boolean tls = parseBoolean(settings, Flag.TLS_ENABLED);
        Optional<Path> certPath = tls ? Optional.of(readableFile(settings, Flag.TLS_CERT_PATH)) : Optional.empty();
        Optional<Path> keyPath = tls ? Optional.of(readableFile(settings, Flag.TLS_KEY_PATH)) : Optional.empty();
        String address = text(settings, Flag.GRPC_LISTEN_ADDRESS);
        if (address.isBlank()) {
            throw new IllegalArgumentException("--grpc-listen-address must not be empty");
        }
        OptionalInt callThreads = text(settings, Flag.CALL_THREADS).isBlank()
                ? OptionalInt.empty()
                : OptionalInt.of(parseInt(settings, Flag.CALL_THREADS, 4, 4096));
        CallLimits callLimits = CallLimits.of(parsePositiveDuration(settings, Flag.DEFAULT_CALL_DEADLINE),
                parseInt(settings, Flag.MAX_QUEUED_CALLS, 1, 1_000_000), parsePositiveDuration(settings, Flag.MAX_QUEUE_WAIT),
                callThreads.orElse(CallLimits.DEFAULT_THREADS));
        int coalesceBatchSize = parseInt(settings, Flag.COALESCE_BATCH_SIZE, 0, 100_000);
        int coalesceInFlight = parseInt(settings, Flag.COALESCE_MAX_IN_FLIGHT, 1, 1024);
        Optional<CoalescingBackend.Options> coalescing = coalesceBatchSize == 0
                ? Optional.empty()
                : Optional.of(new CoalescingBackend.Options(coalesceBatchSize, coalesceInFlight));
        SecurityConfig security = securityConfig(settings, tls, address, warnings);
        Operations operations = new Operations(metricsAddress(settings),
                LogSetup.parseFormat(text(settings, Flag.LOG_FORMAT), source(settings, Flag.LOG_FORMAT)),
                LogSetup.parseLevel(text(settings, Flag.LOG_LEVEL), source(settings, Flag.LOG_LEVEL)));
        return new Run(new ServerConfig(backend, backendOptions, address, parseInt(settings, Flag.GRPC_LISTEN_PORT, 0, 65535), registry,
                parseDuration(settings, Flag.SHUTDOWN_TIMEOUT), certPath, keyPath, coalescing, limits, warnings, callLimits, callThreads, security,
                new WatchLimits(parseInt(settings, Flag.MAX_WATCHERS, 0, 1_000_000), parseInt(settings, Flag.WATCH_HISTORY, 1, 10_000_000))),
                operations);
    }

    /** {@code --config PATH} (or {@code --config=PATH}) among the arguments, else the environment's; read before anything else. */
    private static Optional<Path> configFile(List<String> args, Map<String, String> env) {
        String path = env.get(Flag.CONFIG.envName());
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if ((arg.equals("--config") || arg.equals("-config")) && i + 1 < args.size()) {
                path = args.get(i + 1);
            } else if (arg.startsWith("--config=") || arg.startsWith("-config=")) {
                path = arg.substring(arg.indexOf('=') + 1);
            }
        }
        if (path == null || path.isBlank()) {
            return Optional.empty();
        }
        Path file = Path.of(path);
        if (!Files.isReadable(file) || Files.isDirectory(file)) {
            throw new IllegalArgumentException("invalid --config '" + path + "': not a readable file");
        }
        return Optional.of(file);
    }

    private static void readConfigFile(Path file, Collection<String> backendNames, Map<Flag, Setting> settings,
            Map<String, String> backendOptions, Map<String, Map<String, Setting>> backendFlags) {
        for (ConfigFile.Entry entry : ConfigFile.read(file)) {
            String key = entry.key();
            String source = file + " key " + key;
            Flag flag = Flag.named(key);
            if (flag == Flag.HELP || flag == Flag.CONFIG) {
                throw new IllegalArgumentException("invalid key " + key + " in --config '" + file + "': give it on the command line");
            }
            if (flag == Flag.BACKEND_OPTION) {
                putBackendOption(backendOptions, entry.value(), source);
            } else if (flag != null) {
                settings.put(flag, new Setting(entry.value(), source));
            } else {
                String owner = backendOwning(key, backendNames);
                if (owner == null) {
                    throw new IllegalArgumentException("unknown key " + key + " in --config '" + file
                            + "'; keys are the flag names without dashes (run with --help to list them)");
                }
                backendFlags.computeIfAbsent(owner, o -> new TreeMap<>()).put(key.substring(owner.length() + 1), new Setting(entry.value(), source));
            }
        }
    }

    private static Optional<InetSocketAddress> metricsAddress(Map<Flag, Setting> settings) {
        String value = text(settings, Flag.METRICS_LISTEN_ADDRESS).trim();
        if (value.isEmpty()) {
            return Optional.empty();
        }
        int colon = value.lastIndexOf(':');
        String host = colon < 0 ? "" : value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = -1;
        try {
            port = colon < 0 ? -1 : Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            // reported below
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid " + source(settings, Flag.METRICS_LISTEN_ADDRESS) + " '" + value
                    + "': expected host:port with a port from 1 to 65535, such as 127.0.0.1:9464 or :9464 for every address");
        }
        return Optional.of(new InetSocketAddress(host.isEmpty() ? "0.0.0.0" : host, port));
    }

    private static SecurityConfig securityConfig(Map<Flag, Setting> settings, boolean tls, String address, List<String> warnings) {
        Optional<Path> clientCa = optionalFile(settings, Flag.TLS_CLIENT_CA);
        String authText = text(settings, Flag.TLS_CLIENT_AUTH).trim().toLowerCase(Locale.ROOT);
        SecurityConfig.ClientAuth clientAuth = switch (authText) {
            case "" -> clientCa.isPresent() ? SecurityConfig.ClientAuth.REQUIRE : SecurityConfig.ClientAuth.NONE;
            case "none" -> SecurityConfig.ClientAuth.NONE;
            case "optional" -> SecurityConfig.ClientAuth.OPTIONAL;
            case "require" -> SecurityConfig.ClientAuth.REQUIRE;
            default -> throw new IllegalArgumentException("invalid " + source(settings, Flag.TLS_CLIENT_AUTH) + " '"
                    + text(settings, Flag.TLS_CLIENT_AUTH) + "': expected none, optional or require");
        };
        if (clientAuth != SecurityConfig.ClientAuth.NONE && clientCa.isEmpty()) {
            throw new IllegalArgumentException("--tls-client-auth " + authText + " needs --tls-client-ca");
        }
        if (clientAuth == SecurityConfig.ClientAuth.NONE && clientCa.isPresent()) {
            throw new IllegalArgumentException("--tls-client-ca is set but --tls-client-auth is none; drop one of them");
        }
        if (clientCa.isPresent() && !tls) {
            throw new IllegalArgumentException("--tls-client-ca needs --tls-enabled: client certificates are part of TLS");
        }
        Optional<Path> tokenFile = optionalFile(settings, Flag.AUTH_TOKEN_FILE);
        Optional<Path> policyFile = optionalFile(settings, Flag.AUTH_POLICY);
        if (clientCa.isPresent() && policyFile.isEmpty()) {
            throw new IllegalArgumentException("--tls-client-ca needs --auth-policy: its identities give certificate holders their roles");
        }
        boolean allowPlaintext = parseBoolean(settings, Flag.AUTH_ALLOW_PLAINTEXT_LOOPBACK);
        boolean loopback = isLoopback(address);
        if (tokenFile.isPresent() && !tls) {
            if (!allowPlaintext) {
                throw new IllegalArgumentException("--auth-token-file without --tls-enabled would let tokens cross the network in plaintext; "
                        + "enable TLS, or listen on a loopback address with --auth-allow-plaintext-loopback");
            }
            if (!loopback) {
                throw new IllegalArgumentException("--auth-allow-plaintext-loopback needs a loopback --grpc-listen-address, not " + address);
            }
        }
        SecurityConfig security = new SecurityConfig(clientCa, clientAuth, tokenFile, policyFile, allowPlaintext,
                parseBoolean(settings, Flag.AUDIT_LOG));
        if (!security.authenticates() && !loopback) {
            warnings.add("listening on " + address + " without client authentication: anyone who reaches the port can register, move and "
                    + "deregister relays and agents and read the fleet (see --tls-client-ca and --auth-token-file)");
        }
        return security;
    }

    private static boolean isLoopback(String address) {
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static Optional<Path> optionalFile(Map<Flag, Setting> settings, Flag flag) {
        String value = text(settings, flag);
        if (value.isBlank()) {
            return Optional.empty();
        }
        Path path = Path.of(value);
        if (!Files.isReadable(path) || Files.isDirectory(path)) {
            throw new IllegalArgumentException("invalid " + source(settings, flag) + " '" + value + "': not a readable file");
        }
        return Optional.of(path);
    }

    static String help(Map<String, String> backends) {
        StringBuilder text = new StringBuilder();
        text.append("relay-registry: the Aero Arc Relay Registry gRPC server (aeroarc.registry.v1.AeroRegistry)\n\n");
        text.append("Usage: java -jar relay-registry.jar [flags]\n\n");
        text.append("Flags (--name value or --name=value; each also read from the environment variable shown):\n");
        for (Flag flag : Flag.values()) {
            String env = flag == Flag.BACKEND_OPTION ? Flag.BACKEND_OPTION_ENV_PREFIX + "<KEY>" : flag == Flag.HELP ? "" : flag.envName();
            String defaultText = flag.defaultValue.isEmpty() ? "" : " (default " + flag.defaultValue + ")";
            text.append(String.format(Locale.ROOT, "  --%-20s %s%s%n  %-22s %s%n", flag.name, flag.description, defaultText, "",
                    env.isEmpty() ? "" : "env " + env));
        }
        text.append("\nDurations are written as in Go: 500ms, 30s, 1m30s.\n");
        text.append("--BACKEND-KEY value (such as the Go registry's --redis-addr) sets backend option KEY of the selected backend\n")
                .append("(the longest backend name that fits wins; a flag of another backend stops the start-up).\n");
        text.append(Flag.BACKEND_OPTION_ENV_PREFIX).append("KEY_NAME=value sets backend option key-name.\n");
        text.append("\nBackends (name, and the jar or plugin it comes from):\n");
        backends.forEach((name, origin) -> text.append(String.format(Locale.ROOT, "  %-20s %s%n", name, origin)));
        return text.toString();
    }

    private static void readEnvironment(Map<String, String> env, Map<Flag, Setting> settings, Map<String, String> backendOptions) {
        for (Flag flag : Flag.values()) {
            String value = env.get(flag.envName());
            if (value != null && flag != Flag.BACKEND_OPTION && flag != Flag.HELP) {
                settings.put(flag, new Setting(value, flag.envName()));
            }
        }
        for (Map.Entry<String, String> variable : new TreeMap<>(env).entrySet()) {
            String name = variable.getKey();
            if (name.startsWith(Flag.BACKEND_OPTION_ENV_PREFIX) && name.length() > Flag.BACKEND_OPTION_ENV_PREFIX.length()) {
                String key = name.substring(Flag.BACKEND_OPTION_ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '-');
                backendOptions.put(key, variable.getValue());
            }
        }
    }

    /** The backend a {@code --BACKEND-KEY} flag belongs to: the longest name that fits, so {@code memory-x} gets {@code --memory-x-url}. */
    private static String backendOwning(String flagName, Collection<String> backendNames) {
        String owner = null;
        for (String backend : backendNames) {
            if (flagName.startsWith(backend + "-") && flagName.length() > backend.length() + 1
                    && (owner == null || backend.length() > owner.length())) {
                owner = backend;
            }
        }
        return owner;
    }

    /**
     * The {@code --plugin-dir} given on the command line or in the environment, read before the
     * rest because the backends it holds decide which {@code --BACKEND-KEY} flags exist.
     */
    static Optional<String> explicitPluginDir(List<String> args, Map<String, String> env) {
        String found = env.get(Flag.PLUGIN_DIR.envName());
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String body = arg.startsWith("--") ? arg.substring(2) : arg.startsWith("-") ? arg.substring(1) : null;
            if (body == null) {
                continue;
            }
            if (body.startsWith(Flag.PLUGIN_DIR.name + "=")) {
                found = body.substring(Flag.PLUGIN_DIR.name.length() + 1);
            } else if (body.equals(Flag.PLUGIN_DIR.name) && i + 1 < args.size()) {
                found = args.get(++i);
            }
        }
        return Optional.ofNullable(found);
    }

    private static void putBackendOption(Map<String, String> options, String keyValue, String source) {
        int equals = keyValue.indexOf('=');
        if (equals < 1) {
            throw new IllegalArgumentException("invalid " + source + " '" + keyValue + "': expected key=value");
        }
        options.put(keyValue.substring(0, equals).trim(), keyValue.substring(equals + 1));
    }

    private static String text(Map<Flag, Setting> settings, Flag flag) {
        Setting setting = settings.get(flag);
        return setting == null ? flag.defaultValue : setting.text();
    }

    private static String source(Map<Flag, Setting> settings, Flag flag) {
        Setting setting = settings.get(flag);
        return setting == null ? "--" + flag.name : setting.source();
    }

    private static Duration parseDuration(Map<Flag, Setting> settings, Flag flag) {
        String value = text(settings, flag);
        try {
            return GoDurations.parse(value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid " + source(settings, flag) + " '" + value + "': " + e.getMessage());
        }
    }

    private static Duration parsePositiveDuration(Map<Flag, Setting> settings, Flag flag) {
        Duration duration = parseDuration(settings, flag);
        if (duration.toMillis() < 1) {
            throw new IllegalArgumentException("invalid " + source(settings, flag) + " '" + text(settings, flag) + "': must be at least 1ms");
        }
        return duration;
    }

    private static int parseInt(Map<Flag, Setting> settings, Flag flag, int min, int max) {
        String value = text(settings, flag);
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below with the allowed range
        }
        throw new IllegalArgumentException(
                "invalid " + source(settings, flag) + " '" + value + "': expected an integer from " + min + " to " + max);
    }

    private static boolean parseBoolean(Map<Flag, Setting> settings, Flag flag) {
        String value = text(settings, flag);
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1" -> true;
            case "false", "0", "" -> false;
            default -> throw new IllegalArgumentException("invalid " + source(settings, flag) + " '" + value + "': expected true or false");
        };
    }

    private static Path readableFile(Map<Flag, Setting> settings, Flag flag) {
        String value = text(settings, flag);
        if (value.isBlank()) {
            throw new IllegalArgumentException("--tls-enabled needs " + source(settings, flag));
        }
        Path path = Path.of(value);
        if (!Files.isReadable(path) || Files.isDirectory(path)) {
            throw new IllegalArgumentException("invalid " + source(settings, flag) + " '" + value + "': not a readable file");
        }
        return path;
    }
}
