package io.aeroarc.registry.spi.feed;

import io.aeroarc.registry.spi.BackendUnavailableException;
import java.util.List;

/**
 * Receives one subscription's changes. A feed calls it from one thread at a time, in order; the
 * listener must return quickly (hand work to its own threads), since a slow listener delays the
 * feed.
 *
 * <p>Exactly one of {@link #onGap} and {@link #onFailure} ends a subscription, unless the
 * consumer closes it first; no call follows either.
 */
public interface FeedListener {

    /** The next changes, never empty, in storage order. */
    void onChanges(List<FleetChange> changes);

    /**
     * The feed cannot continue without losing changes: the start position is older than the feed
     * keeps (see {@link ChangeFeed#resumeWindow()}), or unknown to it, or the listener fell
     * behind. The consumer re-reads the full state (lists) and subscribes again from now.
     */
    void onGap(String why);

    /**
     * The storage failed. The consumer may subscribe again after the last position it received;
     * the feed answers {@link #onGap} then if that position is no longer kept.
     */
    void onFailure(BackendUnavailableException cause);
}
