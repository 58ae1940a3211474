package io.aeroarc.registry.server;

import io.aeroarc.registry.core.CallNotRunException;
import io.aeroarc.registry.core.RegistryException;
import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;

/**
 * The one place where failures become gRPC statuses. Clients get a clean description; the cause
 * stays attached to the status for the server's log and is never sent.
 *
 * <p>Backend failures come in three classes: an outage ({@code BackendUnavailableException}) and a
 * misconfiguration ({@code BackendMisconfiguredException}) are UNAVAILABLE, retried by clients;
 * anything else a backend throws is a bug, INTERNAL, logged with its stack trace.
 */
final class StatusMapper {

    private StatusMapper() {}

    /** The status with its trailers: a call shed for overload carries the retry pushback, as one shed by {@link CallAdmission}. */
    static StatusRuntimeException toStatusException(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (isOverloaded(cause)) {
            return toStatus(cause).asRuntimeException(CallAdmission.pushbackTrailers());
        }
        return toStatus(cause).asRuntimeException();
    }

    /** Whether the call was shed because too many calls of its kind waited for a storage round trip. */
    static boolean isOverloaded(Throwable failure) {
        return unwrap(failure) instanceof CallNotRunException refused && refused.reason() == CallNotRunException.Reason.OVERLOADED;
    }

    /**
     * A call shed by admission control: UNAVAILABLE, gRPC's "transient, retry with back-off", as
     * for a storage outage. A stalled storage first shows as calls queueing, so shedding and an
     * outage look alike to a client and must be retried alike; RESOURCE_EXHAUSTED means a quota or
     * a size limit that retrying does not cure. The description and the retry pushback trailer
     * tell overload apart, and health stays SERVING.
     */
    static Status overloaded(String reason) {
        return Status.UNAVAILABLE.withDescription(reason);
    }

    /** A call whose deadline passed before a thread was free to run it; it was not run. */
    static Status deadlinePassedInQueue() {
        return Status.DEADLINE_EXCEEDED.withDescription("deadline passed while the call was queued; it was not run");
    }

    static Status toStatus(Throwable thrown) {
        Throwable failure = unwrap(thrown);
        if (failure instanceof CallNotRunException refused) {
            return switch (refused.reason()) {
                case OVERLOADED -> overloaded(refused.getMessage());
                case DEADLINE_PASSED -> deadlinePassedInQueue();
            };
        }
        if (failure instanceof RegistryException expected) {
            Status status = switch (expected.kind()) {
                case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
                case NOT_FOUND -> Status.NOT_FOUND;
                case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
            };
            return status.withDescription(expected.getMessage());
        }
        if (failure instanceof BackendMisconfiguredException) {
            // UNAVAILABLE, not FAILED_PRECONDITION: to this registry's clients FAILED_PRECONDITION
            // means "the agent moved, stop serving it", and their retry policies retry UNAVAILABLE
            // with back-off, which is right: the calls succeed unchanged once an operator fixes it.
            return Status.UNAVAILABLE.withDescription("storage backend refuses the registry's configuration; retry later")
                    .withCause(failure);
        }
        if (failure instanceof BackendUnavailableException) {
            return Status.UNAVAILABLE.withDescription("storage backend unavailable; retry later").withCause(failure);
        }
        if (failure instanceof StatusRuntimeException grpc) {
            return grpc.getStatus();
        }
        return Status.INTERNAL.withDescription("internal error; see the registry's log").withCause(failure);
    }

    /** The failure itself, not the wrapper a future's chained stage puts around it. */
    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }
}
