package io.aeroarc.registry.backend.etcd;

import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.tck.ChangeFeedTck;
import io.aeroarc.registry.tck.StorageControl;
import io.aeroarc.registry.testsupport.EtcdTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The etcd backend's change feed against the TCK's feed rules on a real etcd (fixtures as in {@link EtcdBackendTckTest}). */
class EtcdChangeFeedTckTest extends ChangeFeedTck {

    private static TestServer server;

    @BeforeAll
    static void startEtcd() {
        server = EtcdTestServer.start();
        try (RegistryBackend warmUp = EtcdBackendTckTest.create(server, new BackendContext(Clock.systemUTC()), "warm-up")) {
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                warmUp.probe();
                return true;
            });
        }
    }

    @AfterAll
    static void stopEtcd() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected RegistryBackend createBackend(BackendContext context, String namespace) {
        return EtcdBackendTckTest.create(server, context, namespace);
    }

    @Override
    protected Optional<RegistryBackendProvider> provider() {
        return Optional.of(new EtcdBackendProvider());
    }

    @Override
    protected BackendOptions providerOptions(String namespace) {
        return EtcdBackendTckTest.options(server, namespace);
    }

    @Override
    protected Optional<StorageControl> storageControl() {
        return server.control();
    }

    /**
     * etcd's window is its history, not a count: compacting at the current revision puts every
     * position reported so far out of it.
     */
    @Override
    protected boolean pushOutOfResumeWindow(RegistryBackend instance, ChangeFeed feed) {
        instance.registerRelay(new RelayRegistration("window-push", "10.0.0.1", 7443, Map.of()), Duration.ofMinutes(5));
        try (Client etcd = Client.builder().endpoints(server.backendOptions().get("endpoints")).build()) {
            long now = etcd.getKVClient().get(ByteSequence.from("window-push", StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS)
                    .getHeader().getRevision();
            etcd.getKVClient().compact(now).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not compact the test etcd", e);
        }
        return true;
    }

    @Override
    protected Duration outageFailFastBound() {
        return Duration.ofSeconds(8);
    }
}
