package io.aeroarc.registry.spi.feed;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeroarc.registry.spi.BackendUnavailableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The subscription driven by hand on the test's thread, as a feed's delivering thread drives it. */
class RingSubscriptionTest {

    private final Object lock = new Object();
    private final ChangeRing ring = new ChangeRing(5_000);
    private final List<List<FleetChange>> batches = new ArrayList<>();
    private final List<String> ends = new ArrayList<>();
    private final List<RingSubscription> ended = new ArrayList<>();
    private int throwOnCall = -1;

    private final FeedListener listener = new FeedListener() {
        @Override
        public void onChanges(List<FleetChange> changes) {
            batches.add(changes);
            if (batches.size() == throwOnCall) {
                throw new IllegalStateException("a listener bug");
            }
        }

        @Override
        public void onGap(String why) {
            ends.add("gap: " + why);
        }

        @Override
        public void onFailure(BackendUnavailableException cause) {
            ends.add("failure: " + cause.getMessage());
        }
    };

    private void append(int count) {
        for (int i = 0; i < count; i++) {
            ring.append(new FleetChange.RelayRemoved(ring.nextPosition(), "relay", 1, RemovalReason.EXPIRED, 2));
        }
    }

    private RingSubscription subscription(Optional<String> after) {
        RingSubscription subscription = new RingSubscription(listener, ended::add);
        subscription.startAfter(ring, after, "the test window");
        return subscription;
    }

    private List<String> positions() {
        return batches.stream().flatMap(List::stream).map(FleetChange::position).toList();
    }

    @Test
    void delivers_what_follows_the_start_in_batches_of_at_most_changes_per_call() {
        append(3);
        RingSubscription subscription = subscription(Optional.empty());
        subscription.deliver(ring, lock);
        assertThat(batches).as("nothing after the start yet").isEmpty();

        append(RingSubscription.CHANGES_PER_CALL + 1);
        subscription.deliver(ring, lock);
        assertThat(batches).extracting(List::size).containsExactly(RingSubscription.CHANGES_PER_CALL, 1);
        assertThat(positions().get(0)).isEqualTo(ring.position(4));
        assertThat(subscription.cursor()).isEqualTo(ring.lastSeq());
        assertThat(ends).isEmpty();
    }

    @Test
    void resumes_strictly_after_a_kept_position() {
        append(5);
        RingSubscription subscription = subscription(Optional.of(ring.position(3)));
        subscription.deliver(ring, lock);
        assertThat(positions()).containsExactly(ring.position(4), ring.position(5));
    }

    @Test
    void an_unknown_position_ends_with_a_gap_at_the_first_delivery_and_once() {
        append(2);
        RingSubscription subscription = new RingSubscription(listener, ended::add);
        assertThat(subscription.startAfter(ring, Optional.of("elsewhere:1"), "the test window")).isFalse();
        subscription.deliver(ring, lock);
        subscription.deliver(ring, lock);
        assertThat(ends).containsExactly("gap: position elsewhere:1 is not within what this feed keeps (the test window)");
        assertThat(ended).containsExactly(subscription);
        assertThat(batches).isEmpty();
    }

    @Test
    void a_subscriber_the_ring_overtook_ends_with_a_gap() {
        RingSubscription subscription = subscription(Optional.empty());
        append(ring.capacity() + 1);
        subscription.deliver(ring, lock);
        assertThat(batches).isEmpty();
        assertThat(ends).singleElement().asString().startsWith("gap: the subscriber fell behind");
        assertThat(subscription.isEnded()).isTrue();
    }

    @Test
    void hand_over_moves_the_cursor_like_delivery() {
        RingSubscription subscription = subscription(Optional.empty());
        append(RingSubscription.CHANGES_PER_CALL + 2);
        subscription.handOver(ring.after(0, Integer.MAX_VALUE));
        assertThat(batches).extracting(List::size).containsExactly(RingSubscription.CHANGES_PER_CALL, 2);
        assertThat(subscription.cursor()).isEqualTo(ring.lastSeq());
        subscription.deliver(ring, lock);
        assertThat(batches).as("nothing handed twice").hasSize(2);
    }

    @Test
    void a_listener_that_throws_ends_its_own_subscription() {
        throwOnCall = 1;
        RingSubscription subscription = subscription(Optional.empty());
        append(RingSubscription.CHANGES_PER_CALL + 1);
        subscription.deliver(ring, lock);
        assertThat(batches).as("no call after the one that threw").hasSize(1);
        assertThat(subscription.isEnded()).isTrue();
        assertThat(ended).containsExactly(subscription);
        assertThat(ends).isEmpty();
    }

    @Test
    void ends_once_whoever_ends_it_and_a_closed_one_is_not_called_again() {
        RingSubscription subscription = subscription(Optional.empty());
        subscription.close();
        assertThat(subscription.end()).isFalse();
        subscription.fail(new BackendUnavailableException("storage down"));
        append(1);
        subscription.deliver(ring, lock);
        assertThat(ended).containsExactly(subscription);
        assertThat(ends).isEmpty();
        assertThat(batches).isEmpty();
    }

    @Test
    void a_failure_ends_the_subscription_with_on_failure() {
        RingSubscription subscription = subscription(Optional.empty());
        subscription.fail(new BackendUnavailableException("storage down"));
        assertThat(ends).containsExactly("failure: storage down");
        assertThat(ended).containsExactly(subscription);
    }
}
