package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.BackendOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The operator's {@code --backend-option} values for the etcd backend, checked at start-up so a
 * mistake fails with a message naming the option instead of at the first request.
 *
 * @param endpoints the etcd client URLs, all {@code http} or all {@code https}
 * @param namespace the key prefix of everything this backend stores, ending with {@code /}
 * @param timeout the bound of one backend call, all its round trips together
 * @param maxTxnOps the etcd server's {@code --max-txn-ops}; batches are split to stay within it
 * @param reconnectBackoffMax while etcd stays unreachable, the longest wait between attempts to connect
 *     again (see {@link EtcdConnection})
 */
record EtcdSettings(
        List<URI> endpoints,
        String namespace,
        Duration timeout,
        Optional<String> user,
        Optional<String> password,
        Optional<Path> caFile,
        Optional<Path> certFile,
        Optional<Path> keyFile,
        int maxTxnOps,
        Duration reconnectBackoffMax) {

    static final String ENDPOINTS = "endpoints";
    static final String NAMESPACE = "namespace";
    static final String TIMEOUT = "timeout";
    static final String USER = "user";
    static final String PASSWORD = "password";
    static final String CA_FILE = "ca-file";
    static final String CERT_FILE = "cert-file";
    static final String KEY_FILE = "key-file";
    static final String MAX_TXN_OPS = "max-txn-ops";
    static final String RECONNECT_BACKOFF_MAX = "reconnect-backoff-max";

    static final String DEFAULT_ENDPOINTS = "http://127.0.0.1:2379";
    static final String DEFAULT_NAMESPACE = "/aeroarc/registry/";
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    /** etcd's own default for {@code --max-txn-ops}. */
    static final int DEFAULT_MAX_TXN_OPS = 128;
    /** The largest single-placement transaction writes five keys; a little headroom above that. */
    static final int MIN_MAX_TXN_OPS = 8;
    static final Duration DEFAULT_RECONNECT_BACKOFF_MAX = Duration.ofSeconds(2);
    /** Each attempt builds a new client and channel; more often than this only costs work. */
    static final Duration MIN_RECONNECT_BACKOFF_MAX = Duration.ofMillis(100);
    /** grpc's own longest wait between connection attempts; a longer bound would never apply. */
    static final Duration MAX_RECONNECT_BACKOFF_MAX = Duration.ofMinutes(2);
    /** Only a bound against typos such as 2000s for 2000ms. */
    static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    EtcdSettings {
        endpoints = List.copyOf(endpoints);
    }

    static EtcdSettings from(BackendOptions options) {
        options.requireOnly(Set.of(ENDPOINTS, NAMESPACE, TIMEOUT, USER, PASSWORD, CA_FILE, CERT_FILE, KEY_FILE, MAX_TXN_OPS,
                RECONNECT_BACKOFF_MAX));

        List<URI> endpoints = parseEndpoints(options);
        boolean tls = endpoints.get(0).getScheme().equals("https");

        String namespace = options.get(NAMESPACE, DEFAULT_NAMESPACE);
        if (namespace.isEmpty()) {
            throw options.invalid(NAMESPACE, "a non-empty key prefix for everything the registry stores");
        }
        if (!namespace.endsWith("/")) {
            // "/a/registry" and "/a/registry-b" must not share keys.
            namespace = namespace + "/";
        }

        Duration timeout = options.getDuration(TIMEOUT, DEFAULT_TIMEOUT, Duration.ofMillis(1), MAX_TIMEOUT);

        Optional<String> user = options.get(USER);
        Optional<String> password = options.get(PASSWORD);
        if (user.isPresent() != password.isPresent()) {
            options.require(user.isPresent() ? PASSWORD : USER, "it too, since " + (user.isPresent() ? USER : PASSWORD) + " is set");
        }

        Optional<Path> caFile = readableFile(options, CA_FILE);
        Optional<Path> certFile = readableFile(options, CERT_FILE);
        Optional<Path> keyFile = readableFile(options, KEY_FILE);
        if (certFile.isPresent() != keyFile.isPresent()) {
            options.require(certFile.isPresent() ? KEY_FILE : CERT_FILE, "it too, since " + (certFile.isPresent() ? CERT_FILE : KEY_FILE) + " is set");
        }
        if (!tls && (caFile.isPresent() || certFile.isPresent())) {
            throw options.invalid(caFile.isPresent() ? CA_FILE : CERT_FILE, "no file, or https:// endpoints");
        }

        int maxTxnOps = options.getInt(MAX_TXN_OPS, DEFAULT_MAX_TXN_OPS, MIN_MAX_TXN_OPS, Integer.MAX_VALUE);
        Duration reconnectBackoffMax = options.getDuration(RECONNECT_BACKOFF_MAX, DEFAULT_RECONNECT_BACKOFF_MAX, MIN_RECONNECT_BACKOFF_MAX,
                MAX_RECONNECT_BACKOFF_MAX);
        return new EtcdSettings(endpoints, namespace, timeout, user, password, caFile, certFile, keyFile, maxTxnOps,
                reconnectBackoffMax);
    }

    boolean tls() {
        return endpoints.get(0).getScheme().equals("https");
    }

    private static List<URI> parseEndpoints(BackendOptions options) {
        String expected = "a comma-separated list of http://host:port or of https://host:port";
        List<URI> endpoints = new ArrayList<>();
        for (String part : options.get(ENDPOINTS, DEFAULT_ENDPOINTS).split(",")) {
            String trimmed = part.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            URI uri;
            try {
                uri = new URI(trimmed);
            } catch (URISyntaxException e) {
                throw options.invalid(ENDPOINTS, expected);
            }
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null || uri.getPort() < 1
                    || !(uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/"))
                    || uri.getRawQuery() != null || uri.getUserInfo() != null) {
                throw options.invalid(ENDPOINTS, expected);
            }
            endpoints.add(uri);
        }
        if (endpoints.isEmpty()) {
            throw options.invalid(ENDPOINTS, expected);
        }
        if (endpoints.stream().map(URI::getScheme).distinct().count() > 1) {
            throw options.invalid(ENDPOINTS, expected + ", not both");
        }
        return endpoints;
    }

    private static Optional<Path> readableFile(BackendOptions options, String key) {
        Optional<Path> path = options.get(key).map(Path::of);
        if (path.isPresent() && !Files.isReadable(path.get())) {
            throw options.invalid(key, "a readable file");
        }
        return path;
    }


    @Override
    public String toString() {
        // Never print the password.
        return "EtcdSettings[endpoints=" + endpoints + ", namespace=" + namespace + ", timeout=" + timeout
                + ", user=" + user.orElse("-") + ", tls=" + tls() + ", maxTxnOps=" + maxTxnOps
                + ", reconnectBackoffMax=" + reconnectBackoffMax + "]";
    }
}
