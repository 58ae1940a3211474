package io.aeroarc.registry.server;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Lets through at most {@code linesPerWindow} lines per cause and window; the lines held back are
 * counted and reported as one "N similar suppressed" line when that cause next occurs after its
 * window ended. A flood of one bad request then costs a few lines every window instead of one per
 * request.
 */
final class LogRateLimiter {

    /** What to do with one line. */
    record Decision(boolean log, long suppressedBefore) {}

    /** Causes tracked at once; beyond it (never reached by the registry's fixed set of methods and codes) lines are let through. */
    private static final int MAX_CAUSES = 4096;

    private final int linesPerWindow;
    private final long windowNanos;
    private final LongSupplier nanoTime;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    LogRateLimiter(int linesPerWindow, long windowNanos, LongSupplier nanoTime) {
        this.linesPerWindow = linesPerWindow;
        this.windowNanos = windowNanos;
        this.nanoTime = nanoTime;
    }

    /**
     * @return whether to log this line, and how many lines of this cause were suppressed in the
     *     window that just ended (to report before this line)
     */
    Decision admit(String cause) {
        if (windows.size() >= MAX_CAUSES && !windows.containsKey(cause)) {
            return new Decision(true, 0);
        }
        return windows.computeIfAbsent(cause, c -> new Window(nanoTime.getAsLong())).admit(nanoTime.getAsLong());
    }

    private final class Window {
        private long startNanos;
        private int logged;
        private long suppressed;

        Window(long startNanos) {
            this.startNanos = startNanos;
        }

        synchronized Decision admit(long now) {
            long reported = 0;
            if (now - startNanos >= windowNanos) {
                reported = suppressed;
                startNanos = now;
                logged = 0;
                suppressed = 0;
            }
            if (logged < linesPerWindow) {
                logged++;
                return new Decision(true, reported);
            }
            suppressed++;
            return new Decision(false, reported);
        }
    }
}
