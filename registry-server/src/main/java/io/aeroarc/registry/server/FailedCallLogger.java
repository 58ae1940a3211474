package io.aeroarc.registry.server;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One line per failed call: method, status, peer, time, the clean description and the cause's
 * class; never a stack trace except for INTERNAL, UNKNOWN and DATA_LOSS, which are bugs. Client
 * errors are logged at INFO, server-side failures (UNAVAILABLE) at WARN, bugs at ERROR. Lines are
 * rate limited per cause (method, status, cause class): a flood of bad requests writes a few lines
 * and a "N similar suppressed" line per window, not one per request.
 *
 * <p>Expected outcomes are not failures worth a line: NOT_FOUND is how a relay learns to register
 * again, FAILED_PRECONDITION how it learns an agent moved, and a client cancelling its own call is
 * its business. They are counted and summed up in one line at most once a minute. Calls that run
 * out their deadline are cancelled by grpc without a close; they are logged like other failures.
 */
final class FailedCallLogger implements ServerInterceptor {

    static final String LOGGER_NAME = "io.aeroarc.registry.calls";
    static final int LINES_PER_WINDOW = 5;
    static final Duration WINDOW = Duration.ofSeconds(10);
    static final Duration SUMMARY_INTERVAL = Duration.ofMinutes(1);
    /** Descriptions can quote request text (a label key); this bounds a line. */
    private static final int MAX_DESCRIPTION_CHARS = 200;

    private static final Logger LOG = LoggerFactory.getLogger(LOGGER_NAME);

    /** Counted, not logged, outcomes. */
    private final Map<Status.Code, LongAdder> expected = new EnumMap<>(Status.Code.class);
    private final LongAdder clientCancels = new LongAdder();
    private final LogRateLimiter limiter;
    private final LongSupplier nanoTime;
    private final AtomicLong lastSummaryNanos;

    FailedCallLogger() {
        this(System::nanoTime);
    }

    FailedCallLogger(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.limiter = new LogRateLimiter(LINES_PER_WINDOW, WINDOW.toNanos(), nanoTime);
        this.lastSummaryNanos = new AtomicLong(nanoTime.getAsLong());
        expected.put(Status.Code.NOT_FOUND, new LongAdder());
        expected.put(Status.Code.FAILED_PRECONDITION, new LongAdder());
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        long startNanos = nanoTime.getAsLong();
        AtomicBoolean closed = new AtomicBoolean();
        String method = call.getMethodDescriptor().getFullMethodName();
        SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        ServerCall<Q, R> logging = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                closed.set(true);
                if (!status.isOk()) {
                    failed(method, peer, status, startNanos);
                }
                super.close(status, trailers);
            }
        };
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(logging, headers)) {
            @Override
            public void onCancel() {
                if (!closed.get()) {
                    Deadline deadline = Context.current().getDeadline();
                    if (deadline != null && deadline.isExpired()) {
                        failed(method, peer, Status.DEADLINE_EXCEEDED.withDescription("deadline exceeded before the call finished"), startNanos);
                    } else {
                        clientCancels.increment();
                        summarizeWhenDue();
                    }
                }
                super.onCancel();
            }
        };
    }

    /** Expected outcomes counted since the last summary line; CANCELLED means cancelled by the client. */
    long expectedCount(Status.Code code) {
        if (code == Status.Code.CANCELLED) {
            return clientCancels.sum();
        }
        LongAdder count = expected.get(code);
        return count == null ? 0 : count.sum();
    }

    void failed(String method, SocketAddress peer, Status status, long startNanos) {
        LongAdder counter = expected.get(status.getCode());
        if (counter != null) {
            counter.increment();
            summarizeWhenDue();
            return;
        }
        Throwable cause = status.getCause();
        String causeName = cause == null ? "-" : cause.getClass().getName();
        LogRateLimiter.Decision decision = limiter.admit(method + " " + status.getCode() + " " + causeName);
        if (decision.suppressedBefore() > 0) {
            LOG.info("{} {}: {} similar suppressed in the last {} s (cause {})", method, status.getCode(), decision.suppressedBefore(),
                    WINDOW.toSeconds(), causeName);
        }
        if (!decision.log()) {
            return;
        }
        long millis = (nanoTime.getAsLong() - startNanos) / 1_000_000;
        String description = clean(status.getDescription());
        // The line's parts as fields too, for --log-format json.
        LoggingEventBuilder entry = switch (status.getCode()) {
            case INTERNAL, UNKNOWN, DATA_LOSS -> LOG.atError().setCause(cause);
            case UNAVAILABLE, ABORTED, UNIMPLEMENTED -> LOG.atWarn();
            default -> LOG.atInfo();
        };
        entry = entry.addKeyValue("method", method).addKeyValue("status", status.getCode().name()).addKeyValue("peer", String.valueOf(peer))
                .addKeyValue("duration_ms", millis).addKeyValue("cause", causeName);
        switch (status.getCode()) {
            case INTERNAL, UNKNOWN, DATA_LOSS -> entry.log("{} {} from {} in {} ms: {}", method, status.getCode(), peer, millis, description);
            default -> entry.log("{} {} from {} in {} ms: {} (cause {})", method, status.getCode(), peer, millis, description, causeName);
        }
    }

    private void summarizeWhenDue() {
        long last = lastSummaryNanos.get();
        long now = nanoTime.getAsLong();
        if (now - last < SUMMARY_INTERVAL.toNanos() || !lastSummaryNanos.compareAndSet(last, now)) {
            return;
        }
        LOG.info("expected outcomes in the last {} s (counted, not logged one by one): NOT_FOUND {}, FAILED_PRECONDITION {}, cancelled by the client {}",
                (now - last) / 1_000_000_000L, expected.get(Status.Code.NOT_FOUND).sumThenReset(),
                expected.get(Status.Code.FAILED_PRECONDITION).sumThenReset(), clientCancels.sumThenReset());
    }

    private static String clean(String description) {
        if (description == null) {
            return "";
        }
        StringBuilder text = new StringBuilder(Math.min(description.length(), MAX_DESCRIPTION_CHARS + 3));
        description.codePoints().limit(MAX_DESCRIPTION_CHARS).forEach(c -> text.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        if (description.codePointCount(0, description.length()) > MAX_DESCRIPTION_CHARS) {
            text.append("...");
        }
        return text.toString();
    }
}
