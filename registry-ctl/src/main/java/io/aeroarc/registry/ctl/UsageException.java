package io.aeroarc.registry.ctl;

/** A command line that cannot run as given (exit 2), found after parsing: unreadable files, conflicting flags. */
final class UsageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }

    UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
