package io.aeroarc.registry.core;

/**
 * An expected failure of a request, with a message fit for the client. Unexpected failures are
 * any other exception; a storage outage is the SPI's BackendUnavailableException.
 */
public final class RegistryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;

    public RegistryException(ErrorKind kind, String message) {
        // No stack trace: these are answers to clients, as common as heartbeats of expired agents.
        super(message, null, false, false);
        this.kind = kind;
    }

    public static RegistryException invalidArgument(String field, String reason) {
        return new RegistryException(ErrorKind.INVALID_ARGUMENT, field + ": " + reason);
    }

    public static RegistryException notFound(String message) {
        return new RegistryException(ErrorKind.NOT_FOUND, message);
    }

    public static RegistryException failedPrecondition(String message) {
        return new RegistryException(ErrorKind.FAILED_PRECONDITION, message);
    }

    public ErrorKind kind() {
        return kind;
    }
}
