package io.aeroarc.registry.tck;

import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.feed.RemovalReason;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** Change feeds that each break one promise of the feed contract, to prove the TCK's feed rules notice. */
final class BrokenFeeds {

    private BrokenFeeds() {}

    /** Hands each subscription's listener through {@code breakage}; everything else as the real feed. */
    private static final class ListenerBreaking implements ChangeFeed {
        private final ChangeFeed delegate;
        private final UnaryOperator<FeedListener> breakage;

        ListenerBreaking(ChangeFeed delegate, UnaryOperator<FeedListener> breakage) {
            this.delegate = delegate;
            this.breakage = breakage;
        }

        @Override
        public FeedSubscription subscribe(Optional<String> after, FeedListener listener) {
            return delegate.subscribe(after, breakage.apply(listener));
        }

        @Override
        public String resumeWindow() {
            return delegate.resumeWindow();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    /** Forwards every call; subclasses change onChanges. */
    private abstract static class ForwardingListener implements FeedListener {
        final FeedListener delegate;

        ForwardingListener(FeedListener delegate) {
            this.delegate = delegate;
        }

        @Override
        public void onGap(String why) {
            delegate.onGap(why);
        }

        @Override
        public void onFailure(BackendUnavailableException cause) {
            delegate.onFailure(cause);
        }
    }

    /**
     * Loses the placement upserts of the first agent each subscription would see placed, as a feed
     * that skips an entry on a race would. Every upsert of that agent, not only the first: a later
     * one would otherwise make up for the loss whenever a poll happened to see the agent before it
     * moved, and the rules would pass or fail by timing.
     */
    static ChangeFeed droppingOneChange(ChangeFeed feed) {
        return new ListenerBreaking(feed, listener -> new ForwardingListener(listener) {
            private String droppedAgentId;

            @Override
            public void onChanges(List<FleetChange> changes) {
                List<FleetChange> kept = changes.stream().filter(change -> {
                    if (change instanceof FleetChange.PlacementUpserted upserted) {
                        if (droppedAgentId == null) {
                            droppedAgentId = upserted.placement().agentId();
                        }
                        return !droppedAgentId.equals(upserted.placement().agentId());
                    }
                    return true;
                }).toList();
                if (!kept.isEmpty()) {
                    delegate.onChanges(kept);
                }
            }
        });
    }

    /** Hands every batch over twice, as a feed that re-reads its log from a stale cursor would. */
    static ChangeFeed repeatingChanges(ChangeFeed feed) {
        return new ListenerBreaking(feed, listener -> new ForwardingListener(listener) {
            @Override
            public void onChanges(List<FleetChange> changes) {
                delegate.onChanges(changes);
                delegate.onChanges(changes);
            }
        });
    }

    /** Never reports an expiry (nor the placements that end with an expired relay), as a feed built on writes only would. */
    static ChangeFeed neverReportingExpiry(ChangeFeed feed) {
        return new ListenerBreaking(feed, listener -> new ForwardingListener(listener) {
            @Override
            public void onChanges(List<FleetChange> changes) {
                List<FleetChange> kept = changes.stream().filter(change -> !isExpiry(change)).toList();
                if (!kept.isEmpty()) {
                    delegate.onChanges(kept);
                }
            }
        });
    }

    private static boolean isExpiry(FleetChange change) {
        return change instanceof FleetChange.RelayRemoved relay && relay.reason() == RemovalReason.EXPIRED
                || change instanceof FleetChange.PlacementRemoved placement && placement.reason() == RemovalReason.EXPIRED;
    }
}
