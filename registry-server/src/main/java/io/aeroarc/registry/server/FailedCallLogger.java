package io.aeroarc.registry.server;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs one line per failed call with its status and, server-side only, its cause. Successful calls
 * are not logged: heartbeats are the bulk of the traffic.
 */
final class FailedCallLogger implements ServerInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger("io.aeroarc.registry.calls");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        long startNanos = System.nanoTime();
        ServerCall<Q, R> logging = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                if (!status.isOk()) {
                    log(call.getMethodDescriptor().getFullMethodName(), status, (System.nanoTime() - startNanos) / 1_000_000);
                }
                super.close(status, trailers);
            }
        };
        return next.startCall(logging, headers);
    }

    private static void log(String method, Status status, long millis) {
        Throwable cause = status.getCause();
        String line = "{} failed in {} ms: {} {}" + (cause == null ? "" : " (cause: {})");
        Object[] args = cause == null
                ? new Object[] {method, millis, status.getCode(), status.getDescription()}
                : new Object[] {method, millis, status.getCode(), status.getDescription(), cause.toString()};
        switch (status.getCode()) {
            case INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, CANCELLED, ALREADY_EXISTS, OUT_OF_RANGE -> LOG.info(line, args);
            case INTERNAL, UNKNOWN, DATA_LOSS -> LOG.error("{} failed in {} ms: {} {}", method, millis, status.getCode(),
                    status.getDescription(), cause);
            default -> LOG.warn(line, args);
        }
    }
}
