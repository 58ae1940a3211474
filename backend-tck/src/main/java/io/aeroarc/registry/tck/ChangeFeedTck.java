package io.aeroarc.registry.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.feed.RemovalReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The contract of a backend's change feed ({@link RegistryBackend#changeFeed}): every change once
 * and in order, renewals silent, expiry reported in time with no call touching the entry, resume
 * without a gap, a gap reported instead of a silent one, and one report per expiry per instance on
 * shared storage. Extend it in a test class of its own (next to the backend's
 * {@link RegistryBackendTck} class), with the same {@link #createBackend} and hooks.
 *
 * <p>Every rule subscribes before it writes and waits for each change within
 * {@link #feedDeliveryBound()}. Rules that need a change reported before the next one (a feed that
 * polls sees only the state at each listing) wait for it before they write again; to prove nothing
 * else came, a rule ends by registering a marker relay and waiting for it. A feed may report a
 * relay's placements as removed with {@link RemovalReason#RELAY_GONE} or leave them implied: the
 * rules accept both.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(RulePromises.class)
public abstract class ChangeFeedTck extends BackendTckSupport {

    private final List<ChangeFeed> feeds = new ArrayList<>();
    private int markers;

    /**
     * Opens the feed of {@code instance} as the server does. Override to open it with test settings
     * (a smaller resume window, a shorter interval); the rules close it after each rule.
     */
    protected ChangeFeed openFeed(RegistryBackend instance) {
        return instance.changeFeed(context());
    }

    /** How long a change may take from the write's return to the listener. */
    protected Duration feedDeliveryBound() {
        return Duration.ofSeconds(5);
    }

    /**
     * Time allowed beyond {@link ChangeFeed#EXPIRY_LAG_BOUND_MS} for an expiry report to reach the
     * listener: scheduling noise on a busy test machine, a round trip.
     */
    protected Duration feedExpirySlack() {
        return Duration.ofMillis(750);
    }

    /**
     * How many changes the feed opened by {@link #openFeed} keeps for resuming, when it is a count:
     * the window rule then writes more than that many changes to push a position out. Empty (the
     * default) leaves {@link #pushOutOfResumeWindow} to the backend's test, or skips the rule.
     * Keep a window of at least 200 changes: the rules write bursts of about 80 changes, and a feed
     * may end a subscription that falls a whole window behind with a gap.
     */
    protected OptionalInt feedKeptChanges() {
        return OptionalInt.empty();
    }

    /**
     * Makes the feed forget every position reported so far, as a consumer away for long would find
     * it: by default writes {@link #feedKeptChanges()} plus a few changes through {@code instance}
     * and waits until {@code feed} reported them. A backend whose window is not a count (etcd
     * compacts by revision) overrides it; returns false when the backend cannot, and the rule is
     * skipped.
     */
    protected boolean pushOutOfResumeWindow(RegistryBackend instance, ChangeFeed feed) {
        OptionalInt kept = feedKeptChanges();
        if (kept.isEmpty()) {
            return false;
        }
        FeedRecorder recorder = subscribe(feed, Optional.empty());
        int count = kept.getAsInt() + 10;
        // In chunks of half the window, each awaited: a subscriber more than a window behind may get a gap itself.
        int chunk = Math.max(1, kept.getAsInt() / 2);
        for (int start = 0; start < count; start += chunk) {
            int end = Math.min(count, start + chunk);
            for (int i = start; i < end; i++) {
                instance.registerRelay(relay(String.format("window-%06d", i)), LONG_TTL);
            }
            String last = relayUp(String.format("window-%06d", end - 1));
            awaitReported(recorder, "the relays written to push the window, up to " + last, feedDeliveryBound(),
                    () -> recorder.described().contains(last));
        }
        return true;
    }

    @AfterEach
    public final void closeFeeds() {
        for (ChangeFeed feed : feeds) {
            feed.close();
        }
        feeds.clear();
    }

    // ---------------------------------------------------------------- changes

    @Test
    public void feed_every_change_is_reported_once_in_order_with_its_kind_and_reason() {
        FeedRecorder recorder = subscribe(feed(backend), Optional.empty());
        List<List<String>> expected = new ArrayList<>();

        step(recorder, expected, "relay-a registered", () -> registerRelay("relay-a"), relayUp("relay-a"));
        step(recorder, expected, "relay-b registered", () -> registerRelay("relay-b"), relayUp("relay-b"));
        PlacementRecord first = registerAgent("agent-1", "relay-a");
        step(recorder, expected, "agent-1 placed on relay-a", () -> {}, placementUp(first));
        step(recorder, expected, "relay-a registered again with another address, port and labels",
                () -> backend.registerRelay(new RelayRegistration("relay-a", "10.0.0.9", 9443, Map.of("version", "2")), LONG_TTL),
                FeedRecorder.relayUpserted("relay-a", "10.0.0.9", 9443, Map.of("version", "2")));
        PlacementRecord moved = registerAgent("agent-1", "relay-b");
        step(recorder, expected, "agent-1 moved to relay-b", () -> {}, placementUp(moved));
        step(recorder, expected, "agent-1 deregistered", () -> backend.deregisterAgent("agent-1", "relay-b"),
                placementDown(moved, RemovalReason.DEREGISTERED));
        PlacementRecord again = registerAgent("agent-1", "relay-b");
        step(recorder, expected, "agent-1 placed again", () -> {}, placementUp(again));
        PlacementRecord second = registerAgent("agent-2", "relay-a");
        step(recorder, expected, "agent-2 placed on relay-a", () -> {}, placementUp(second));
        step(recorder, expected, "relay-a deregistered", () -> backend.deregisterRelay("relay-a"),
                relayDown("relay-a", RemovalReason.DEREGISTERED));
        step(recorder, expected, "relay-a registered again", () -> registerRelay("relay-a"), relayUp("relay-a"));

        assertNothingElseReported(recorder, expected);
        assertThat(moved.epoch()).as("epoch after the move").isGreaterThan(first.epoch());
        assertRelayGoneOnlyFor(recorder, Set.of("agent-2"));
        assertPositionsDistinct(recorder);
        assertThat(recorder.calledConcurrently()).as("listener called from two threads at once").isFalse();
        RelayRecord removedIncarnationCheck = liveRelay("relay-a");
        FleetChange.RelayRemoved removal = recorder.changes().stream().filter(FleetChange.RelayRemoved.class::isInstance)
                .map(FleetChange.RelayRemoved.class::cast).findFirst().orElseThrow();
        assertThat(removal.registeredAtMs()).as("registeredAtMs of the removal: the ended incarnation's, not the new one's")
                .isLessThanOrEqualTo(removedIncarnationCheck.registeredAtMs());
    }

    @Test
    public void feed_renewals_and_registrations_that_change_nothing_are_not_changes() {
        FeedRecorder recorder = subscribe(feed(backend), Optional.empty());
        List<List<String>> expected = new ArrayList<>();
        step(recorder, expected, "relay-a registered", () -> registerRelay("relay-a"), relayUp("relay-a"));
        PlacementRecord placed = registerAgent("agent-1", "relay-a");
        PlacementRecord other = registerAgent("agent-2", "relay-a");
        awaitCount(recorder, expected, List.of(placementUp(placed), placementUp(other)), "agents placed");

        // Renew in every way for a few of the feed's possible listing intervals.
        long until = System.nanoTime() + Duration.ofMillis(onManualClock() ? 0 : 700).toNanos();
        do {
            letTimePass(Duration.ofMillis(20));
            assertThat(backend.heartbeatRelay("relay-a", LONG_TTL)).isPresent();
            assertThat(backend.heartbeatAgent("agent-1", Fence.NONE, LONG_TTL)).isInstanceOf(AgentHeartbeat.Renewed.class);
            assertThat(backend.heartbeatAgents("relay-a", List.of("agent-1", "agent-2"), LONG_TTL).orElseThrow().lostAgentIds()).isEmpty();
            assertThat(backend.heartbeatAgentBatch(List.of(new AgentHeartbeatRequest("agent-1", Fence.NONE),
                    new AgentHeartbeatRequest("agent-2", Fence.NONE)), LONG_TTL)).allMatch(AgentHeartbeat.Renewed.class::isInstance);
            registerRelay("relay-a");
            assertThat(registerAgent("agent-1", "relay-a").epoch()).isEqualTo(placed.epoch());
        } while (System.nanoTime() < until);

        assertNothingElseReported(recorder, expected);
    }

    @Test
    public void feed_a_consumer_applying_every_change_ends_with_what_the_lists_say() {
        FeedRecorder recorder = subscribe(feed(backend), Optional.empty());
        List<String> relays = List.of("relay-a", "relay-b", "relay-c", "relay-d");
        relays.forEach(this::registerRelay);
        for (int i = 0; i < 40; i++) {
            registerAgent(String.format("agent-%02d", i), relays.get(i % relays.size()));
        }
        for (int i = 0; i < 40; i += 3) {
            registerAgent(String.format("agent-%02d", i), relays.get((i + 1) % relays.size()));
        }
        for (int i = 1; i < 40; i += 7) {
            backend.deregisterAgent(String.format("agent-%02d", i), backend.getPlacement(String.format("agent-%02d", i))
                    .orElseThrow().placement().relayId());
        }
        backend.deregisterRelay("relay-c");
        backend.registerRelay(new RelayRegistration("relay-b", "10.0.0.2", 1, Map.of("zone", "z")), LONG_TTL);
        registerRelay("relay-c");
        registerAgent("agent-02", "relay-c");
        awaitMarker(recorder);

        Map<String, String> relayView = new TreeMap<>();
        Map<String, PlacementRecord> placementView = new TreeMap<>();
        Map<String, Long> lastEpoch = new HashMap<>();
        for (FleetChange change : recorder.changes()) {
            if (change instanceof FleetChange.RelayUpserted upserted) {
                RelayRecord relay = upserted.relay();
                relayView.put(relay.relayId(), relay.address() + ":" + relay.grpcPort() + " " + new TreeMap<>(relay.labels()));
            } else if (change instanceof FleetChange.RelayRemoved removed) {
                assertThat(relayView).as("relay view when %s is reported removed", removed.relayId()).containsKey(removed.relayId());
                relayView.remove(removed.relayId());
                placementView.values().removeIf(placement -> placement.relayId().equals(removed.relayId()));
            } else if (change instanceof FleetChange.PlacementUpserted upserted) {
                PlacementRecord placement = upserted.placement();
                Long previous = lastEpoch.put(placement.agentId(), placement.epoch());
                assertThat(placement.epoch()).as("epoch of %s in a later upsert (each epoch change once, in order)", placement.agentId())
                        .isGreaterThan(previous == null ? 0 : previous);
                assertThat(relayView).as("relays when %s is reported placed on %s", placement.agentId(), placement.relayId())
                        .containsKey(placement.relayId());
                placementView.put(placement.agentId(), placement);
            } else {
                FleetChange.PlacementRemoved removed = (FleetChange.PlacementRemoved) change;
                if (removed.reason() != RemovalReason.RELAY_GONE || placementView.containsKey(removed.agentId())) {
                    PlacementRecord current = placementView.remove(removed.agentId());
                    assertThat(current).as("placement of %s when reported removed (%s)", removed.agentId(), removed.reason()).isNotNull();
                    assertThat(current.epoch()).as("epoch of the removed placement of %s", removed.agentId()).isEqualTo(removed.epoch());
                }
            }
        }
        Map<String, String> listedRelays = new TreeMap<>();
        for (String relayId : allRelayIds(backend, Map.of(), 100)) {
            RelayRecord relay = liveRelay(relayId);
            listedRelays.put(relayId, relay.address() + ":" + relay.grpcPort() + " " + new TreeMap<>(relay.labels()));
        }
        Map<String, String> listedPlacements = new TreeMap<>();
        for (PlacementRecord placement : allPlacements(backend, Optional.empty(), 100)) {
            listedPlacements.put(placement.agentId(), placement.relayId() + " epoch " + placement.epoch());
        }
        Map<String, String> viewedPlacements = new TreeMap<>();
        placementView.values().forEach(p -> viewedPlacements.put(p.agentId(), p.relayId() + " epoch " + p.epoch()));
        assertThat(relayView).as("relays built from the feed vs listed").isEqualTo(listedRelays);
        assertThat(viewedPlacements).as("placements built from the feed vs listed").isEqualTo(listedPlacements);
        assertPositionsDistinct(recorder);
    }

    // ---------------------------------------------------------------- expiry

    @Test
    public void feed_expiry_of_a_relay_is_reported_within_the_bound_with_no_call_touching_it() {
        FeedRecorder recorder = subscribe(feed(backend), Optional.empty());
        List<List<String>> expected = new ArrayList<>();
        long[] expiresAt = new long[1];
        step(recorder, expected, "relay-a registered with the short TTL",
                () -> expiresAt[0] = backend.registerRelay(relay("relay-a"), shortTtl()), relayUp("relay-a"));
        long registeredAt = liveRelay("relay-a").registeredAtMs();

        FleetChange.RelayRemoved removed = (FleetChange.RelayRemoved) awaitExpiryReport(recorder, expiresAt[0], "relay-a",
                change -> change instanceof FleetChange.RelayRemoved r && r.relayId().equals("relay-a"));

        assertThat(removed.reason()).as("reason of relay-a's removal").isEqualTo(RemovalReason.EXPIRED);
        assertThat(removed.registeredAtMs()).as("registeredAtMs of the expired incarnation").isEqualTo(registeredAt);
        assertExpiryTime(removed.atMs(), expiresAt[0]);
        expected.add(List.of(relayDown("relay-a", RemovalReason.EXPIRED)));
        assertNothingElseReported(recorder, expected);
    }

    @Test
    public void feed_expiry_of_a_placement_is_reported_within_the_bound_with_no_call_touching_it() {
        FeedRecorder recorder = subscribe(feed(backend), Optional.empty());
        List<List<String>> expected = new ArrayList<>();
        step(recorder, expected, "relay-a registered", () -> registerRelay("relay-a"), relayUp("relay-a"));
        PlacementRecord keep = registerAgent("agent-keep", "relay-a");
        PlacementRecord placed = backend.registerAgent("agent-1", "relay-a", shortTtl()).orElseThrow();
        awaitCount(recorder, expected, List.of(placementUp(keep), placementUp(placed)), "agents placed");

        FleetChange.PlacementRemoved removed = (FleetChange.PlacementRemoved) awaitExpiryReport(recorder, placed.expiresAtMs(),
                "placement of agent-1", change -> change instanceof FleetChange.PlacementRemoved r && r.agentId().equals("agent-1"));

        assertThat(removed.reason()).as("reason of agent-1's removal").isEqualTo(RemovalReason.EXPIRED);
        assertThat(removed.epoch()).as("epoch of the expired placement").isEqualTo(placed.epoch());
        assertThat(removed.relayId()).isEqualTo("relay-a");
        assertExpiryTime(removed.atMs(), placed.expiresAtMs());
        expected.add(List.of(placementDown(placed, RemovalReason.EXPIRED)));
        assertNothingElseReported(recorder, expected);
    }

    @Test
    public void feed_end_of_a_relay_ends_its_placements_implied_or_as_relay_gone() {
        FeedRecorder recorder = subscribe(feed(backend), Optional.empty());
        List<List<String>> expected = new ArrayList<>();
        step(recorder, expected, "relay-a registered", () -> registerRelay("relay-a"), relayUp("relay-a"));
        step(recorder, expected, "relay-b registered", () -> registerRelay("relay-b"), relayUp("relay-b"));
        long[] expiresAt = new long[1];
        step(recorder, expected, "relay-c registered with the short TTL",
                () -> expiresAt[0] = backend.registerRelay(relay("relay-c"), shortTtl()), relayUp("relay-c"));
        PlacementRecord a1 = registerAgent("agent-1", "relay-a");
        PlacementRecord a2 = registerAgent("agent-2", "relay-a");
        PlacementRecord b3 = registerAgent("agent-3", "relay-b");
        PlacementRecord c4 = registerAgent("agent-4", "relay-c");
        awaitCount(recorder, expected, List.of(placementUp(a1), placementUp(a2), placementUp(b3), placementUp(c4)), "agents placed");

        step(recorder, expected, "relay-a deregistered", () -> backend.deregisterRelay("relay-a"),
                relayDown("relay-a", RemovalReason.DEREGISTERED));
        awaitExpiryReport(recorder, expiresAt[0], "relay-c",
                change -> change instanceof FleetChange.RelayRemoved r && r.relayId().equals("relay-c"));
        expected.add(List.of(relayDown("relay-c", RemovalReason.EXPIRED)));

        assertNothingElseReported(recorder, expected);
        assertRelayGoneOnlyFor(recorder, Set.of("agent-1", "agent-2", "agent-4"));
        assertThat(allAgentIds(backend, Optional.empty(), 10)).containsExactly("agent-3");
    }

    // ---------------------------------------------------------------- resume

    @Test
    public void feed_resume_after_closing_continues_strictly_after_the_position_with_no_gap() {
        ChangeFeed feed = feed(backend);
        FeedRecorder first = new FeedRecorder();
        FeedSubscription subscription = feed.subscribe(Optional.empty(), first);
        List<List<String>> expected = new ArrayList<>();
        step(first, expected, "relay-a registered", () -> registerRelay("relay-a"), relayUp("relay-a"));
        PlacementRecord placed = registerAgent("agent-1", "relay-a");
        step(first, expected, "agent-1 placed", () -> {}, placementUp(placed));
        String position = first.lastPosition();
        subscription.close();

        registerRelay("relay-b");
        PlacementRecord moved = registerAgent("agent-1", "relay-b");
        letTimePass(Duration.ofMillis(5));
        PlacementRecord second = registerAgent("agent-2", "relay-b");
        backend.deregisterRelay("relay-a");
        // Let a feed that lists see these while nobody is subscribed.
        awaitMarker(subscribe(feed, Optional.empty()));

        FeedRecorder resumed = subscribe(feed, Optional.of(position));
        List<String> missed = List.of(relayUp("relay-b"), placementUp(moved), placementUp(second), relayDown("relay-a",
                RemovalReason.DEREGISTERED));
        awaitMarker(resumed);
        List<String> reported = resumed.described().stream().filter(d -> !d.startsWith("relay+ marker-")).toList();
        assertThat(resumed.gaps()).as("gaps reported when resuming within the window").isEmpty();
        assertThat(reported).as("changes reported after resuming from %s (what happened while away, each once, "
                + "none from before the position); per entry in order", position).containsExactlyInAnyOrderElementsOf(missed);
        assertThat(reported.indexOf(placementUp(moved))).as("agent-1 moved after relay-b registered")
                .isGreaterThan(reported.indexOf(relayUp("relay-b")));
        assertMatches(first.described(), expected, "the closed subscription's reports: nothing after its close");
    }

    @Test
    public void feed_resume_from_an_unknown_position_reports_a_gap_at_once() {
        ChangeFeed feed = feed(backend);
        for (String garbage : List.of("not-a-position", "", "0:0:0", "\u00e9")) {
            FeedRecorder recorder = subscribe(feed, Optional.of(garbage));
            awaitReported(recorder, "onGap for the unknown position '" + garbage + "'", feedDeliveryBound(),
                    () -> !recorder.gaps().isEmpty());
            registerRelay("relay-" + recorder.hashCode());
            assertThat(recorder.changes()).as("changes after a gap").isEmpty();
            assertThat(recorder.gaps()).as("gaps").hasSize(1);
        }
    }

    @Test
    public void feed_resume_from_a_position_older_than_the_window_reports_a_gap() {
        ChangeFeed feed = feed(backend);
        FeedRecorder recorder = subscribe(feed, Optional.empty());
        List<List<String>> expected = new ArrayList<>();
        step(recorder, expected, "relay-a registered", () -> registerRelay("relay-a"), relayUp("relay-a"));
        String position = recorder.lastPosition();

        assumeTrue(pushOutOfResumeWindow(backend, feed),
                "the test of this backend cannot push a position out of the feed's window (see pushOutOfResumeWindow)");

        FeedRecorder resumed = subscribe(feed, Optional.of(position));
        awaitReported(resumed, "onGap when resuming from a position the feed no longer keeps", feedDeliveryBound(),
                () -> !resumed.gaps().isEmpty());
        assertThat(resumed.changes()).as("changes before the gap (a silent gap would deliver some)").isEmpty();
    }

    // ---------------------------------------------------------------- subscriptions

    @Test
    public void feed_closing_a_subscription_stops_calls_and_a_throwing_listener_stops_no_other() {
        ChangeFeed feed = feed(backend);
        FeedRecorder closed = new FeedRecorder();
        FeedSubscription toClose = feed.subscribe(Optional.empty(), closed);
        FeedListener throwing = new FeedListener() {
            @Override
            public void onChanges(List<FleetChange> changes) {
                throw new IllegalStateException("a broken listener (thrown on purpose by the TCK)");
            }

            @Override
            public void onGap(String why) {}

            @Override
            public void onFailure(io.aeroarc.registry.spi.BackendUnavailableException cause) {}
        };
        feed.subscribe(Optional.empty(), throwing);
        FeedRecorder open = subscribe(feed, Optional.empty());
        List<List<String>> expected = new ArrayList<>();
        step(open, expected, "relay-a registered", () -> registerRelay("relay-a"), relayUp("relay-a"));
        awaitReported(closed, "relay-a reported to the subscription about to be closed", feedDeliveryBound(),
                () -> closed.described().contains(relayUp("relay-a")));

        toClose.close();
        int callsAtClose = closed.calls();
        step(open, expected, "relay-b registered", () -> registerRelay("relay-b"), relayUp("relay-b"));
        assertNothingElseReported(open, expected);
        assertThat(closed.calls()).as("listener calls after its subscription was closed and two more changes were reported")
                .isEqualTo(callsAtClose);
        toClose.close(); // closing twice is harmless
    }

    // ---------------------------------------------------------------- shared storage

    @Test
    public void feed_shared_storage_each_instances_feed_reports_each_expiry_once() {
        RegistryBackend peer = peerInstance();
        FeedRecorder mine = subscribe(feed(backend), Optional.empty());
        FeedRecorder theirs = subscribe(feed(peer), Optional.empty());
        registerRelay("relay-a");
        long relayExpiresAt = peer.registerRelay(relay("relay-b"), shortTtl());
        PlacementRecord placed = backend.registerAgent("agent-1", "relay-a", shortTtl()).orElseThrow();
        PlacementRecord onExpiring = registerAgent(peer, "agent-2", "relay-b");
        List<String> created = List.of(relayUp("relay-a"), relayUp("relay-b"), placementUp(placed), placementUp(onExpiring));
        for (FeedRecorder recorder : List.of(mine, theirs)) {
            awaitReported(recorder, "the writes through both instances", feedDeliveryBound(),
                    () -> recorder.described().containsAll(created));
        }
        for (FeedRecorder recorder : List.of(mine, theirs)) {
            awaitExpiryReport(recorder, relayExpiresAt, "relay-b",
                    change -> change instanceof FleetChange.RelayRemoved r && r.relayId().equals("relay-b"));
            awaitExpiryReport(recorder, placed.expiresAtMs(), "placement of agent-1",
                    change -> change instanceof FleetChange.PlacementRemoved r && r.agentId().equals("agent-1"));
        }
        awaitMarker(mine);
        awaitMarker(theirs, "marker-" + markers);
        for (FeedRecorder recorder : List.of(mine, theirs)) {
            List<String> reported = recorder.described().stream().filter(d -> !d.startsWith("relay+ marker-")).toList();
            assertThat(reported).as("changes one instance's feed reported: every expiry once, whichever instance noticed it")
                    .containsExactlyInAnyOrder(relayUp("relay-a"), relayUp("relay-b"), placementUp(placed), placementUp(onExpiring),
                            relayDown("relay-b", RemovalReason.EXPIRED), placementDown(placed, RemovalReason.EXPIRED));
            assertRelayGoneOnlyFor(recorder, Set.of("agent-2"));
        }
    }

    // ---------------------------------------------------------------- outage

    @Test
    public void feed_storage_outage_reaches_subscribers_as_a_failure_and_resuming_after_it_loses_nothing() {
        StorageControl storage = storageControl().orElse(null);
        assumeTrue(storage != null, "the storage of this backend cannot be stopped by the test");
        ChangeFeed feed = feed(backend);
        FeedRecorder before = subscribe(feed, Optional.empty());
        List<List<String>> expected = new ArrayList<>();
        step(before, expected, "relay-a registered", () -> registerRelay("relay-a"), relayUp("relay-a"));
        String position = before.lastPosition();

        storage.stop();
        try {
            awaitReported(before, "onFailure while the storage is down (bound: outageFailFastBound + feedDeliveryBound)",
                    outageFailFastBound().plus(feedDeliveryBound()), () -> !before.failures().isEmpty());
        } finally {
            storage.start();
        }
        BoundedWait.untilWorks("the backend works again once the storage is back (bound: outageRecoveryBound)",
                outageRecoveryBound(), Duration.ofMillis(100), () -> backend.registerRelay(relay("relay-b"), LONG_TTL));

        // A consumer resubscribes after each failure until the feed stays up; then it gets relay-b
        // (written after the outage), or a gap if the feed lost the position: never a silent loss.
        String markerId = "marker-" + (++markers);
        long deadline = System.nanoTime() + outageRecoveryBound().toNanos();
        FeedRecorder resumed;
        while (true) {
            resumed = subscribe(feed, Optional.of(position));
            backend.registerRelay(relay(markerId), LONG_TTL);
            FeedRecorder current = resumed;
            try {
                awaitReported(current, "relay-b and the marker, or a gap, after resuming", feedDeliveryBound(),
                        () -> !current.gaps().isEmpty() || !current.failures().isEmpty()
                                || current.described().stream().anyMatch(d -> d.startsWith("relay+ " + markerId + " ")));
            } catch (AssertionError e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                continue;
            }
            if (current.failures().isEmpty() || System.nanoTime() > deadline) {
                break;
            }
        }
        assertThat(resumed.failures()).as("failures after the storage is back (bound: outageRecoveryBound)").isEmpty();
        if (resumed.gaps().isEmpty()) {
            assertThat(resumed.described()).as("changes after resuming from before the outage")
                    .contains(relayUp("relay-b")).doesNotContain(relayUp("relay-a"));
        }
    }

    // ---------------------------------------------------------------- helpers

    private ChangeFeed feed(RegistryBackend instance) {
        ChangeFeed feed = openFeed(instance);
        feeds.add(feed);
        return feed;
    }

    private FeedRecorder subscribe(ChangeFeed feed, Optional<String> after) {
        FeedRecorder recorder = new FeedRecorder();
        feed.subscribe(after, recorder);
        return recorder;
    }

    private static String relayUp(String relayId) {
        return FeedRecorder.relayUpserted(relayId, relayId + ".relays.test", 7443, Map.of());
    }

    private static String relayDown(String relayId, RemovalReason reason) {
        return "relay- " + relayId + " " + reason;
    }

    private static String placementUp(PlacementRecord placement) {
        return "placement+ " + placement.agentId() + " on " + placement.relayId() + " epoch " + placement.epoch();
    }

    private static String placementDown(PlacementRecord placement, RemovalReason reason) {
        return "placement- " + placement.agentId() + " from " + placement.relayId() + " epoch " + placement.epoch() + " " + reason;
    }

    /**
     * Writes, then waits until the feed reported the changes expected so far plus {@code changes},
     * and exactly those; {@code changes} may come in any order among themselves.
     */
    private void step(FeedRecorder recorder, List<List<String>> expected, String what, Runnable write, String... changes) {
        write.run();
        awaitCount(recorder, expected, List.of(changes), what);
    }

    private void awaitCount(FeedRecorder recorder, List<List<String>> expected, List<String> changes, String what) {
        expected.add(changes);
        int count = expected.stream().mapToInt(List::size).sum();
        awaitReported(recorder, what + ": reported as " + changes, feedDeliveryBound(), () -> recorder.described().size() >= count);
        assertMatches(recorder.described().subList(0, count), expected, "changes reported once " + what);
    }

    /**
     * Registers a marker relay and waits for it, then asserts the feed reported exactly
     * {@code expected} before it: whatever the feed reported before the marker is in the recorder then.
     */
    private void assertNothingElseReported(FeedRecorder recorder, List<List<String>> expected) {
        awaitMarker(recorder);
        List<List<String>> withMarker = new ArrayList<>(expected);
        withMarker.add(List.of(relayUp("marker-" + markers)));
        assertMatches(recorder.described(), withMarker, "every change reported, each once (a marker relay registered last ends the list)");
        assertThat(recorder.gaps()).as("gaps").isEmpty();
        assertThat(recorder.failures()).as("failures").isEmpty();
    }

    /**
     * Asserts {@code reported} is the groups one after the other, each group's changes in any
     * order among themselves (writes made together, which the feed may report in any order).
     */
    private static void assertMatches(List<String> reported, List<List<String>> groups, String what) {
        List<String> expectedInOrder = new ArrayList<>();
        List<String> reportedInGroupOrder = new ArrayList<>();
        int at = 0;
        for (List<String> group : groups) {
            expectedInOrder.addAll(group.stream().sorted().toList());
            int end = Math.min(reported.size(), at + group.size());
            reportedInGroupOrder.addAll(reported.subList(Math.min(at, end), end).stream().sorted().toList());
            at = end;
        }
        reportedInGroupOrder.addAll(reported.subList(at, reported.size()));
        assertThat(reportedInGroupOrder).as("%s; changes written together sorted among themselves; reported as %s", what, reported)
                .containsExactlyElementsOf(expectedInOrder);
    }

    private void awaitMarker(FeedRecorder recorder) {
        String markerId = "marker-" + (++markers);
        registerRelay(markerId);
        awaitMarker(recorder, markerId);
    }

    private void awaitMarker(FeedRecorder recorder, String markerId) {
        awaitReported(recorder, "the marker relay " + markerId + " registered last", feedDeliveryBound(),
                () -> recorder.described().contains(relayUp(markerId)));
    }

    private void awaitReported(FeedRecorder recorder, String promise, Duration bound, java.util.concurrent.Callable<Boolean> done) {
        try {
            BoundedWait.until(promise, bound, Duration.ofMillis(10), done);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; the subscription " + recorder, e);
        }
    }

    /**
     * Waits for the expiry report {@code match} of an entry expiring at {@code expiresAtMs} with no
     * call touching it; on a manual clock steps the clock to the expiry first. Asserts it arrived
     * within {@link ChangeFeed#EXPIRY_LAG_BOUND_MS} plus {@link #feedExpirySlack()} of the expiry
     * (of the step, on a manual clock), and not before the expiry.
     */
    private FleetChange awaitExpiryReport(FeedRecorder recorder, long expiresAtMs, String what,
            java.util.function.Predicate<FleetChange> match) {
        long bound = ChangeFeed.EXPIRY_LAG_BOUND_MS + feedExpirySlack().toMillis();
        long expiredAtWallMs;
        if (onManualClock()) {
            long target = expiresAtMs + backend.ttlSupport().resolution().toMillis();
            if (now() < target) {
                stepClockTo(target);
            }
            expiredAtWallMs = System.currentTimeMillis();
        } else {
            expiredAtWallMs = expiresAtMs + backend.ttlSupport().resolution().toMillis();
            bound += clockTolerance().toMillis();
        }
        long waitMs = Math.max(0, expiredAtWallMs - System.currentTimeMillis()) + bound + 2_000;
        awaitReported(recorder, "the expiry of " + what + " reported (bound " + bound + " ms after the expiry: EXPIRY_LAG_BOUND_MS"
                + " plus feedExpirySlack" + (onManualClock() ? "" : " plus clockTolerance") + ")", Duration.ofMillis(waitMs),
                () -> recorder.changes().stream().anyMatch(match));
        FeedRecorder.Received received = recorder.received().stream().filter(r -> match.test(r.change())).findFirst()
                .orElseGet(() -> recorder.received().get(recorder.received().size() - 1));
        assertThat(received.receivedAtMs() - expiredAtWallMs).as("ms from the expiry of %s to its report (bound %d ms)", what, bound)
                .isLessThanOrEqualTo(bound);
        if (!onManualClock()) {
            assertThat(received.receivedAtMs()).as("%s reported expired before its expiry (give or take the clock tolerance)", what)
                    .isGreaterThanOrEqualTo(expiresAtMs - clockTolerance().toMillis());
        }
        return received.change();
    }

    private void assertExpiryTime(long atMs, long expiresAtMs) {
        long tolerance = effectiveClockTolerance().toMillis() + backend.ttlSupport().resolution().toMillis();
        assertThat(atMs).as("atMs of an expiry: the entry's expiry").isBetween(expiresAtMs - tolerance,
                expiresAtMs + tolerance + ChangeFeed.EXPIRY_LAG_BOUND_MS);
    }

    /** Only placements of ended relays may be reported RELAY_GONE, each at most once. */
    private static void assertRelayGoneOnlyFor(FeedRecorder recorder, Set<String> agentIds) {
        List<String> gone = recorder.changes().stream().filter(FeedRecorder::isRelayGone)
                .map(change -> ((FleetChange.PlacementRemoved) change).agentId()).toList();
        assertThat(agentIds).as("agents on ended relays; reported RELAY_GONE: %s", gone).containsAll(gone);
        assertThat(new HashSet<>(gone)).as("RELAY_GONE reports, each agent once").hasSameSizeAs(gone);
    }

    private static void assertPositionsDistinct(FeedRecorder recorder) {
        List<String> positions = recorder.changes().stream().map(FleetChange::position).toList();
        assertThat(new HashSet<>(positions)).as("positions of the changes, all distinct").hasSameSizeAs(positions);
    }
}
