package io.aeroarc.registry.bench;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/** Setup calls: {@code count} calls with at most {@code concurrency} in flight, all of which must succeed. */
final class Bulk {

    private static final Duration TIMEOUT_PER_CALL_SLOT = Duration.ofMinutes(2);

    private Bulk() {}

    /**
     * Calls {@code call} for 0..count-1 and waits for all of them.
     *
     * @throws IllegalStateException naming the first failure
     */
    static void run(String what, int count, int concurrency, IntFunction<ListenableFuture<?>> call) throws InterruptedException {
        Semaphore slots = new Semaphore(concurrency);
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        for (int i = 0; i < count && firstFailure.get() == null; i++) {
            if (!slots.tryAcquire(TIMEOUT_PER_CALL_SLOT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(what + ": no call completed within " + TIMEOUT_PER_CALL_SLOT);
            }
            int index = i;
            ListenableFuture<?> future = call.apply(i);
            future.addListener(() -> {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    firstFailure.compareAndSet(null, new IllegalStateException(what + " #" + index + " failed: " + e.getCause(), e.getCause()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    slots.release();
                }
            }, MoreExecutors.directExecutor());
        }
        if (!slots.tryAcquire(concurrency, TIMEOUT_PER_CALL_SLOT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(what + ": calls still in flight after " + TIMEOUT_PER_CALL_SLOT);
        }
        if (firstFailure.get() != null) {
            throw (IllegalStateException) firstFailure.get();
        }
    }
}
