package io.aeroarc.registry.spi;

import java.time.Duration;

/**
 * The end of one registry call, on the monotonic clock: the client's gRPC deadline, or the
 * server's default when the client sent none. A backend that honours it waits for its storage no
 * longer than {@link #bound(Duration) the lesser of its own timeout and the time left}.
 */
public final class CallDeadline {

    private final long endNanos;

    private CallDeadline(long endNanos) {
        this.endNanos = endNanos;
    }

    /** A deadline {@code timeLeft} from now; zero or negative means already passed. */
    public static CallDeadline after(Duration timeLeft) {
        return new CallDeadline(System.nanoTime() + saturatedNanos(timeLeft));
    }

    /** Time left; zero once passed. */
    public Duration timeLeft() {
        return Duration.ofNanos(Math.max(0, endNanos - System.nanoTime()));
    }

    public boolean isExpired() {
        return endNanos - System.nanoTime() <= 0;
    }

    /** The lesser of {@code timeout} and the time left, at least 1 ms so drivers that read 0 as "no limit" still end. */
    public Duration bound(Duration timeout) {
        Duration left = timeLeft();
        Duration bounded = left.compareTo(timeout) < 0 ? left : timeout;
        return bounded.toMillis() < 1 ? Duration.ofMillis(1) : bounded;
    }

    private static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return duration.isNegative() ? Long.MIN_VALUE / 4 : Long.MAX_VALUE / 4;
        }
    }

    @Override
    public String toString() {
        return "CallDeadline[" + timeLeft().toMillis() + " ms left]";
    }
}
