package io.aeroarc.registry.core.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.feed.RemovalReason;
import io.aeroarc.registry.tck.ForwardingBackend;
import io.aeroarc.registry.tck.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The hub over a memory backend and a feed the test drives: building, idempotence, gaps, failures, tokens. */
class WatchHubTest {

    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ManualClock clock = ManualClock.startingAt(1_000_000);
    private final MemoryBackend backend = new MemoryBackend(clock, Duration.ofHours(1));
    private final ScriptedFeed feed = new ScriptedFeed();
    private final AtomicInteger listListingsToFail = new AtomicInteger();
    private WatchHub hub;

    @AfterEach
    void close() {
        if (hub != null) {
            hub.close();
        }
        backend.close();
    }

    private WatchHub startHub(int history) {
        ForwardingBackend failing = new ForwardingBackend(backend) {
            @Override
            public Page<RelayRecord> listRelays(Map<String, String> labelSelector, PageRequest page) {
                if (listListingsToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    throw new BackendUnavailableException("listing refused by the test");
                }
                return super.listRelays(labelSelector, page);
            }
        };
        hub = new WatchHub(feed, failing, clock, history).start();
        return hub;
    }

    private PlacementRecord place(String agent, String relay) {
        return backend.registerAgent(agent, relay, TTL).orElseThrow();
    }

    private void registerRelay(String relay) {
        backend.registerRelay(new RelayRegistration(relay, "10.0.0.1", 7000, Map.of()), TTL);
    }

    private List<FleetEvent> eventsAfter(long cursor) {
        List<FleetEvent> events = new ArrayList<>();
        assertThat(hub.read(cursor, 1000, events)).isTrue();
        return events;
    }

    @Test
    void the_view_is_the_listing_and_changes_it_already_shows_make_no_events() {
        registerRelay("r1");
        PlacementRecord a1 = place("a1", "r1");
        // More than one page of placements, so paging is exercised.
        for (int i = 0; i < WatchHub.LIST_PAGE_SIZE + 5; i++) {
            place("bulk-" + i, "r1");
        }
        startHub(100);
        await().atMost(WAIT).until(hub::ready);

        RelayRecord r1 = backend.getRelay("r1").orElseThrow();
        feed.send(new FleetChange.RelayUpserted("1", r1), new FleetChange.PlacementUpserted("2", a1));
        registerRelay("r2");
        feed.send(new FleetChange.RelayUpserted("3", backend.getRelay("r2").orElseThrow()));
        await().atMost(WAIT).until(() -> hub.lastSequence() == 1);

        assertThat(eventsAfter(0)).extracting(FleetViewTest::describe).containsExactly("relay ADDED r2");
        assertThat(hub.placementsAfter("", 5000, Optional.empty(), new TreeSet<>())).hasSize(WatchHub.LIST_PAGE_SIZE + 6);
        assertThat(hub.placementsAfter("", 5000, Optional.of("r1"), new TreeSet<>(Set.of("a1", "nobody"))))
                .extracting(PlacementRecord::agentId).containsExactly("a1");
        assertThat(hub.placementsAfter("bulk-1", 3, Optional.of("r1"), new TreeSet<>())).as("a page in id order")
                .extracting(PlacementRecord::agentId).containsExactly("bulk-10", "bulk-100", "bulk-1000");
        assertThat(hub.relaysAfter("", 10, r -> true)).extracting(RelayRecord::relayId).containsExactly("r1", "r2");
        assertThat(hub.relaysAfter("r1", 10, r -> true)).extracting(RelayRecord::relayId).containsExactly("r2");
        assertThat(feed.subscriptions).hasSize(1);
        assertThat(feed.subscriptions.get(0).after()).as("from now, before listing").isEmpty();
    }

    @Test
    void a_gap_is_answered_by_reading_again_and_sending_the_difference() {
        registerRelay("r1");
        place("stays", "r1");
        place("leaves", "r1");
        startHub(100);
        await().atMost(WAIT).until(hub::ready);

        backend.deregisterAgent("leaves", "r1");
        registerRelay("r2");
        place("arrives", "r2");
        feed.gap();

        await().atMost(WAIT).until(() -> hub.lastSequence() == 3);
        assertThat(eventsAfter(0)).extracting(FleetViewTest::describe)
                .containsExactlyInAnyOrder("relay ADDED r2", "placement ADDED arrives", "placement REMOVED leaves EXPIRED");
        assertThat(feed.subscriptions).hasSize(2);
        assertThat(feed.subscriptions.get(1).after()).isEmpty();
        assertThat(hub.gaps()).isEqualTo(1);
    }

    @Test
    void after_a_failure_it_subscribes_again_after_the_last_position_it_applied() {
        registerRelay("r1");
        startHub(100);
        await().atMost(WAIT).until(hub::ready);
        feed.send(new FleetChange.PlacementUpserted("pos-7", new PlacementRecord("a1", "r1", 7, 1, 2)));
        feed.fail();

        await().atMost(WAIT).until(() -> feed.subscriptions.size() == 2);
        assertThat(feed.subscriptions.get(1).after()).contains("pos-7");
        assertThat(hub.failures()).isEqualTo(1);
        assertThat(hub.ready()).as("watchers keep their view through an outage").isTrue();

        // The resumed subscription continues where the last left off.
        feed.send(new FleetChange.PlacementRemoved("pos-8", "a1", "r1", 7, RemovalReason.DEREGISTERED, 3));
        await().atMost(WAIT).until(() -> hub.lastSequence() == 2);
        assertThat(eventsAfter(0)).extracting(FleetViewTest::describe).containsExactly("placement ADDED a1", "placement REMOVED a1 DEREGISTERED");

        // A second failure, whose re-subscription finds the position too old: a gap, so a fresh read.
        feed.fail();
        await().atMost(WAIT).until(() -> feed.subscriptions.size() == 3);
        feed.gap();
        await().atMost(WAIT).until(() -> feed.subscriptions.size() == 4);
        assertThat(feed.subscriptions.get(3).after()).isEmpty();
    }

    @Test
    void a_storage_outage_while_listing_is_retried_until_it_answers() {
        registerRelay("r1");
        listListingsToFail.set(3);
        startHub(100);
        await().atMost(WAIT).until(hub::ready);
        assertThat(listListingsToFail.get()).isZero();
        assertThat(hub.relaysAfter("", 10, r -> true)).hasSize(1);
    }

    @Test
    void a_re_read_that_fails_ends_its_subscription_and_is_retried_until_the_difference_is_sent() {
        registerRelay("r1");
        place("leaves", "r1");
        startHub(100);
        await().atMost(WAIT).until(hub::ready);
        backend.deregisterAgent("leaves", "r1");
        listListingsToFail.set(2);
        feed.gap();
        await().atMost(WAIT).until(() -> feed.subscriptions.size() >= 2 && listListingsToFail.get() < 2);
        // What the failed re-read's subscription reports now must not count: the retry reads everything again.
        feed.subscriptions.get(1).listener().onChanges(List.of(new FleetChange.PlacementUpserted("stale", new PlacementRecord("x", "r1", 9, 1, 2))));
        feed.subscriptions.get(1).listener().onFailure(new BackendUnavailableException("stale"));

        await().atMost(WAIT).until(() -> hub.lastSequence() == 1);
        assertThat(eventsAfter(0)).extracting(FleetViewTest::describe).containsExactly("placement REMOVED leaves EXPIRED");
        assertThat(feed.subscriptions.get(feed.subscriptions.size() - 1).after()).isEmpty();
        assertThat(listListingsToFail.get()).isZero();
    }

    @Test
    void tokens_resume_within_the_history_only_and_only_on_this_hub() {
        registerRelay("r1");
        startHub(3);
        await().atMost(WAIT).until(hub::ready);
        for (int i = 1; i <= 5; i++) {
            feed.send(new FleetChange.PlacementUpserted("p" + i, new PlacementRecord("a" + i, "r1", i, 1, 2)));
        }
        await().atMost(WAIT).until(() -> hub.lastSequence() == 5);

        assertThat(hub.resumePoint(hub.token(4))).hasValue(4);
        assertThat(hub.resumePoint(hub.token(2))).hasValue(2);
        assertThat(hub.resumePoint(hub.token(1))).as("event 2 was overwritten").isEmpty();
        assertThat(hub.resumePoint(hub.token(9))).as("from the future").isEmpty();
        assertThat(hub.resumePoint("garbage")).isEmpty();
        WatchHub other = new WatchHub(new ScriptedFeed(), backend, clock, 3);
        assertThat(hub.resumePoint(other.token(4))).as("another hub's token").isEmpty();
        other.close();
        List<FleetEvent> into = new ArrayList<>();
        assertThat(hub.read(1, 10, into)).isFalse();
    }

    @Test
    void listeners_hear_of_readiness_and_new_events_and_closing_ends_the_feed() {
        AtomicInteger heard = new AtomicInteger();
        registerRelay("r1");
        hub = new WatchHub(feed, backend, clock, 10);
        hub.addListener(heard::incrementAndGet);
        hub.start();
        await().atMost(WAIT).until(() -> heard.get() == 1);
        feed.send(new FleetChange.PlacementUpserted("p1", new PlacementRecord("a1", "r1", 1, 1, 2)));
        await().atMost(WAIT).until(() -> heard.get() == 2);
        feed.send(new FleetChange.PlacementUpserted("p2", new PlacementRecord("a1", "r1", 1, 1, 2)));
        feed.send(new FleetChange.PlacementUpserted("p3", new PlacementRecord("a2", "r1", 1, 1, 2)));
        await().atMost(WAIT).until(() -> heard.get() == 3);
        assertThat(hub.lastSequence()).as("the repeat made no event").isEqualTo(2);
        hub.close();
        assertThat(feed.closed).isTrue();
        hub = null;
    }
}
