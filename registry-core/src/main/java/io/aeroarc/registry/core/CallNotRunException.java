package io.aeroarc.registry.core;

/**
 * A gathered call that was refused without reaching the storage: too many calls were already
 * waiting for a round trip of its kind, or its deadline passed while it waited. It tells nothing
 * about the storage, so it never moves {@link StorageAvailability}.
 */
public final class CallNotRunException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** The wait for a round trip was full; the client should come back after a pushback. */
        OVERLOADED,
        /** The call's deadline passed while it waited; the client has stopped waiting. */
        DEADLINE_PASSED
    }

    private final Reason reason;

    CallNotRunException(Reason reason, String message) {
        // No stack trace: under overload these are as common as the calls themselves.
        super(message, null, false, false);
        this.reason = reason;
    }

    static CallNotRunException overloaded(String operation) {
        return new CallNotRunException(Reason.OVERLOADED,
                "the server is overloaded: too many " + operation + " calls waiting for a storage round trip; retry after the pushback");
    }

    static CallNotRunException deadlinePassed() {
        return new CallNotRunException(Reason.DEADLINE_PASSED, "deadline passed while the call was queued; it was not run");
    }

    public Reason reason() {
        return reason;
    }
}
