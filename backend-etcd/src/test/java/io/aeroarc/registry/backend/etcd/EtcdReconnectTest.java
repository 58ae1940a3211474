package io.aeroarc.registry.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.support.DurationText;
import io.aeroarc.registry.tck.StorageControl;
import io.aeroarc.registry.testsupport.EtcdTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Recovery after a long etcd outage: grpc's own reconnect backoff grows towards two minutes, so
 * without {@code reconnect-backoff-max} the backend could stay unavailable long after etcd is back.
 */
class EtcdReconnectTest {

    /**
     * Long enough for grpc's backoff (1s, ×1.6 per attempt) to pass several seconds between
     * attempts; {@code -Detcd.outage=60s} for the full minute.
     */
    private static final Duration OUTAGE = DurationText.parse(System.getProperty("etcd.outage", "20s"));
    /** The health monitor's pace. */
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(500);
    /** Issue 11's bound for recovery once etcd answers again. */
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(5);

    private TestServer server;
    private RegistryBackend backend;
    private ScheduledExecutorService prober;

    @BeforeEach
    void startEtcd() {
        server = EtcdTestServer.start();
    }

    @AfterEach
    void stopAll() {
        if (prober != null) {
            prober.shutdownNow();
        }
        if (backend != null) {
            backend.close();
        }
        server.close();
    }

    @Test
    void the_probe_succeeds_within_five_seconds_of_etcd_answering_again_after_a_long_outage() throws Exception {
        assumeTrue(server.control().isPresent(), "needs an etcd this test can stop and start: " + server.description());
        StorageControl etcd = server.control().get();
        Map<String, String> options = new HashMap<>(server.backendOptions());
        options.put("timeout", "1s");
        // -Detcd.reconnect-backoff-max=2m measures grpc's own backoff: no replacement within a shorter outage.
        String backoff = System.getProperty("etcd.reconnect-backoff-max", "2s");
        options.put("reconnect-backoff-max", backoff);
        backend = new EtcdBackendProvider().create(BackendOptions.of("etcd", options),
                new BackendContext(Clock.systemUTC()));
        backend.probe();
        long threadsBefore = clientThreads();

        AtomicLong lastSuccessNanos = new AtomicLong(System.nanoTime());
        AtomicInteger failures = new AtomicInteger();
        prober = Executors.newSingleThreadScheduledExecutor();
        prober.scheduleWithFixedDelay(() -> {
            try {
                backend.probe();
                lastSuccessNanos.set(System.nanoTime());
            } catch (BackendUnavailableException e) {
                failures.incrementAndGet();
            }
        }, 0, PROBE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);

        etcd.stop();
        long stoppedNanos = System.nanoTime();
        await().atMost(Duration.ofSeconds(5)).until(() -> failures.get() > 0);
        // The outage itself, with the probe failing all along.
        Thread.sleep(Math.max(0, OUTAGE.toMillis() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedNanos)));
        assertThat(lastSuccessNanos.get()).as("no probe succeeds while etcd is down").isLessThan(stoppedNanos);

        long threadsInOutage = clientThreads();
        etcd.start(); // returns once etcd reports itself healthy
        long answeringNanos = System.nanoTime();
        // Waits beyond the bound so that a failure says by how much (grpc's next attempt comes within the outage's length).
        await().atMost(RECOVERY_BOUND.plus(OUTAGE)).pollInterval(Duration.ofMillis(50))
                .until(() -> lastSuccessNanos.get() > answeringNanos);
        Duration recovery = Duration.ofNanos(lastSuccessNanos.get() - answeringNanos);
        System.out.printf("etcd reconnect: reconnect-backoff-max=%s, outage %d ms, probe recovered %d ms after etcd answered again%n",
                backoff, TimeUnit.NANOSECONDS.toMillis(answeringNanos - stoppedNanos), recovery.toMillis());
        assertThat(recovery).as("recovery after etcd answers again").isLessThanOrEqualTo(RECOVERY_BOUND);

        // The threads of every replaced client end: a long outage leaves none behind.
        await().atMost(Duration.ofSeconds(10)).until(() -> clientThreads() <= threadsBefore);
        System.out.printf("etcd reconnect: jetcd client threads %d before the outage, %d during it, %d after recovery%n",
                threadsBefore, threadsInOutage, clientThreads());
    }

    /** The threads each jetcd client starts for itself: its executor and its vert.x instance's. */
    private static long clientThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(name -> name.startsWith("jetcd-pool-") || name.startsWith("vert.x-") || name.startsWith("vertx-")).count();
    }
}
