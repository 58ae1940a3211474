package io.aeroarc.registry.backend.redis;

import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import java.util.Locale;
import java.util.Set;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisBusyException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Sorts a Jedis failure into the SPI's three classes by its type and Redis' error code (the first
 * word of an error reply):
 * <ul>
 *   <li>outage ({@link BackendUnavailableException}): no connection or no answer in time, an
 *       exhausted pool, and the codes of a Redis that cannot serve right now: LOADING, BUSY,
 *       MASTERDOWN, READONLY (a replica during failover), OOM, TRYAGAIN, CLUSTERDOWN, MISCONF;</li>
 *   <li>misconfiguration ({@link BackendMisconfiguredException}): NOAUTH, WRONGPASS, NOPERM (ACLs),
 *       and an unknown command (EVALSHA renamed or disabled);</li>
 *   <li>bug ({@link IllegalStateException}): any other error reply, such as a script error or
 *       WRONGTYPE (a key of the registry's prefix holding the wrong kind of value).</li>
 * </ul>
 */
final class RedisErrors {

    private static final Set<String> MISCONFIGURED = Set.of("NOAUTH", "WRONGPASS", "NOPERM");
    private static final Set<String> TRANSIENT = Set.of("LOADING", "BUSY", "MASTERDOWN", "READONLY", "OOM", "TRYAGAIN", "CLUSTERDOWN",
            "MISCONF");

    private RedisErrors() {}

    /** The exception to throw for {@code failure} of {@code what} on the Redis {@code description} names. */
    static RuntimeException classify(String description, String what, JedisException failure) {
        String where = "redis at " + description + " (" + what + "): ";
        if (refusesTheRegistry(failure)) {
            return new BackendMisconfiguredException(where + "refuses the registry's credentials or rights: " + failure.getMessage(), failure);
        }
        if (has(failure, JedisConnectionException.class)) {
            return new BackendUnavailableException(where + "unreachable or timed out: " + failure.getMessage(), failure);
        }
        JedisDataException reply = find(failure, JedisDataException.class);
        if (reply == null) {
            // The client's own failure to get a connection in time (an exhausted pool): no answer yet.
            return new BackendUnavailableException(where + "failed: " + failure.getMessage(), failure);
        }
        if (reply instanceof JedisBusyException || TRANSIENT.contains(code(reply.getMessage()))) {
            return new BackendUnavailableException(where + "cannot serve right now: " + reply.getMessage(), failure);
        }
        if (reply.getMessage() != null && reply.getMessage().startsWith("ERR unknown command")) {
            return new BackendMisconfiguredException(where + "does not offer a command the registry needs: " + reply.getMessage(), failure);
        }
        return new IllegalStateException(where + "error reply, a bug in the registry's scripts or foreign data under its key prefix: "
                + reply.getMessage(), failure);
    }

    private static boolean refusesTheRegistry(JedisException failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof JedisAccessControlException) {
                return true;
            }
            String message = cause.getMessage();
            if (message != null) {
                for (String word : message.split("[\\s:,]+")) {
                    if (MISCONFIGURED.contains(word)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static String code(String message) {
        if (message == null || message.isEmpty()) {
            return "";
        }
        int end = message.indexOf(' ');
        return (end < 0 ? message : message.substring(0, end)).toUpperCase(Locale.ROOT);
    }

    private static boolean has(Throwable failure, Class<? extends Throwable> type) {
        return find(failure, type) != null;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }
}
