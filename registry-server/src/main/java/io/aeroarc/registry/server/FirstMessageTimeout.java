package io.aeroarc.registry.server;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Ends calls whose request does not arrive in time: an opened stream that never sends a message
 * otherwise holds its memory until the client leaves. The call is closed with CANCELLED from a
 * timer thread; the call's own methods take the same lock, as gRPC calls are not thread safe.
 */
final class FirstMessageTimeout implements ServerInterceptor {

    private final Duration timeout;
    private final ScheduledExecutorService scheduler;

    FirstMessageTimeout(Duration timeout, ScheduledExecutorService scheduler) {
        this.timeout = timeout;
        this.scheduler = scheduler;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        GuardedCall<Q, R> guarded = new GuardedCall<>(call);
        ServerCall.Listener<Q> listener = next.startCall(guarded, headers);
        ScheduledFuture<?> timer = scheduler.schedule(guarded::closeUnlessMessageArrived, timeout.toMillis(), TimeUnit.MILLISECONDS);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                timer.cancel(false);
                if (guarded.messageArrived()) {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                timer.cancel(false);
                if (guarded.messageArrived()) {
                    super.onHalfClose();
                }
            }

            @Override
            public void onCancel() {
                timer.cancel(false);
                super.onCancel();
            }

            @Override
            public void onComplete() {
                timer.cancel(false);
                super.onComplete();
            }
        };
    }

    private final class GuardedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        private boolean arrived;
        private boolean timedOut;

        GuardedCall(ServerCall<Q, R> call) {
            super(call);
        }

        /** @return false when the call was already closed for being late; the message is then dropped */
        synchronized boolean messageArrived() {
            arrived = true;
            return !timedOut;
        }

        synchronized void closeUnlessMessageArrived() {
            if (!arrived && !timedOut) {
                timedOut = true;
                super.close(Status.CANCELLED.withDescription("no request message within " + timeout.toMillis() + " ms"), new Metadata());
            }
        }

        @Override
        public synchronized void sendHeaders(Metadata headers) {
            if (!timedOut) {
                super.sendHeaders(headers);
            }
        }

        @Override
        public synchronized void sendMessage(R message) {
            if (!timedOut) {
                super.sendMessage(message);
            }
        }

        @Override
        public synchronized void close(Status status, Metadata trailers) {
            if (!timedOut) {
                super.close(status, trailers);
            }
        }

        @Override
        public synchronized void request(int numMessages) {
            super.request(numMessages);
        }
    }
}
