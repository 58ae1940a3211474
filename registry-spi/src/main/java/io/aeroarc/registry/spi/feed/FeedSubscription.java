package io.aeroarc.registry.spi.feed;

/** One running subscription. Closing it stops calls to its listener soon after. Never throws. */
public interface FeedSubscription extends AutoCloseable {

    @Override
    void close();
}
