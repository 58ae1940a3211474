package io.aeroarc.registry.spi.feed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.spi.AgentDeregistration;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the polling feed infers from listings alone. The storage here is a fleet the test writes
 * directly (the lists are all the feed reads); the change-feed rules of the backend TCK run the
 * feed against real backends.
 */
class PollingChangeFeedTest {

    private static final Duration INTERVAL = Duration.ofMillis(20);

    private final SteppedClock clock = new SteppedClock(1_000_000);
    private final ListedFleet fleet = new ListedFleet();
    private final PollingChangeFeed feed = PollingChangeFeed.of(fleet, new BackendContext(clock), INTERVAL, 100);

    @AfterEach
    void close() {
        feed.close();
    }

    @Test
    void a_removal_reads_as_expired_after_the_last_seen_expiry_and_as_deregistered_before_it() {
        Recorder recorder = subscribe(Optional.empty());
        fleet.relay("relay-a", 1_000, 60_000);
        fleet.relay("relay-b", 1_000, 5_000);
        fleet.placement("agent-1", "relay-a", 7, 2_000, 60_000);
        fleet.placement("agent-2", "relay-a", 8, 2_000, 3_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes().size() == 4);

        clock.set(1_003_000 + PollingChangeFeed.EXPIRY_SKEW_MS + 1);
        fleet.bulk(() -> {
            fleet.remove("agent-1");
            fleet.remove("agent-2");
            fleet.remove("relay-b");
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes().size() == 7);

        List<FleetChange> removals = recorder.changes().subList(4, 7);
        assertThat(removals.get(0)).as("relay removals come first in a listing's changes")
                .isEqualTo(new FleetChange.RelayRemoved(removals.get(0).position(), "relay-b", 1_001_000, RemovalReason.DEREGISTERED,
                        clock.millis()));
        assertThat(removals).filteredOn(FleetChange.PlacementRemoved.class::isInstance)
                .extracting(change -> ((FleetChange.PlacementRemoved) change).agentId() + " " + ((FleetChange.PlacementRemoved) change)
                        .reason() + " at " + ((FleetChange.PlacementRemoved) change).atMs())
                .containsExactlyInAnyOrder("agent-1 DEREGISTERED at " + clock.millis(), "agent-2 EXPIRED at 1003000");
    }

    @Test
    void the_placements_of_an_ended_relay_stay_implied_and_one_of_its_next_incarnation_is_not_mistaken_for_them() {
        Recorder recorder = subscribe(Optional.empty());
        fleet.relay("relay-a", 1_000, 60_000);
        fleet.placement("agent-1", "relay-a", 7, 2_000, 60_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes().size() == 2);

        // relay-a ended and came back; agent-1 of the old incarnation is still in a listing taken before that.
        fleet.relay("relay-a", 5_000, 60_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes().size() == 4);

        assertThat(recorder.changes().subList(2, 4)).extracting(PollingChangeFeedTest::kind)
                .containsExactly("relay- relay-a DEREGISTERED", "relay+ relay-a");
        fleet.remove("agent-1");
        fleet.placement("agent-2", "relay-a", 9, 6_000, 60_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes().size() == 5);
        assertThat(kind(recorder.changes().get(4))).isEqualTo("placement+ agent-2 on relay-a");
    }

    @Test
    void a_failed_listing_fails_the_subscribers_and_resuming_after_it_delivers_what_changed_meanwhile() {
        Recorder before = subscribe(Optional.empty());
        fleet.relay("relay-a", 1_000, 60_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> before.changes().size() == 1);
        String position = before.changes().get(0).position();

        fleet.failing = true;
        await().atMost(Duration.ofSeconds(10)).until(() -> !before.failures.isEmpty());
        Recorder duringOutage = subscribe(Optional.of(position));
        fleet.relay("relay-b", 1_000, 60_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> !duringOutage.failures.isEmpty());
        int listedBefore = fleet.listings.get();
        fleet.failing = false;
        await().atMost(Duration.ofSeconds(10)).until(() -> fleet.listings.get() > listedBefore + 1);

        Recorder resumed = subscribe(Optional.of(position));
        await().atMost(Duration.ofSeconds(10)).until(() -> resumed.changes().size() == 1);
        assertThat(kind(resumed.changes().get(0))).isEqualTo("relay+ relay-b");
        assertThat(resumed.gaps).isEmpty();
        assertThat(before.changes()).as("nothing after the failure ended the subscription").hasSize(1);
    }

    @Test
    void a_listing_with_more_changes_than_the_window_reaches_a_subscriber_that_kept_up() {
        Recorder recorder = subscribe(Optional.empty());
        fleet.relay("relay-first", 1_000, 60_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes().size() == 1);
        String first = recorder.changes().get(0).position();
        fleet.bulk(() -> {
            for (int i = 0; i < 250; i++) {
                fleet.relay(String.format("relay-%03d", i), 1_000, 60_000);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.changes().size() == 251);
        assertThat(recorder.gaps).isEmpty();

        Recorder late = subscribe(Optional.of(first));
        await().atMost(Duration.ofSeconds(10)).until(() -> !late.gaps.isEmpty());
        assertThat(late.changes()).as("changes before a gap").isEmpty();
    }

    @Test
    void a_listener_may_close_the_feed_from_its_call_without_waiting_for_itself() {
        List<Long> closeTook = new ArrayList<>();
        feed.subscribe(Optional.empty(), new Recorder() {
            @Override
            public void onChanges(List<FleetChange> changes) {
                long start = System.nanoTime();
                feed.close();
                closeTook.add(System.nanoTime() - start);
            }
        });
        fleet.relay("relay-a", 1_000, 60_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> !closeTook.isEmpty());
        assertThat(Duration.ofNanos(closeTook.get(0))).isLessThan(Duration.ofSeconds(1));
    }

    // ---------------------------------------------------------------- fixtures

    private Recorder subscribe(Optional<String> after) {
        Recorder recorder = new Recorder();
        feed.subscribe(after, recorder);
        return recorder;
    }

    private static String kind(FleetChange change) {
        if (change instanceof FleetChange.RelayUpserted upserted) {
            return "relay+ " + upserted.relay().relayId();
        }
        if (change instanceof FleetChange.RelayRemoved removed) {
            return "relay- " + removed.relayId() + " " + removed.reason();
        }
        if (change instanceof FleetChange.PlacementUpserted upserted) {
            return "placement+ " + upserted.placement().agentId() + " on " + upserted.placement().relayId();
        }
        FleetChange.PlacementRemoved removed = (FleetChange.PlacementRemoved) change;
        return "placement- " + removed.agentId() + " " + removed.reason();
    }

    static class Recorder implements FeedListener {
        private final List<FleetChange> changes = new ArrayList<>();
        final List<String> gaps = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<BackendUnavailableException> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void onChanges(List<FleetChange> batch) {
            synchronized (changes) {
                changes.addAll(batch);
            }
        }

        @Override
        public void onGap(String why) {
            gaps.add(why);
        }

        @Override
        public void onFailure(BackendUnavailableException cause) {
            failures.add(cause);
        }

        List<FleetChange> changes() {
            synchronized (changes) {
                return List.copyOf(changes);
            }
        }
    }

    static final class SteppedClock extends Clock {
        private final AtomicLong millis;

        SteppedClock(long start) {
            this.millis = new AtomicLong(start);
        }

        void set(long to) {
            millis.set(to);
        }

        @Override
        public long millis() {
            return millis.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    /** A fleet the test sets directly; only the list calls work, and they fail while {@link #failing}. */
    static final class ListedFleet implements RegistryBackend {
        private final TreeMap<String, RelayRecord> relays = new TreeMap<>();
        private final TreeMap<String, PlacementRecord> placements = new TreeMap<>();
        volatile boolean failing;
        final java.util.concurrent.atomic.AtomicInteger listings = new java.util.concurrent.atomic.AtomicInteger();

        synchronized void relay(String relayId, long registeredAtMs, long expiresAtMs) {
            relays.put(relayId, new RelayRecord(relayId, relayId + ".test", 7443, Map.of(), 1_000_000 + registeredAtMs,
                    1_000_000 + registeredAtMs, 1_000_000 + expiresAtMs, 0));
        }

        synchronized void placement(String agentId, String relayId, long epoch, long heartbeatMs, long expiresAtMs) {
            placements.put(agentId, new PlacementRecord(agentId, relayId, epoch, 1_000_000 + heartbeatMs, 1_000_000 + expiresAtMs));
        }

        synchronized void remove(String id) {
            relays.remove(id);
            placements.remove(id);
        }

        synchronized void bulk(Runnable writes) {
            writes.run();
        }

        @Override
        public synchronized Page<RelayRecord> listRelays(Map<String, String> labelSelector, PageRequest page) {
            if (failing) {
                throw new BackendUnavailableException("storage away (test)");
            }
            listings.incrementAndGet();
            return page(new ArrayList<>(relays.tailMap(page.afterId(), false).values()), page);
        }

        @Override
        public synchronized Page<PlacementRecord> listAgents(Optional<String> relayId, PageRequest page) {
            if (failing) {
                throw new BackendUnavailableException("storage away (test)");
            }
            return page(new ArrayList<>(placements.tailMap(page.afterId(), false).values()), page);
        }

        private static <T> Page<T> page(List<T> after, PageRequest page) {
            return new Page<>(after.subList(0, Math.min(page.limit(), after.size())), after.size() > page.limit());
        }

        @Override
        public long registerRelay(RelayRegistration relay, Duration ttl) {
            throw new UnsupportedOperationException();
        }

        @Override
        public OptionalLong heartbeatRelay(String relayId, Duration ttl) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<RelayRecord> getRelay(String relayId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean deregisterRelay(String relayId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
            throw new UnsupportedOperationException();
        }

        @Override
        public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<BatchRenewal> heartbeatAgents(String relayId, List<String> agentIds, Duration ttl) {
            throw new UnsupportedOperationException();
        }

        @Override
        public AgentDeregistration deregisterAgent(String agentId, String relayId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<RelayPlacement> getPlacement(String agentId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<PlacementRecord> getPlacements(List<String> agentIds) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void probe() {}

        @Override
        public void close() {}
    }
}
