package io.aeroarc.registry.server;

import java.util.Locale;

/**
 * The server's flags. Names follow the Go registry's so operators can switch without rewriting
 * their command lines; each also reads from an environment variable.
 */
enum Flag {
    BACKEND("backend", "memory", "storage backend, by name (see the list below)"),
    BACKEND_OPTION("backend-option", "", "key=value handed to the backend; repeatable"),
    PLUGIN_DIR("plugin-dir", "plugins", "directory of backend plugins: each jar, or sub-directory of jars, gets its own class loader;"
            + " a relative default is beside the jar"),
    GRPC_LISTEN_ADDRESS("grpc-listen-address", "0.0.0.0", "address the gRPC server binds"),
    GRPC_LISTEN_PORT("grpc-listen-port", "50051", "port the gRPC server listens on (0 picks a free one)"),
    RELAY_TTL("relay-ttl", "30s", "a relay is live this long after its last register or heartbeat"),
    AGENT_TTL("agent-ttl", "30s", "a placement is visible this long after its last register or heartbeat"),
    SHUTDOWN_TIMEOUT("shutdown-timeout", "30s", "on SIGTERM, time in-flight calls get to finish"),
    TLS_ENABLED("tls-enabled", "false", "serve TLS (--tls-enabled or --tls-enabled=true)"),
    TLS_CERT_PATH("tls-cert-path", "", "PEM certificate chain, required with --tls-enabled"),
    TLS_KEY_PATH("tls-key-path", "", "PEM private key (PKCS#8), required with --tls-enabled"),
    TLS_CLIENT_CA("tls-client-ca", "", "PEM bundle of the CAs whose client certificates identify clients (mutual TLS)"),
    TLS_CLIENT_AUTH("tls-client-auth", "", "none, optional or require a client certificate; require when --tls-client-ca is set"),
    AUTH_TOKEN_FILE("auth-token-file", "", "bearer tokens, lines 'sha256:<hex> <role> <identity>'; re-read when it changes"),
    AUTH_POLICY("auth-policy", "", "JSON policy: roles of certificate identities, rate limits, reflection"),
    AUTH_ALLOW_PLAINTEXT_LOOPBACK("auth-allow-plaintext-loopback", "false", "accept bearer tokens without TLS on a loopback address"),
    AUDIT_LOG("audit-log", "true", "audit lines (ownership changes, deregistrations, denied calls) on logger io.aeroarc.registry.audit"),
    MAX_PAGE_SIZE("max-page-size", "10000", "most entries in one list response; page_size 0 means this many"),
    COALESCE_BATCH_SIZE("coalesce-batch-size", "1000",
            "most concurrent HeartbeatAgent or GetAgentPlacement calls gathered into one storage round trip; 0 turns gathering off"),
    COALESCE_MAX_IN_FLIGHT("coalesce-max-in-flight", "2",
            "most gathered round trips of one kind at once (the backend may allow fewer)"),
    MAX_PAGE_BYTES("max-page-bytes", "3670016", "most bytes of entries in one list response (3.5 MiB, under clients' 4 MiB default)"),
    MAX_CONCURRENT_CALLS_PER_CONNECTION("max-concurrent-calls-per-connection", "100", "calls one connection may have open at once"),
    MAX_CONNECTIONS("max-connections", "2000", "connections served at once; more are closed"),
    RESERVED_CONNECTIONS("reserved-connections", "16", "connections beyond --max-connections that answer health checks only, for 5s"),
    MAX_CONNECTION_IDLE("max-connection-idle", "5m", "a connection without calls this long is closed"),
    MAX_CONNECTION_AGE("max-connection-age", "30m", "a connection this old is closed (with jitter) once its calls finish"),
    MAX_CONNECTION_AGE_GRACE("max-connection-age-grace", "30s", "time the calls of a too-old connection get to finish"),
    KEEPALIVE_TIME("keepalive-time", "1m", "the server pings a quiet connection this often"),
    KEEPALIVE_TIMEOUT("keepalive-timeout", "20s", "a connection whose ping is unanswered this long is closed"),
    PERMIT_KEEPALIVE_TIME("permit-keepalive-time", "10s", "clients may ping at most this often; more often closes the connection"),
    FIRST_MESSAGE_TIMEOUT("first-message-timeout", "10s", "a call must send its request, a connection finish its handshake, this soon"),
    MAX_RESETS_PER_10S("max-resets-per-10s", "200", "stream resets a client may send per 10s before its connection is closed"),
    MAX_UNREAD_RESPONSE_BYTES_PER_CONNECTION("max-unread-response-bytes-per-connection", "8388608",
            "response bytes a connection may leave unread before more responses are refused"),
    MAX_UNREAD_RESPONSE_BYTES("max-unread-response-bytes", "67108864", "response bytes all connections together may leave unread"),
    MAX_LIST_CALLS_PER_CONNECTION("max-list-calls-per-connection", "4",
            "list calls one connection may have built at once (each page up to --max-page-bytes); more get RESOURCE_EXHAUSTED"),
    DEFAULT_CALL_DEADLINE("default-call-deadline", "5s", "deadline of a call whose client sent none"),
    CALL_THREADS("call-threads", "",
            "registry calls running at once; when unset the backend's (16, etcd 64); keep it at or below the backend's connection pool (pool-size)"),
    MAX_QUEUED_CALLS("max-queued-calls", "10000", "calls waiting for a thread, per lane; more get UNAVAILABLE with a retry pushback"),
    MAX_QUEUE_WAIT("max-queue-wait", "250ms", "a call that waited longer for a thread gets UNAVAILABLE with a retry pushback"),
    MAX_WATCHERS("max-watchers", "10000", "watch streams served at once; more get RESOURCE_EXHAUSTED"),
    WATCH_HISTORY("watch-history", "65536",
            "events kept for resuming watches and for slow streams; a stream further behind gets a fresh snapshot (resync)"),
    METRICS_LISTEN_ADDRESS("metrics-listen-address", "", "host:port of a Prometheus scrape endpoint (plain HTTP, GET /metrics); off when empty"),
    LOG_FORMAT("log-format", "text", "text, or json (one JSON object per line)"),
    LOG_LEVEL("log-level", "", "trace, debug, info, warn, error or off; when unset REGISTRY_LOG_LEVEL, else info"),
    CONFIG("config", "", "YAML file of settings, flag names as keys; flags and environment variables override it"),
    HEARTBEAT_INTERVAL("heartbeat-interval", "1s", "accepted for compatibility with the Go registry; no effect"),
    HELP("help", "", "print this help and exit");

    static final String ENV_PREFIX = "AERO_REGISTRY_";
    static final String BACKEND_OPTION_ENV_PREFIX = ENV_PREFIX + "BACKEND_OPTION_";

    final String name;
    final String defaultValue;
    final String description;

    Flag(String name, String defaultValue, String description) {
        this.name = name;
        this.defaultValue = defaultValue;
        this.description = description;
    }

    String envName() {
        return ENV_PREFIX + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    boolean isBoolean() {
        return this == TLS_ENABLED || this == HELP || this == AUTH_ALLOW_PLAINTEXT_LOOPBACK || this == AUDIT_LOG;
    }

    static Flag named(String name) {
        for (Flag flag : values()) {
            if (flag.name.equals(name)) {
                return flag;
            }
        }
        return null;
    }
}
