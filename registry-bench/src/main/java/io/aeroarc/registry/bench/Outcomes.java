package io.aeroarc.registry.bench;

import io.grpc.Status;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Failed calls counted by kind: the gRPC status code, or the exception's name for anything else. */
final class Outcomes {

    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final Map<String, String> firstOfKind = new ConcurrentHashMap<>();

    void fail(Throwable failure) {
        String kind = kind(failure);
        failures.computeIfAbsent(kind, key -> new LongAdder()).increment();
        firstOfKind.computeIfAbsent(kind, key -> String.valueOf(failure));
    }

    /** The first failure of each kind, as text: what the report quotes so a count has a cause beside it. */
    Map<String, String> firstOfEachKind() {
        return new TreeMap<>(firstOfKind);
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
