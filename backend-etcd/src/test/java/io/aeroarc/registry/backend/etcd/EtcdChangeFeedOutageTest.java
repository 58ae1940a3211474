package io.aeroarc.registry.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.aeroarc.registry.backend.etcd.EtcdChangeFeedTest.Recorder;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.testsupport.BlackHoleProxy;
import io.aeroarc.registry.testsupport.EtcdTestServer;
import io.aeroarc.registry.testsupport.LocalServerProcess;
import io.aeroarc.registry.testsupport.TestServer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The change feed when etcd stops answering: a frozen etcd (SIGSTOP) and a black-holed network
 * end the subscription with onFailure within a bound, never a hang; subscribing again after the
 * last position once etcd is back loses nothing. Its own etcd, since it freezes it.
 */
class EtcdChangeFeedOutageTest {

    private static final Duration LONG_TTL = Duration.ofMinutes(5);
    /** The backend's timeout here; the feed fails after it plus a progress ping. */
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration FAILURE_BOUND = Duration.ofSeconds(8);

    private static TestServer server;
    private static LocalServerProcess process;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final String namespace = "feed-outage-" + UUID.randomUUID();

    @BeforeAll
    static void startEtcd() {
        server = EtcdTestServer.start();
        process = server.localProcess().orElse(null);
    }

    @AfterAll
    static void stopEtcd() {
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void a_frozen_etcd_ends_the_subscription_with_a_failure_and_a_resubscription_misses_nothing() {
        assumeTrue(process != null, "needs the local etcd binary to freeze it");
        RegistryBackend backend = open(server.backendOptions().get("endpoints"));
        ChangeFeed feed = feed(backend);
        Recorder first = subscribe(feed, Optional.empty());
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        await().atMost(Duration.ofSeconds(20)).until(() -> first.changes().size() == 1);

        long frozenAt = System.nanoTime();
        process.freeze();
        try {
            await().atMost(FAILURE_BOUND).until(() -> first.ending() != null);
        } finally {
            process.thaw();
        }
        assertThat(first.ending()).startsWith("failure");
        assertThat(Duration.ofNanos(System.nanoTime() - frozenAt)).isGreaterThanOrEqualTo(TIMEOUT);

        // Written while nobody watched.
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
            backend.registerRelay(relay("relay-b"), LONG_TTL);
            return true;
        });
        Recorder second = subscribe(feed, Optional.of(first.changes().get(0).position()));
        await().atMost(Duration.ofSeconds(20)).until(() -> second.changes().size() == 1);
        assertThat(((FleetChange.RelayUpserted) second.changes().get(0)).relay().relayId()).isEqualTo("relay-b");
    }

    @Test
    void a_black_holed_network_ends_the_subscription_with_a_failure() throws Exception {
        int etcdPort = Integer.parseInt(server.backendOptions().get("endpoints").replaceAll(".*:", ""));
        BlackHoleProxy proxy = BlackHoleProxy.to(etcdPort);
        resources.add(proxy);
        RegistryBackend backend = open("http://127.0.0.1:" + proxy.port());
        Recorder recorder = subscribe(feed(backend), Optional.empty());
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        await().atMost(Duration.ofSeconds(20)).until(() -> recorder.changes().size() == 1);

        proxy.blackHole();
        await().atMost(FAILURE_BOUND).until(() -> recorder.ending() != null);
        assertThat(recorder.ending()).startsWith("failure");
        proxy.restore();
    }

    private RegistryBackend open(String endpoints) {
        Map<String, String> options = new HashMap<>(server.backendOptions());
        options.put("endpoints", endpoints);
        options.put(EtcdSettings.NAMESPACE, "/aeroarc/registry-feed-test/" + namespace + "/");
        options.put(EtcdSettings.TIMEOUT, "2s");
        RegistryBackend backend = new EtcdBackendProvider().create(BackendOptions.of(EtcdBackendProvider.NAME, options),
                new BackendContext(Clock.systemUTC()));
        resources.add(backend);
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            backend.probe();
            return true;
        });
        return backend;
    }

    private ChangeFeed feed(RegistryBackend backend) {
        ChangeFeed feed = backend.changeFeed(new BackendContext(Clock.systemUTC()));
        resources.add(feed);
        return feed;
    }

    private Recorder subscribe(ChangeFeed feed, Optional<String> after) {
        Recorder recorder = new Recorder();
        FeedSubscription subscription = feed.subscribe(after, recorder);
        resources.add(subscription);
        return recorder;
    }

    private static RelayRegistration relay(String relayId) {
        return new RelayRegistration(relayId, "10.0.0.1", 7443, Map.of());
    }
}
