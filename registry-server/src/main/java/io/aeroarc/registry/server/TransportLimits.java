package io.aeroarc.registry.server;

import java.time.Duration;

/**
 * Limits on what one client can hold of the server: connections, calls, time, unread responses.
 * Every one is a flag; the defaults let a fleet of 1 000 relays and their API servers in and keep
 * a hostile client within a few MB.
 *
 * @param maxConcurrentCallsPerConnection HTTP/2 streams a connection may have open (SETTINGS_MAX_CONCURRENT_STREAMS)
 * @param maxConnections connections served; beyond it (plus the reserve) new ones are closed at once
 * @param reservedConnections connections accepted beyond {@code maxConnections} that answer health only and are closed after {@link #RESERVED_CONNECTION_LIFETIME}
 * @param maxConnectionIdle a connection without calls this long is closed (GOAWAY)
 * @param maxConnectionAge a connection older than this is closed, with jitter, after {@code maxConnectionAgeGrace} for its calls
 * @param keepaliveTime the server pings a quiet connection this often and closes it when no answer comes within {@code keepaliveTimeout}
 * @param permitKeepaliveTime clients may ping at most this often (also without calls); more often closes the connection
 * @param firstMessageTimeout a call must send its request this soon after it starts, and a new connection finish its TLS and HTTP/2 handshake
 * @param maxResetsPer10s client stream resets (RST_STREAM) allowed per 10 s on a connection before it is closed: rapid-reset protection
 * @param maxUnreadResponseBytesPerConnection response bytes a connection may leave unread before further responses are refused
 * @param maxUnreadResponseBytes response bytes all connections together may leave unread; responses over 64 KiB are refused beyond it
 * @param maxListCallsPerConnection list pages one connection may have built at once; more list calls are refused
 */
record TransportLimits(
        int maxConcurrentCallsPerConnection,
        int maxConnections,
        int reservedConnections,
        Duration maxConnectionIdle,
        Duration maxConnectionAge,
        Duration maxConnectionAgeGrace,
        Duration keepaliveTime,
        Duration keepaliveTimeout,
        Duration permitKeepaliveTime,
        Duration firstMessageTimeout,
        int maxResetsPer10s,
        long maxUnreadResponseBytesPerConnection,
        long maxUnreadResponseBytes,
        int maxListCallsPerConnection) {

    static final Duration RESERVED_CONNECTION_LIFETIME = Duration.ofSeconds(5);
    static final int RESET_WINDOW_SECONDS = 10;

    static TransportLimits defaults() {
        return new TransportLimits(100, 2000, 16, Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofSeconds(30),
                Duration.ofMinutes(1), Duration.ofSeconds(20), Duration.ofSeconds(10), Duration.ofSeconds(10), 200,
                8L * 1024 * 1024, 64L * 1024 * 1024, UnreadResponseBudget.DEFAULT_LIST_BUILDS_PER_CONNECTION);
    }
}
