package io.aeroarc.registry.backend.redis;

import io.aeroarc.registry.spi.BackendOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Where the Redis is and how to talk to it, read from the operator's {@code --backend-option}s:
 * either {@code url} or the Go registry's flags ({@code addr}, {@code port}, {@code user},
 * {@code password}, {@code db}), never both.
 *
 * @param user the ACL user, or null for the default user (password-only AUTH)
 * @param password null for no AUTH
 * @param feedMaxLen about how many changes the change stream keeps (the resume window); 0 writes
 *     no stream and leaves the change feed to the SPI's polling default
 */
record RedisSettings(
        String host,
        int port,
        String user,
        String password,
        int database,
        boolean tls,
        int poolSize,
        Duration timeout,
        String keyPrefix,
        int feedMaxLen) {

    static final String URL = "url";
    static final String POOL_SIZE = "pool-size";
    static final String TIMEOUT = "timeout";
    static final String KEY_PREFIX = "key-prefix";
    static final String ADDR = "addr";
    static final String PORT = "port";
    static final String USER = "user";
    static final String PASSWORD = "password";
    static final String DB = "db";
    static final String FEED_MAX_LEN = "feed-max-len";

    /** The Go registry's flag names, without their {@code redis-} prefix. */
    static final List<String> GO_FLAG_ALIASES = List.of(ADDR, PORT, USER, PASSWORD, DB);

    static final int DEFAULT_PORT = 6379;
    /**
     * The server's 16 call threads plus its gathered round trips (2 per kind, on threads of their
     * own), so a flood of other calls holding every call thread never holds the connections the
     * heartbeat batches need.
     */
    static final int DEFAULT_POOL_SIZE = 20;
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    /** Jedis takes timeouts as int milliseconds. */
    static final Duration MAX_TIMEOUT = Duration.ofDays(24);
    static final String DEFAULT_KEY_PREFIX = "aeroarc:registry:";
    /** The Go registry's {@code --redis-user} default, which means "no ACL user". */
    static final String DEFAULT_USER = "default";
    /** About 10-20 MB of Redis memory, minutes of a busy fleet's changes. */
    static final int DEFAULT_FEED_MAX_LEN = 100_000;

    static RedisSettings from(BackendOptions options) {
        options.requireOnly(Set.of(URL, POOL_SIZE, TIMEOUT, KEY_PREFIX, ADDR, PORT, USER, PASSWORD, DB, FEED_MAX_LEN));
        int feedMaxLen = options.getInt(FEED_MAX_LEN, DEFAULT_FEED_MAX_LEN, 0, Integer.MAX_VALUE);

        int poolSize = options.getInt(POOL_SIZE, DEFAULT_POOL_SIZE, 1, Integer.MAX_VALUE);
        Duration timeout = options.getDuration(TIMEOUT, DEFAULT_TIMEOUT, Duration.ofMillis(1), MAX_TIMEOUT);
        String keyPrefix = options.get(KEY_PREFIX, DEFAULT_KEY_PREFIX);
        if (keyPrefix.isEmpty()) {
            throw options.invalid(KEY_PREFIX, "a non-empty key prefix");
        }

        List<String> aliases = GO_FLAG_ALIASES.stream().filter(key -> options.get(key).isPresent()).toList();
        if (options.get(URL).isPresent()) {
            if (!aliases.isEmpty()) {
                throw new IllegalArgumentException("--backend-option " + URL + " cannot be combined with "
                        + String.join(", ", aliases) + " for backend " + options.backendName()
                        + ": give the whole address as url, or use the separate options without url");
            }
            return fromUrl(options, options.get(URL).get(), poolSize, timeout, keyPrefix, feedMaxLen);
        }
        return fromGoFlags(options, poolSize, timeout, keyPrefix, feedMaxLen);
    }

    private static RedisSettings fromUrl(BackendOptions options, String text, int poolSize, Duration timeout,
            String keyPrefix, int feedMaxLen) {
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw options.invalidSecret(URL, "redis://[user:password@]host:port[/db] or rediss://...");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("redis") && !scheme.equals("rediss")) {
            throw options.invalidSecret(URL, "the scheme redis:// or rediss:// (TLS)");
        }
        if (uri.getHost() == null) {
            throw options.invalidSecret(URL, "a host, as in redis://[user:password@]host:port[/db] (no host given)");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw options.invalidSecret(URL, "no query parameters or fragment (use the other options)");
        }
        String user = null;
        String password = null;
        if (uri.getUserInfo() != null) {
            String userInfo = uri.getUserInfo();
            int colon = userInfo.indexOf(':');
            user = colon < 0 ? userInfo : userInfo.substring(0, colon);
            password = colon < 0 ? null : userInfo.substring(colon + 1);
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        int database = 0;
        if (!path.isEmpty() && !path.equals("/")) {
            database = parseDatabase(options, URL, path.substring(1));
        }
        int port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
        return new RedisSettings(uri.getHost(), port, aclUser(user), emptyToNull(password), database,
                scheme.equals("rediss"), poolSize, timeout, keyPrefix, feedMaxLen);
    }

    private static RedisSettings fromGoFlags(BackendOptions options, int poolSize, Duration timeout, String keyPrefix,
            int feedMaxLen) {
        String host = options.get(ADDR, "localhost").trim();
        if (host.isEmpty()) {
            throw options.invalid(ADDR, "a host name or IP");
        }
        if (host.indexOf(':') >= 0 && host.indexOf(':') == host.lastIndexOf(':')) {
            throw options.invalid(ADDR, "a host name or IP only; give the port with " + PORT);
        }
        int port = options.getInt(PORT, DEFAULT_PORT, 1, 65535);
        String database = options.get(DB, "0");
        return new RedisSettings(host, port, aclUser(options.get(USER, DEFAULT_USER)), emptyToNull(options.get(PASSWORD, "")),
                parseDatabase(options, DB, database), false, poolSize, timeout, keyPrefix, feedMaxLen);
    }

    private static int parseDatabase(BackendOptions options, String key, String text) {
        try {
            int database = Integer.parseInt(text.trim());
            if (database >= 0) {
                return database;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        String expected = "a database number of 0 or more";
        throw key.equals(URL) ? options.invalidSecret(key, expected + " as the path") : options.invalid(key, expected);
    }

    /** The default user is who a password-only AUTH logs in as, and the only user Redis 5 knows. */
    private static String aclUser(String user) {
        return user == null || user.isEmpty() || user.equals(DEFAULT_USER) ? null : user;
    }

    private static String emptyToNull(String text) {
        return text == null || text.isEmpty() ? null : text;
    }

    /** The address without credentials, for logs and error messages. */
    String describe() {
        String hostPart = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return (tls ? "rediss://" : "redis://") + hostPart + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return "RedisSettings[" + describe() + ", user=" + user + ", password=" + (password == null ? "none" : "***")
                + ", poolSize=" + poolSize + ", timeout=" + timeout + ", keyPrefix=" + keyPrefix + ", feedMaxLen=" + feedMaxLen + "]";
    }
}
