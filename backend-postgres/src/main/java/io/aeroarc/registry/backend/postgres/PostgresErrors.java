package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import java.sql.SQLException;
import java.util.Set;

/**
 * Sorts an SQL failure into the SPI's three classes by its SQLSTATE (the first one found on the
 * exception or its causes: the pool wraps a failed connection attempt):
 * <ul>
 *   <li>outage ({@link BackendUnavailableException}): no SQLSTATE (no answer: a socket timeout,
 *       an exhausted pool), class 08 (connection), 53 (insufficient resources), 57 (operator
 *       intervention: shutdown, a statement cancelled by {@code statement_timeout}), 58 (system
 *       I/O), 40001 and 40P01 (serialization failure, deadlock: retryable), 55P03 (lock not
 *       available), 25006 (a read-only standby during failover), and 42P01/3F000 (table or schema
 *       gone: the next call migrates again);</li>
 *   <li>misconfiguration ({@link BackendMisconfiguredException}): class 28 (authentication), 42501
 *       (insufficient privilege on the schema or tables), 3D000 (no such database);</li>
 *   <li>bug ({@link IllegalStateException}): everything else, such as a syntax error or an
 *       undefined column (class 42), a data exception (22) or an unexpected constraint
 *       violation (23).</li>
 * </ul>
 */
final class PostgresErrors {

    static final String UNDEFINED_TABLE = "42P01";
    static final String INVALID_SCHEMA_NAME = "3F000";

    private static final Set<String> TRANSIENT_CLASSES = Set.of("08", "53", "57", "58");
    private static final Set<String> TRANSIENT_STATES = Set.of("40001", "40P01", "55P03", "25006", UNDEFINED_TABLE, INVALID_SCHEMA_NAME);
    private static final Set<String> MISCONFIGURED_STATES = Set.of("42501", "3D000");

    private PostgresErrors() {}

    /** The exception to throw for {@code failure} of {@code operation}; {@code detail} describes it. */
    static RuntimeException classify(String operation, SQLException failure, String detail) {
        String state = sqlState(failure);
        String where = "postgres: " + operation + " failed";
        if (state == null || TRANSIENT_STATES.contains(state) || TRANSIENT_CLASSES.contains(state.substring(0, 2))) {
            return new BackendUnavailableException(where + ": " + detail, failure);
        }
        if (state.startsWith("28") || MISCONFIGURED_STATES.contains(state)) {
            return new BackendMisconfiguredException(where + ", the database refuses the registry's credentials or rights (SQLSTATE "
                    + state + "): " + detail, failure);
        }
        return new IllegalStateException(where + " with SQLSTATE " + state + ", a bug in the registry's SQL or a schema changed by "
                + "hand: " + detail, failure);
    }

    /** The first SQLSTATE on {@code failure} or its causes, or null. */
    static String sqlState(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().length() == 5) {
                return sql.getSQLState();
            }
        }
        return null;
    }
}
