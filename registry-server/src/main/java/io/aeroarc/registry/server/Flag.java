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
