package io.aeroarc.registry.spi.feed;

import java.util.Optional;

/**
 * The visible changes of one backend's fleet, in the order the storage made them, for watchers.
 * The server opens one feed per backend and shares it among all its watch streams.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Complete and once.</b> Every visible change (see {@link FleetChange}) is reported once,
 *       and the changes of one entry in the order they happened. Renewals are not changes.</li>
 *   <li><b>Expiry is a change.</b> An entry whose TTL runs out is reported
 *       ({@link RemovalReason#EXPIRED}) no later than {@link #EXPIRY_LAG_BOUND_MS} after its expiry,
 *       even when no call touches it. Reads stay exact regardless: the report may lag, never lead.
 *       With several backend instances on one shared store, each instance's feed reports each
 *       expiry once.</li>
 *   <li><b>Resumable.</b> {@link #subscribe} with the position of a change received earlier
 *       continues strictly after it, with nothing lost, as long as the feed still keeps that
 *       position ({@link #resumeWindow()}); otherwise the listener gets {@link FeedListener#onGap}
 *       at once, never a silent gap.</li>
 *   <li><b>Failures.</b> Subscribing never blocks on the storage; an outage reaches the listener
 *       as {@link FeedListener#onFailure}.</li>
 * </ul>
 */
public interface ChangeFeed extends AutoCloseable {

    /** How late an expiry may be reported, in milliseconds after the entry's expiry. */
    long EXPIRY_LAG_BOUND_MS = 1000;

    /**
     * Starts a subscription.
     *
     * @param after the position of the last change the consumer has; empty to start with the
     *     changes that happen from now on
     */
    FeedSubscription subscribe(Optional<String> after, FeedListener listener);

    /**
     * For operators: how far back a position can be resumed, such as "the last 100000 changes" or
     * "until the storage compacts its history".
     */
    String resumeWindow();

    /** Ends every subscription and releases the feed's threads. Never throws. */
    @Override
    void close();
}
