package io.aeroarc.registry.spi;

/**
 * The storage could not be reached or did not answer in time, or cannot serve right now (failing
 * over, out of resources, a retryable conflict). Clients see UNAVAILABLE and retry; the backend
 * must work again by itself once the storage is back. A storage that answers but refuses the
 * registry's credentials or rights is {@link BackendMisconfiguredException}; anything else a
 * backend throws is a bug.
 */
public class BackendUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
