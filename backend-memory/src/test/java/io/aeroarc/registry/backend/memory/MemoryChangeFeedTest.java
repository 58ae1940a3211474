package io.aeroarc.registry.backend.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.feed.RemovalReason;
import io.aeroarc.registry.tck.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The memory feed's own mechanics, beyond the TCK's feed rules: its expiry index and its window. */
class MemoryChangeFeedTest {

    private static final Duration TTL = Duration.ofSeconds(10);

    private final ManualClock clock = ManualClock.startingAt(1_000_000L);
    private final MemoryBackend backend = new MemoryBackend(clock, Duration.ZERO, 100);
    private final ChangeFeed feed = backend.changeFeed(new BackendContext(clock));

    @AfterEach
    void close() {
        feed.close();
        backend.close();
    }

    @Test
    void renewals_leave_the_expiry_index_as_it_is() {
        backend.registerRelay(relay("relay-a"), TTL);
        List<String> agents = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            agents.add("agent-" + i);
            backend.registerAgent("agent-" + i, "relay-a", TTL);
        }
        int indexed = backend.expiryIndexSize();
        assertThat(indexed).isEqualTo(501);

        for (int round = 0; round < 5; round++) {
            clock.advance(Duration.ofSeconds(1));
            backend.heartbeatRelay("relay-a", TTL);
            backend.heartbeatAgents("relay-a", agents, TTL);
            for (String agentId : agents) {
                backend.heartbeatAgent(agentId, Fence.NONE, TTL);
                backend.registerAgent(agentId, "relay-a", TTL);
            }
        }

        assertThat(backend.expiryIndexSize()).as("index items after 5 rounds of renewals of every entry").isEqualTo(indexed);
    }

    @Test
    void an_expiry_is_reported_once_when_the_entry_was_renewed_before_and_also_when_a_sweep_frees_it_first() {
        Recorder recorder = subscribe();
        backend.registerRelay(relay("relay-a"), TTL);
        backend.registerAgent("agent-1", "relay-a", Duration.ofSeconds(2));
        clock.advance(Duration.ofSeconds(1));
        backend.heartbeatAgent("agent-1", Fence.NONE, Duration.ofSeconds(2)); // now expires at +3 s

        clock.advance(Duration.ofMillis(1_500)); // past the first expiry, before the renewed one
        backend.sweepExpired();
        assertThat(backend.getPlacement("agent-1")).isPresent();
        clock.advance(Duration.ofMillis(600));
        assertThat(backend.sweepExpired()).as("entries freed by the sweep").isEqualTo(1);

        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.changes().size() == 3);
        FleetChange.PlacementRemoved removed = (FleetChange.PlacementRemoved) recorder.changes().get(2);
        assertThat(removed.reason()).isEqualTo(RemovalReason.EXPIRED);
        assertThat(removed.atMs()).as("reported at the renewed expiry").isEqualTo(1_003_000L);
        clock.advance(TTL);
        backend.registerRelay(relay("marker"), TTL);
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.changes().size() >= 5);
        assertThat(recorder.changes()).filteredOn(change -> change instanceof FleetChange.PlacementRemoved).hasSize(1);
    }

    @Test
    void a_renewal_with_a_shorter_ttl_is_reported_at_the_earlier_expiry() {
        Recorder recorder = subscribe();
        backend.registerRelay(relay("relay-a"), Duration.ofMinutes(5));
        backend.registerRelay(relay("relay-a"), Duration.ofSeconds(1));

        clock.advance(Duration.ofSeconds(1));

        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.changes().size() == 2);
        assertThat(recorder.changes().get(1)).isInstanceOf(FleetChange.RelayRemoved.class);
    }

    @Test
    void a_subscriber_more_than_the_window_behind_gets_a_gap_and_writers_never_wait_for_it() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        List<String> gaps = new CopyOnWriteArrayList<>();
        feed.subscribe(Optional.empty(), new Recorder() {
            @Override
            public void onChanges(List<FleetChange> changes) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onGap(String why) {
                gaps.add(why);
            }
        });
        backend.registerRelay(relay("relay-first"), TTL);
        long start = System.nanoTime();
        for (int i = 0; i < 300; i++) {
            backend.registerRelay(relay("relay-" + i), TTL);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("300 writes while the listener is stuck").isLessThan(Duration.ofSeconds(2));

        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> !gaps.isEmpty());
        assertThat(gaps.get(0)).contains("fell behind");
    }

    private Recorder subscribe() {
        Recorder recorder = new Recorder();
        feed.subscribe(Optional.empty(), recorder);
        return recorder;
    }

    private static RelayRegistration relay(String relayId) {
        return new RelayRegistration(relayId, relayId + ".test", 7443, Map.of());
    }

    static class Recorder implements FeedListener {
        private final List<FleetChange> changes = new CopyOnWriteArrayList<>();

        @Override
        public void onChanges(List<FleetChange> batch) {
            changes.addAll(batch);
        }

        @Override
        public void onGap(String why) {}

        @Override
        public void onFailure(BackendUnavailableException cause) {}

        List<FleetChange> changes() {
            return List.copyOf(changes);
        }
    }
}
