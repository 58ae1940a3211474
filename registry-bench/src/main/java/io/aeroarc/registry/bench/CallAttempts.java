package io.aeroarc.registry.bench;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts every attempt a client sends, retries included, per second since it was made: what the
 * registry sees, which a count of calls would understate while the retry policy retries. A
 * stream tracer is created per attempt, below the retry logic, where interceptors see one call.
 */
final class CallAttempts implements ClientInterceptor {

    private final long startNanos = System.nanoTime();
    private final AtomicLongArray perSecond;
    private final ClientStreamTracer.Factory tracer = new ClientStreamTracer.Factory() {
        @Override
        public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
            record();
            return new ClientStreamTracer() {};
        }
    };

    /** @param seconds how long it counts; later attempts are not counted */
    CallAttempts(int seconds) {
        this.perSecond = new AtomicLongArray(seconds);
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return next.newCall(method, options.withStreamTracerFactory(tracer));
    }

    private void record() {
        long second = (System.nanoTime() - startNanos) / 1_000_000_000L;
        if (second < perSecond.length()) {
            perSecond.incrementAndGet((int) second);
        }
    }

    /** The second since {@code nanoTime} zero of this counter that {@code nanoTime} falls in. */
    int secondOf(long nanoTime) {
        return (int) Math.max(0, (nanoTime - startNanos) / 1_000_000_000L);
    }

    /** The most attempts in one second from {@code fromSecond} (inclusive) to {@code toSecond} (exclusive). */
    long peak(int fromSecond, int toSecond) {
        long peak = 0;
        for (int second = Math.max(0, fromSecond); second < Math.min(toSecond, perSecond.length()); second++) {
            peak = Math.max(peak, perSecond.get(second));
        }
        return peak;
    }
}
