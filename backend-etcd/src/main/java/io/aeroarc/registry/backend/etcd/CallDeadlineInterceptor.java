package io.aeroarc.registry.backend.etcd;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Gives every unary gRPC call to etcd a deadline of the backend's timeout, so a call this backend
 * stopped waiting for also ends on the wire instead of piling up while etcd hangs. Streams (the
 * change feed's watch) live as long as their subscription; the feed bounds their silence itself.
 */
final class CallDeadlineInterceptor implements ClientInterceptor {

    private final Duration timeout;

    CallDeadlineInterceptor(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method, CallOptions callOptions,
            Channel next) {
        CallOptions bounded = callOptions.getDeadline() == null && method.getType() == MethodDescriptor.MethodType.UNARY
                ? callOptions.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
                : callOptions;
        return next.newCall(method, bounded);
    }
}
