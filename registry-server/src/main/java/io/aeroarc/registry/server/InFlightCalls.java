package io.aeroarc.registry.server;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts unary calls in flight, so a stop can wait for them alone. Streams (health watches,
 * reflection) never end on their own and would otherwise hold every stop for the full timeout.
 */
final class InFlightCalls implements ServerInterceptor {

    private int running;

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        // Registry methods are unary, though the transport sees them as streams (see RequestParsing).
        // Watches are streams too: the server ends them itself at shutdown (WatchService.endAll).
        boolean endsByItself = call.getMethodDescriptor().getType() == MethodDescriptor.MethodType.UNARY
                || AeroRegistryGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())
                && !WatchMethods.isWatch(call.getMethodDescriptor());
        if (!endsByItself) {
            return next.startCall(call, headers);
        }
        started();
        AtomicBoolean ended = new AtomicBoolean();
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(call, headers);
        } catch (RuntimeException e) {
            ended();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onComplete() {
                try {
                    super.onComplete();
                } finally {
                    if (ended.compareAndSet(false, true)) {
                        ended();
                    }
                }
            }

            @Override
            public void onCancel() {
                try {
                    super.onCancel();
                } finally {
                    if (ended.compareAndSet(false, true)) {
                        ended();
                    }
                }
            }
        };
    }

    /** @return whether every unary call ended within {@code timeout} */
    synchronized boolean awaitNone(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (running > 0) {
            long leftMillis = (deadline - System.nanoTime()) / 1_000_000;
            if (leftMillis <= 0) {
                return false;
            }
            wait(leftMillis);
        }
        return true;
    }

    private synchronized void started() {
        running++;
    }

    private synchronized void ended() {
        running--;
        notifyAll();
    }
}
