package io.aeroarc.registry.bench;

import io.grpc.Status;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Failed calls counted by kind: the gRPC status code, or the exception's name for anything else. */
final class Outcomes {

    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();

    void fail(Throwable failure) {
        failures.computeIfAbsent(kind(failure), key -> new LongAdder()).increment();
    }

    /** A failure already named, such as a gRPC status code's name from a response trailer. */
    void fail(String kind) {
        failures.computeIfAbsent(kind, key -> new LongAdder()).increment();
    }

    Map<String, Long> snapshot() {
        Map<String, Long> counts = new TreeMap<>();
        failures.forEach((kind, count) -> counts.put(kind, count.sum()));
        return counts;
    }

    static String kind(Throwable failure) {
        Status status = Status.fromThrowable(failure);
        if (status.getCode() != Status.Code.UNKNOWN || status.getCause() == null) {
            return status.getCode().name();
        }
        return status.getCause().getClass().getSimpleName();
    }

    static Status.Code code(Throwable failure) {
        return Status.fromThrowable(failure).getCode();
    }
}
