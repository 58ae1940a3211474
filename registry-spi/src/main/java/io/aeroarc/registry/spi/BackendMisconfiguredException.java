package io.aeroarc.registry.spi;

/**
 * The storage answers but refuses the registry as configured: authentication refused (a wrong
 * password, an unknown user), missing rights on the schema, tables or keys, a database or command
 * that does not exist. Waiting does not cure it; an operator must fix the backend options or the
 * storage's users and grants.
 *
 * <p>It extends {@link BackendUnavailableException} so code written before it existed treats it as
 * it did: the storage cannot serve the registry right now. The registry keeps it apart: found at
 * start-up it stops the server with status 2, as a bad option does; found later it turns health
 * NOT_SERVING with an error log line naming the cause, and calls fail with UNAVAILABLE (not
 * FAILED_PRECONDITION, which tells an agent it moved), until the storage accepts the registry again.
 *
 * <p>The three classes of failure a backend reports: {@link BackendUnavailableException} for an
 * outage (unreachable, timed out, failing over, out of resources), this one for a misconfiguration,
 * and any other {@link RuntimeException} for a bug (a script error, a wrong key type, an SQL syntax
 * error, an unexpected constraint violation), which clients see as INTERNAL and which never counts
 * as an outage.
 */
public class BackendMisconfiguredException extends BackendUnavailableException {

    private static final long serialVersionUID = 1L;

    public BackendMisconfiguredException(String message) {
        super(message);
    }

    public BackendMisconfiguredException(String message, Throwable cause) {
        super(message, cause);
    }
}
