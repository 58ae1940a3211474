package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.support.DurationText;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code --backend-option} values of the postgres backend, validated.
 *
 * @param schema a lower-case SQL identifier, so it needs no escaping inside the quotes statements put it in
 * @param timeout the bound of every statement and of waiting for a pooled connection
 */
record PostgresSettings(String url, Optional<String> user, Optional<String> password, int poolSize, String schema, Duration timeout) {

    static final String URL = "url";
    static final String USER = "user";
    static final String PASSWORD = "password";
    static final String POOL_SIZE = "pool-size";
    static final String SCHEMA = "schema";
    static final String TIMEOUT = "timeout";

    /**
     * The server's 16 call threads plus its gathered round trips (2 per kind, on threads of their
     * own: heartbeats, lookups, and the placement read before each registration), so a flood of
     * other calls holding every call thread never holds the connections the heartbeat batches need.
     */
    static final int DEFAULT_POOL_SIZE = 22;
    static final String DEFAULT_SCHEMA = "aeroarc_registry";
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    /** HikariCP refuses a shorter connection timeout. */
    static final Duration MIN_TIMEOUT = Duration.ofMillis(250);
    /**
     * Rows are deleted {@link ExpirySweeper#DELETE_GRACE} after their last write, which must
     * outlast any statement twice over (see the README's epoch section).
     */
    static final Duration MAX_TIMEOUT = Duration.ofSeconds(20);

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    static PostgresSettings from(BackendOptions options) {
        options.requireOnly(Set.of(URL, USER, PASSWORD, POOL_SIZE, SCHEMA, TIMEOUT));
        String url = options.require(URL, "a JDBC URL such as jdbc:postgresql://db.example:5432/registry").trim();
        if (!url.startsWith("jdbc:postgresql:")) {
            throw options.invalid(URL, "a JDBC URL starting with jdbc:postgresql:");
        }
        int poolSize = options.getInt(POOL_SIZE, DEFAULT_POOL_SIZE, 1, Integer.MAX_VALUE);
        String schema = options.get(SCHEMA, DEFAULT_SCHEMA);
        if (!IDENTIFIER.matcher(schema).matches() || schema.startsWith("pg_")) {
            throw options.invalid(SCHEMA, "a lower-case SQL identifier: a-z, 0-9 and _, not starting with a digit or pg_,"
                    + " at most 63 characters");
        }
        Duration timeout = options.getDuration(TIMEOUT, DEFAULT_TIMEOUT, MIN_TIMEOUT, MAX_TIMEOUT);
        return new PostgresSettings(url, options.get(USER), options.get(PASSWORD), poolSize, schema, timeout);
    }

    /** Never prints the password. */
    @Override
    public String toString() {
        return "PostgresSettings[url=" + url + ", user=" + user.orElse("(driver default)") + ", pool-size=" + poolSize
                + ", schema=" + schema + ", timeout=" + DurationText.format(timeout) + "]";
    }
}
