package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.support.DurationText;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Response;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.function.Supplier;

/**
 * The round trips to etcd. Each waits only for what is left of the call's {@link Deadline}, and
 * every etcd error or timeout leaves as {@link BackendUnavailableException} with the cause attached.
 * Batches of reads and writes are split to stay within etcd's {@code --max-txn-ops} and sent
 * together, so a batch costs one round trip of waiting, not one per part.
 */
final class EtcdCalls {

    private static final String MISSING_LEASE = "requested lease not found";

    private final EtcdConnection connection;
    private final int maxTxnOps;
    /**
     * The highest etcd revision in any answer this backend got: every write this process saw
     * complete is at or below it, so a change feed started from it misses none that follow.
     */
    private final LongAccumulator seenRevision = new LongAccumulator(Long::max, 0);

    EtcdCalls(EtcdConnection connection, int maxTxnOps) {
        this.connection = connection;
        this.maxTxnOps = maxTxnOps;
    }

    int maxTxnOps() {
        return maxTxnOps;
    }

    /** See {@link #seenRevision}; 0 before the first answer. */
    long seenRevision() {
        return seenRevision.get();
    }

    /** etcd's current revision, by a linearizable read: writes started after this returns get a higher one. */
    long currentRevision(ByteSequence anyKey, Deadline deadline) {
        return await(() -> connection.kv().get(anyKey, GetOption.builder().withCountOnly(true).build()), deadline,
                "read the current revision").getHeader().getRevision();
    }

    Optional<KeyValue> get(ByteSequence key, Deadline deadline, String action) {
        GetResponse response = await(() -> connection.kv().get(key), deadline, action);
        return response.getKvs().stream().findFirst();
    }

    /** Up to {@code limit} keys of {@code range} in key order, with their values. */
    GetResponse range(KeyLayout.KeyRange range, int limit, Deadline deadline, String action) {
        GetOption option = GetOption.builder().withRange(range.end()).withLimit(limit).build();
        return await(() -> connection.kv().get(range.start(), option), deadline, action);
    }

    /**
     * Up to {@code limit} keys of {@code range} as they were at {@code revision} (0: now).
     *
     * @throws RevisionUnavailableException when etcd compacted that revision or has not reached it
     */
    GetResponse rangeAt(KeyLayout.KeyRange range, int limit, long revision, Deadline deadline, String action) {
        GetOption option = GetOption.builder().withRange(range.end()).withLimit(limit).withRevision(revision).build();
        return await(() -> connection.kv().get(range.start(), option), deadline, action);
    }

    /** Reads many keys; the answer lists each key's value (or empty) in the order asked. */
    List<Optional<KeyValue>> getAll(List<ByteSequence> keys, Deadline deadline, String action) {
        List<Op> reads = keys.stream().<Op>map(key -> Op.get(key, GetOption.DEFAULT)).toList();
        return readAll(reads, deadline, action).stream().map(response -> response.getKvs().stream().findFirst()).toList();
    }

    /** Runs many reads in read-only transactions sent at once; the answers are in the order asked. */
    List<GetResponse> readAll(List<Op> reads, Deadline deadline, String action) {
        List<CompletableFuture<TxnResponse>> parts = new ArrayList<>();
        for (List<Op> part : partition(reads, maxTxnOps)) {
            parts.add(start(() -> connection.kv().txn().Then(part.toArray(Op[]::new)).commit(), action));
        }
        List<GetResponse> responses = new ArrayList<>(reads.size());
        for (TxnResponse response : awaitAll(parts, deadline, action)) {
            responses.addAll(response.getGetResponses());
        }
        return responses;
    }

    /** The read of a key inside a transaction. */
    static Op getOp(ByteSequence key) {
        return Op.get(key, GetOption.DEFAULT);
    }

    /** Holds when the key was not written since it was read (absent keys compare as revision 0). */
    static Cmp unchanged(ByteSequence key, Optional<KeyValue> read) {
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(read.map(KeyValue::getModRevision).orElse(0L)));
    }

    /** Runs the operations when every comparison holds; the response says whether they did. */
    TxnResponse txn(List<Cmp> comparisons, List<Op> operations, Deadline deadline, String action) {
        return await(() -> start(comparisons, operations), deadline, action);
    }

    /**
     * Runs the operations when every comparison holds, and otherwise reads {@code elseRead}: the
     * response has their values, in order, to decide again from.
     */
    TxnResponse txnElseRead(List<Cmp> comparisons, List<Op> operations, List<ByteSequence> elseRead, Deadline deadline,
            String action) {
        Op[] reads = elseRead.stream().map(EtcdCalls::getOp).toArray(Op[]::new);
        return await(() -> connection.kv().txn().If(comparisons.toArray(Cmp[]::new)).Then(operations.toArray(Op[]::new))
                .Else(reads).commit(), deadline, action);
    }

    /** Runs several transactions at once; each answer is at the index of its transaction. */
    List<TxnResponse> txnAll(List<Transaction> transactions, Deadline deadline, String action) {
        List<CompletableFuture<TxnResponse>> started = new ArrayList<>();
        for (Transaction transaction : transactions) {
            started.add(start(() -> start(transaction.comparisons(), transaction.operations()), action));
        }
        return awaitAll(started, deadline, action);
    }

    /** A real round trip: a linearizable read, which needs a live etcd leader and quorum. */
    void probe(ByteSequence key, Deadline deadline) {
        await(() -> connection.kv().get(key, GetOption.builder().withCountOnly(true).build()), deadline, "answer the health probe");
    }

    long grantLease(long ttlSeconds, Deadline deadline) {
        return await(() -> connection.leases().grant(ttlSeconds), deadline, "grant a lease").getID();
    }

    /**
     * Starts a lease grant that nobody waits for yet; the future fails after {@code timeout}, so a
     * grant etcd never answers cannot hold its waiters past it.
     */
    CompletableFuture<Long> grantLeaseInBackground(long ttlSeconds, Duration timeout) {
        return start(() -> connection.leases().grant(ttlSeconds), "grant a lease")
                .orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
                .thenApply(LeaseGrantResponse::getID);
    }

    private CompletableFuture<TxnResponse> start(List<Cmp> comparisons, List<Op> operations) {
        return connection.kv().txn().If(comparisons.toArray(Cmp[]::new)).Then(operations.toArray(Op[]::new)).commit();
    }

    private <T> T await(Supplier<CompletableFuture<T>> call, Deadline deadline, String action) {
        return await(start(call, action), deadline, action);
    }

    private <T> List<T> awaitAll(List<CompletableFuture<T>> futures, Deadline deadline, String action) {
        List<T> results = new ArrayList<>(futures.size());
        try {
            for (CompletableFuture<T> future : futures) {
                results.add(await(future, deadline, action));
            }
        } finally {
            futures.forEach(future -> future.cancel(true));
        }
        return results;
    }

    private static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> call, String action) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            // jetcd refuses to start a call, as when the client is closed.
            throw new BackendUnavailableException("etcd refused to " + action + ": " + e.getMessage(), e);
        }
    }

    /** Waits for the answer, and tells the connection whether etcd answered or could not be reached. */
    private <T> T await(CompletableFuture<T> future, Deadline deadline, String action) {
        try {
            T result = future.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
            connection.answered();
            if (result instanceof Response response) {
                seenRevision.accumulate(response.getHeader().getRevision());
            }
            return result;
        } catch (TimeoutException e) {
            future.cancel(true);
            connection.unreachable();
            throw new BackendUnavailableException(
                    "etcd did not " + action + " within the timeout of " + DurationText.format(deadline.timeout()), e);
        } catch (ExecutionException | CompletionException | CancellationException e) {
            Throwable cause = e.getCause() == null ? e : unwrap(e.getCause());
            if (isUnreachable(cause)) {
                connection.unreachable();
            }
            String reason = describe(cause);
            if (reason.contains(MISSING_LEASE)) {
                throw new StaleLeaseException(cause);
            }
            if (RevisionUnavailableException.describes(reason)) {
                throw new RevisionUnavailableException(reason, cause);
            }
            throw classify(cause, "etcd could not " + action + ": " + reason);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            throw new BackendUnavailableException("interrupted while waiting for etcd to " + action, e);
        }
    }

    /**
     * An answer from etcd (or the lack of one) as the SPI's class of failure, by its gRPC code:
     * UNAUTHENTICATED and PERMISSION_DENIED (and etcd's "authentication failed", which it sends as
     * INVALID_ARGUMENT) are a misconfiguration; INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE,
     * UNIMPLEMENTED, INTERNAL, DATA_LOSS, ALREADY_EXISTS and NOT_FOUND are a bug in the registry's
     * requests; the rest (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, CANCELLED,
     * UNKNOWN, and failures without a code) are an outage.
     */
    static RuntimeException classify(Throwable cause, String message) {
        String code = cause instanceof EtcdException etcd ? etcd.getErrorCode().name() : Status.fromThrowable(cause).getCode().name();
        String text = String.valueOf(message);
        if (code.equals("UNAUTHENTICATED") || code.equals("PERMISSION_DENIED") || text.contains("authentication failed")
                || text.contains("invalid auth token") || text.contains("user name is empty")) {
            return new BackendMisconfiguredException(message + " (etcd refuses the registry's credentials or rights)", cause);
        }
        return switch (code) {
            case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "DATA_LOSS", "ALREADY_EXISTS",
                    "NOT_FOUND" -> new IllegalStateException(message + " (a request etcd refuses: a bug)", cause);
            default -> new BackendUnavailableException(message, cause);
        };
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** No connection, or no answer in time; other errors are answers from etcd. */
    private static boolean isUnreachable(Throwable cause) {
        if (cause instanceof EtcdException etcd) {
            return etcd.getErrorCode() == ErrorCode.UNAVAILABLE || etcd.getErrorCode() == ErrorCode.DEADLINE_EXCEEDED;
        }
        Status.Code code = Status.fromThrowable(cause).getCode();
        return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED;
    }

    private static String describe(Throwable cause) {
        if (cause instanceof EtcdException etcd) {
            return etcd.getErrorCode() + " " + etcd.getMessage();
        }
        Status status = Status.fromThrowable(cause);
        if (status.getCode() != Status.Code.UNKNOWN || status.getDescription() != null) {
            return status.getCode() + (status.getDescription() == null ? "" : " " + status.getDescription());
        }
        return String.valueOf(cause);
    }

    private static <T> List<List<T>> partition(List<T> items, int size) {
        List<List<T>> parts = new ArrayList<>();
        for (int from = 0; from < items.size(); from += size) {
            parts.add(items.subList(from, Math.min(items.size(), from + size)));
        }
        return parts;
    }

    /** One etcd transaction: the operations run when every comparison holds. */
    record Transaction(List<Cmp> comparisons, List<Op> operations) {}
}
