package io.aeroarc.registry.server;

import java.util.Locale;

/**
 * The server's flags. Names follow the Go registry's so operators can switch without rewriting
 * their command lines; each also reads from an environment variable.
 */
enum Flag {
    BACKEND("backend", "memory", "storage backend, by name (see the list below)"),
    BACKEND_OPTION("backend-option", "", "key=value handed to the backend; repeatable"),
    GRPC_LISTEN_ADDRESS("grpc-listen-address", "0.0.0.0", "address the gRPC server binds"),
    GRPC_LISTEN_PORT("grpc-listen-port", "50051", "port the gRPC server listens on (0 picks a free one)"),
    RELAY_TTL("relay-ttl", "30s", "a relay is live this long after its last register or heartbeat"),
    AGENT_TTL("agent-ttl", "30s", "a placement is visible this long after its last register or heartbeat"),
    SHUTDOWN_TIMEOUT("shutdown-timeout", "30s", "on SIGTERM, time in-flight calls get to finish"),
    TLS_ENABLED("tls-enabled", "false", "serve TLS (--tls-enabled or --tls-enabled=true)"),
    TLS_CERT_PATH("tls-cert-path", "", "PEM certificate chain, required with --tls-enabled"),
    TLS_KEY_PATH("tls-key-path", "", "PEM private key (PKCS#8), required with --tls-enabled"),
    MAX_PAGE_SIZE("max-page-size", "10000", "most entries in one list response; page_size 0 means this many"),
    DEFAULT_CALL_DEADLINE("default-call-deadline", "5s", "deadline of a call whose client sent none"),
    MAX_QUEUED_CALLS("max-queued-calls", "2000", "calls waiting for a thread, per lane; more get UNAVAILABLE with a retry pushback"),
    MAX_QUEUE_WAIT("max-queue-wait", "50ms", "a call that waited longer for a thread gets UNAVAILABLE with a retry pushback"),
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
        return this == TLS_ENABLED || this == HELP;
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
