package io.aeroarc.registry.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.testsupport.RedisTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Small loopback probes, not speed tests: they print delays for the closing note. While one
 * thread renews 5,000 placements in relay batches, 500 moves are written at a steady pace; and
 * 2,000 placements expire with no calls. The assertions are only that every change arrives, that
 * renewals write nothing and that no expiry is reported early.
 */
class RedisFeedLatencyTest {

    private static final Duration LONG_TTL = Duration.ofMinutes(5);
    private static final int RELAYS = 50;
    private static final int AGENTS_PER_RELAY = 100;
    private static final int MOVES = 500;

    @Test
    void changes_reach_a_subscriber_while_the_fleet_renews() throws Exception {
        String prefix = "aeroarc:registry:latency:" + UUID.randomUUID() + ":";
        try (TestServer server = RedisTestServer.start(); RawRedis raw = new RawRedis(server)) {
            Map<String, String> options = new HashMap<>(server.backendOptions());
            options.put(RedisSettings.KEY_PREFIX, prefix);
            RegistryBackend backend = new RedisBackendProvider().create(BackendOptions.of("redis", options),
                    new BackendContext(Clock.systemUTC()));
            try (backend; ChangeFeed feed = backend.changeFeed(new BackendContext(Clock.systemUTC()))) {
                List<List<String>> fleet = placeFleet(backend);
                Map<Long, Long> receivedNanos = new ConcurrentHashMap<>();
                FeedSubscription subscription = feed.subscribe(Optional.empty(), new FeedListener() {
                    @Override
                    public void onChanges(List<FleetChange> changes) {
                        long now = System.nanoTime();
                        for (FleetChange change : changes) {
                            if (change instanceof FleetChange.PlacementUpserted upserted) {
                                receivedNanos.put(upserted.placement().epoch(), now);
                            }
                        }
                    }

                    @Override
                    public void onGap(String why) {}

                    @Override
                    public void onFailure(BackendUnavailableException cause) {}
                });
                long streamBefore = raw.client.xlen(prefix + "changes");
                AtomicBoolean renewing = new AtomicBoolean(true);
                AtomicLong renewed = new AtomicLong();
                Thread renewals = new Thread(() -> {
                    while (renewing.get()) {
                        for (int r = 0; r < RELAYS && renewing.get(); r++) {
                            backend.heartbeatAgents(relayId(r), fleet.get(r), LONG_TTL);
                            renewed.addAndGet(fleet.get(r).size());
                        }
                    }
                });
                long renewStart = System.nanoTime();
                renewals.start();
                Map<Long, Long> returnedNanos = new HashMap<>();
                for (int i = 0; i < MOVES; i++) {
                    int r = i % RELAYS;
                    PlacementRecord moved = backend.registerAgent(fleet.get(r).get(i / RELAYS), relayId((r + 1) % RELAYS), LONG_TTL)
                            .orElseThrow();
                    returnedNanos.put(moved.epoch(), System.nanoTime());
                    TimeUnit.MILLISECONDS.sleep(2);
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> receivedNanos.keySet().containsAll(returnedNanos.keySet()));
                renewing.set(false);
                renewals.join();
                double renewalRate = renewed.get() / ((System.nanoTime() - renewStart) / 1e9);
                subscription.close();

                List<Long> micros = new ArrayList<>();
                returnedNanos.forEach((epoch, returned) -> micros.add(Math.max(0, receivedNanos.get(epoch) - returned) / 1000));
                micros.sort(null);
                System.out.printf("write return -> change received, %d moves while renewing %.0f placements/s:"
                        + " p50 %d us, p99 %d us, max %d us%n", MOVES, renewalRate, micros.get(micros.size() / 2),
                        micros.get(micros.size() * 99 / 100), micros.get(micros.size() - 1));
                assertThat(raw.client.xlen(prefix + "changes") - streamBefore).as("stream entries: the moves only, no renewals")
                        .isEqualTo(MOVES);
            } finally {
                raw.deleteAll(prefix);
            }
        }
    }

    /**
     * 2,000 placements expiring spread over two seconds, with no calls: every expiry must be
     * reported; prints the delay from each placement's expiry (Redis' clock, this machine's) to
     * its report's receipt, against the contract's 1 s bound.
     */
    @Test
    void expiries_reach_a_subscriber_with_no_calls() throws Exception {
        String prefix = "aeroarc:registry:latency:" + UUID.randomUUID() + ":";
        int placements = 2_000;
        try (TestServer server = RedisTestServer.start(); RawRedis raw = new RawRedis(server)) {
            Map<String, String> options = new HashMap<>(server.backendOptions());
            options.put(RedisSettings.KEY_PREFIX, prefix);
            RegistryBackend backend = new RedisBackendProvider().create(BackendOptions.of("redis", options),
                    new BackendContext(Clock.systemUTC()));
            try (backend; ChangeFeed feed = backend.changeFeed(new BackendContext(Clock.systemUTC()))) {
                Map<String, Long> receivedMs = new ConcurrentHashMap<>();
                feed.subscribe(Optional.empty(), new FeedListener() {
                    @Override
                    public void onChanges(List<FleetChange> changes) {
                        long now = System.currentTimeMillis();
                        for (FleetChange change : changes) {
                            if (change instanceof FleetChange.PlacementRemoved removed) {
                                receivedMs.put(removed.agentId(), now);
                            }
                        }
                    }

                    @Override
                    public void onGap(String why) {}

                    @Override
                    public void onFailure(BackendUnavailableException cause) {}
                });
                backend.registerRelay(new RelayRegistration("relay-a", "a.test", 7443, Map.of()), LONG_TTL);
                Map<String, Long> expiresMs = new HashMap<>();
                for (int i = 0; i < placements; i++) {
                    String agentId = "agent-" + i;
                    expiresMs.put(agentId, backend.registerAgent(agentId, "relay-a", Duration.ofMillis(1_000 + i)).orElseThrow()
                            .expiresAtMs());
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> receivedMs.size() == placements);

                List<Long> lags = new ArrayList<>();
                expiresMs.forEach((agentId, expires) -> lags.add(receivedMs.get(agentId) - expires));
                lags.sort(null);
                System.out.printf("expiry -> report received, %d placements expiring over 2 s: p50 %d ms, p99 %d ms, max %d ms"
                        + " (min %d ms)%n", placements, lags.get(lags.size() / 2), lags.get(lags.size() * 99 / 100),
                        lags.get(lags.size() - 1), lags.get(0));
                assertThat(lags.get(0)).as("a report before the expiry").isGreaterThanOrEqualTo(0);
            } finally {
                raw.deleteAll(prefix);
            }
        }
    }

    private static List<List<String>> placeFleet(RegistryBackend backend) {
        List<List<String>> fleet = new ArrayList<>();
        for (int r = 0; r < RELAYS; r++) {
            backend.registerRelay(new RelayRegistration(relayId(r), relayId(r) + ".test", 7443, Map.of()), LONG_TTL);
        }
        for (int r = 0; r < RELAYS; r++) {
            List<String> agents = new ArrayList<>();
            for (int a = 0; a < AGENTS_PER_RELAY; a++) {
                String agentId = relayId(r) + "-agent-" + a;
                backend.registerAgent(agentId, relayId(r), LONG_TTL).orElseThrow();
                agents.add(agentId);
            }
            fleet.add(agents);
        }
        return fleet;
    }

    private static String relayId(int r) {
        return String.format("relay-%03d", r);
    }
}
