package io.aeroarc.registry.server;

import io.aeroarc.registry.core.RegistryException;
import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

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

    static StatusRuntimeException toStatusException(Throwable failure) {
        return toStatus(failure).asRuntimeException();
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

    static Status toStatus(Throwable failure) {
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
}
