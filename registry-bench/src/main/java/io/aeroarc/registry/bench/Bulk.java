package io.aeroarc.registry.bench;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Setup calls: {@code count} calls with at most {@code concurrency} in flight, all of which must succeed.
 *
 * <p>A call the server sheds (UNAVAILABLE with a {@code grpc-retry-pushback-ms} trailer) is sent
 * again after the pushback, as a well-behaved client would: a cold server (no JIT yet, storage
 * connections still opening) may shed the first burst, and setup is not what the bench measures.
 * Any other failure, or a call shed {@link #MAX_ATTEMPTS} times, fails the setup.
 */
final class Bulk {

    private static final Duration TIMEOUT_PER_CALL_SLOT = Duration.ofMinutes(2);
    private static final int MAX_ATTEMPTS = 20;

    private Bulk() {}

    /**
     * Calls {@code call} for 0..count-1 and waits for all of them.
     *
     * @throws IllegalStateException naming the first failure
     */
    static void run(String what, int count, int concurrency, IntFunction<ListenableFuture<?>> call) throws InterruptedException {
        Semaphore slots = new Semaphore(concurrency);
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        AtomicLong retried = new AtomicLong();
        ScheduledExecutorService retryTimer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "bench-bulk-retry");
            thread.setDaemon(true);
            return thread;
        });
        try {
            for (int i = 0; i < count && firstFailure.get() == null; i++) {
                if (!slots.tryAcquire(TIMEOUT_PER_CALL_SLOT.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException(what + ": no call completed within " + TIMEOUT_PER_CALL_SLOT);
                }
                new Attempt(what, i, call, slots, firstFailure, retried, retryTimer).send(1);
            }
            if (!slots.tryAcquire(concurrency, TIMEOUT_PER_CALL_SLOT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(what + ": calls still in flight after " + TIMEOUT_PER_CALL_SLOT);
            }
        } finally {
            retryTimer.shutdownNow();
        }
        if (retried.get() > 0) {
            System.err.printf("bench: %s: %d calls shed by the server during setup were sent again after the pushback%n",
                    what, retried.get());
        }
        if (firstFailure.get() != null) {
            throw (IllegalStateException) firstFailure.get();
        }
    }

    /** One setup call, sent again while the server sheds it. Releases its slot once it has an answer. */
    private record Attempt(String what, int index, IntFunction<ListenableFuture<?>> call, Semaphore slots,
            AtomicReference<Throwable> firstFailure, AtomicLong retried, ScheduledExecutorService retryTimer) {

        void send(int attempt) {
            ListenableFuture<?> future = call.apply(index);
            future.addListener(() -> completed(future, attempt), MoreExecutors.directExecutor());
        }

        private void completed(ListenableFuture<?> future, int attempt) {
            try {
                future.get();
            } catch (ExecutionException e) {
                Long pushback = shedPushbackMillis(e.getCause());
                if (pushback != null && attempt < MAX_ATTEMPTS && firstFailure.get() == null) {
                    retried.incrementAndGet();
                    retryTimer.schedule(() -> send(attempt + 1), pushback, TimeUnit.MILLISECONDS);
                    return; // keeps its slot
                }
                firstFailure.compareAndSet(null,
                        new IllegalStateException(what + " #" + index + " failed after " + attempt + " attempts: " + e.getCause(), e.getCause()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            slots.release();
        }

        /** The server's pushback when it shed the call, else null. */
        private static Long shedPushbackMillis(Throwable failure) {
            if (Status.fromThrowable(failure).getCode() != Status.Code.UNAVAILABLE) {
                return null;
            }
            Metadata trailers = Status.trailersFromThrowable(failure);
            String pushback = trailers == null ? null : trailers.get(LeanChannel.RETRY_PUSHBACK);
            if (pushback == null) {
                return null;
            }
            try {
                return Math.max(0, Long.parseLong(pushback));
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }
}
