package io.aeroarc.registry.server;

/**
 * Bounds of the watch streams (see {@link WatchService}).
 *
 * @param maxWatchers watch streams one server serves at once; more get RESOURCE_EXHAUSTED
 * @param history events the server keeps for resuming and for streams that fall behind; a stream
 *     further behind, or a token older, gets a fresh snapshot marked resync
 */
record WatchLimits(int maxWatchers, int history) {

    static final int DEFAULT_MAX_WATCHERS = 10_000;
    static final int DEFAULT_HISTORY = io.aeroarc.registry.core.watch.WatchHub.DEFAULT_HISTORY;

    WatchLimits {
        if (maxWatchers < 0) {
            throw new IllegalArgumentException("maxWatchers must be at least 0");
        }
        if (history < 1) {
            throw new IllegalArgumentException("history must be at least 1");
        }
    }

    static WatchLimits defaults() {
        return new WatchLimits(DEFAULT_MAX_WATCHERS, DEFAULT_HISTORY);
    }
}
