package io.aeroarc.registry.spi.feed;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.RegistryBackend;
import java.time.Duration;
import java.util.Optional;

/**
 * The change feed of a backend without a native one: it lists every relay and placement every
 * {@link #DEFAULT_INTERVAL} and reports the differences. Costlier than a native feed (a full
 * listing per interval, whatever changed), and a removal's reason is inferred (an entry gone after
 * its last seen expiry is EXPIRED). Positions are kept in memory: resumable on the same instance
 * within the last changes it keeps.
 *
 * <p>TODO(feed-core): implementation.
 */
public final class PollingChangeFeed implements ChangeFeed {

    /** Short enough that expiries are reported within {@link ChangeFeed#EXPIRY_LAG_BOUND_MS}. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(250);

    private PollingChangeFeed() {}

    public static PollingChangeFeed of(RegistryBackend backend, BackendContext context, Duration interval) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    @Override
    public FeedSubscription subscribe(Optional<String> after, FeedListener listener) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    @Override
    public String resumeWindow() {
        return "not implemented yet";
    }

    @Override
    public void close() {}
}
