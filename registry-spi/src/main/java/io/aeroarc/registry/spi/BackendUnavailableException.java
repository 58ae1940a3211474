package io.aeroarc.registry.spi;

/**
 * The storage could not be reached or did not answer in time. Clients see UNAVAILABLE and retry;
 * the backend must work again by itself once the storage is back.
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
