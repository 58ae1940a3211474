package io.aeroarc.registry.tck;

import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Waits for what a rule needs before it asserts, within a bound, polling. A failure states the
 * promise that was waited for; it never shows code. The TCK's own small helper, so backend tests
 * do not inherit a polling library with it.
 */
final class BoundedWait {

    private BoundedWait() {}

    /** Polls {@code condition} until it holds; an exception from it fails at once. */
    static void until(String promise, Duration atMost, Duration poll, Callable<Boolean> condition) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!BackendTckSupport.callCheck(condition)) {
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("not within " + atMost.toMillis() + " ms: " + promise);
            }
            pause(poll);
        }
    }

    /** Runs {@code attempt} until it completes without failing; the last failure becomes the cause. */
    static void untilWorks(String promise, Duration atMost, Duration poll, Runnable attempt) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (true) {
            Throwable failure;
            try {
                attempt.run();
                return;
            } catch (RuntimeException | AssertionError e) {
                failure = e;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("not within " + atMost.toMillis() + " ms: " + promise + "; last failure: " + failure, failure);
            }
            pause(poll);
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting", e);
        }
    }
}
