package io.aeroarc.registry.core.watch;

import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** A change feed the test drives by hand: it records each subscription and delivers what the test says. */
final class ScriptedFeed implements ChangeFeed {

    record Subscription(Optional<String> after, FeedListener listener) {}

    final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    volatile boolean closed;

    @Override
    public FeedSubscription subscribe(Optional<String> after, FeedListener listener) {
        subscriptions.add(new Subscription(after, listener));
        return () -> {};
    }

    FeedListener current() {
        return subscriptions.get(subscriptions.size() - 1).listener();
    }

    void send(FleetChange... changes) {
        current().onChanges(List.of(changes));
    }

    void gap() {
        current().onGap("scripted gap");
    }

    void fail() {
        current().onFailure(new BackendUnavailableException("scripted outage"));
    }

    @Override
    public String resumeWindow() {
        return "whatever the test keeps";
    }

    @Override
    public void close() {
        closed = true;
    }
}
