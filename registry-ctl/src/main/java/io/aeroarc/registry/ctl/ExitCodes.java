package io.aeroarc.registry.ctl;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The exit codes registryctl promises; scripts branch on them, so they never change meaning. */
final class ExitCodes {

    static final int OK = 0;
    static final int NOT_FOUND = 1;
    static final int USAGE = 2;
    static final int UNAVAILABLE = 3;
    static final int CREDENTIALS_REFUSED = 4;
    static final int OTHER = 5;

    private ExitCodes() {}

    static int of(Exception exception) {
        if (exception instanceof StatusRuntimeException status) {
            return of(status.getStatus().getCode());
        }
        if (exception instanceof UsageException) {
            return USAGE;
        }
        return OTHER;
    }

    static int of(Status.Code code) {
        return switch (code) {
            case OK -> OK;
            case NOT_FOUND -> NOT_FOUND;
            // The server names the field; the operator fixes the command line.
            case INVALID_ARGUMENT -> USAGE;
            case UNAVAILABLE, DEADLINE_EXCEEDED -> UNAVAILABLE;
            case UNAUTHENTICATED, PERMISSION_DENIED -> CREDENTIALS_REFUSED;
            default -> OTHER;
        };
    }
}
