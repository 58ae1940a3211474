package io.aeroarc.registry.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

/**
 * Fixtures and timing hooks of the TCK. A backend's test class extends {@link RegistryBackendTck}
 * and implements {@link #createBackend}; the hooks here tune the suite to the backend's timing.
 */
public abstract class BackendTckSupport {

    /** TTL for entries that must not expire during a rule. */
    protected static final Duration LONG_TTL = Duration.ofMinutes(5);

    protected RegistryBackend backend;
    protected String namespace;
    private final List<RegistryBackend> instances = new ArrayList<>();

    /**
     * A new backend instance on storage isolated by {@code namespace}: instances created with
     * different namespaces must not see each other's entries, and instances created with the same
     * namespace share them (when {@link #sharesStorageBetweenInstances()}).
     */
    protected abstract RegistryBackend createBackend(BackendContext context, String namespace);

    /**
     * Whether two instances on one namespace see one store, as several registry servers on one
     * database do. Embedded backends answer false and the shared-storage rules are skipped.
     */
    protected boolean sharesStorageBetweenInstances() {
        return true;
    }

    /** The short TTL of the expiry rules; at least the backend's minimum. */
    protected Duration shortTtl() {
        return Duration.ofSeconds(1);
    }

    /**
     * Time allowed, beyond the TTL and the backend's TTL resolution, before an expired entry must
     * be gone from every read: scheduling noise, round trips, a server-side expiry timer.
     */
    protected Duration expirySlack() {
        return Duration.ofSeconds(1);
    }

    /** How far the backend's clock may be from this JVM's, such as a database clock. */
    protected Duration clockTolerance() {
        return Duration.ofMillis(250);
    }

    /** Threads of the concurrency rules. */
    protected int concurrencyThreads() {
        return 8;
    }

    /** Calls each thread of a concurrency rule makes. */
    protected int concurrencyRoundsPerThread() {
        return 40;
    }

    /**
     * Lets the outage rules stop and restart the storage under the backend, on the same address.
     * Empty (the default) skips them.
     */
    protected Optional<StorageControl> storageControl() {
        return Optional.empty();
    }

    /** How long any call may take to fail while the storage is down. */
    protected Duration outageFailFastBound() {
        return Duration.ofSeconds(5);
    }

    /** How long the backend may take to work again after the storage is back. */
    protected Duration outageRecoveryBound() {
        return Duration.ofSeconds(30);
    }

    @BeforeEach
    public final void createBackendUnderTest() {
        namespace = "tck" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        backend = newInstance();
    }

    @AfterEach
    public final void closeBackends() {
        for (RegistryBackend instance : instances) {
            instance.close();
        }
        instances.clear();
    }

    /** Another instance on the same storage, as a second registry server would have. */
    protected final RegistryBackend peerInstance() {
        Assumptions.assumeTrue(sharesStorageBetweenInstances(),
                "this backend keeps its state in one process; shared-storage rules do not apply");
        return newInstance();
    }

    private RegistryBackend newInstance() {
        RegistryBackend instance = createBackend(new BackendContext(Clock.systemUTC()), namespace);
        instances.add(instance);
        return instance;
    }

    // ---- helpers for the rules ----

    protected static long now() {
        return System.currentTimeMillis();
    }

    protected static RelayRegistration relay(String relayId) {
        return new RelayRegistration(relayId, relayId + ".relays.test", 7443, Map.of());
    }

    protected long registerRelay(String relayId) {
        return backend.registerRelay(relay(relayId), LONG_TTL);
    }

    protected PlacementRecord registerAgent(String agentId, String relayId) {
        return registerAgent(backend, agentId, relayId);
    }

    protected static PlacementRecord registerAgent(RegistryBackend on, String agentId, String relayId) {
        Optional<PlacementRecord> placement = on.registerAgent(agentId, relayId, LONG_TTL);
        assertThat(placement).as("placement of %s on live relay %s", agentId, relayId).isPresent();
        return placement.get();
    }

    protected RelayRecord liveRelay(String relayId) {
        Optional<RelayRecord> relay = backend.getRelay(relayId);
        assertThat(relay).as("relay %s", relayId).isPresent();
        return relay.get();
    }

    /** Every relay id of a full pass over the relay list, page by page. */
    protected List<String> allRelayIds(RegistryBackend on, Map<String, String> selector, int pageSize) {
        return walk(after -> on.listRelays(selector, new PageRequest(after, pageSize)), RelayRecord::relayId, pageSize);
    }

    /** Every placement of a full pass over the agent list, page by page. */
    protected List<PlacementRecord> allPlacements(RegistryBackend on, Optional<String> relayId, int pageSize) {
        return walk(after -> on.listAgents(relayId, new PageRequest(after, pageSize)), p -> p, pageSize);
    }

    protected List<String> allAgentIds(RegistryBackend on, Optional<String> relayId, int pageSize) {
        return allPlacements(on, relayId, pageSize).stream().map(PlacementRecord::agentId).toList();
    }

    private static <T, R> List<R> walk(Function<String, Page<T>> pageAfter, Function<T, R> map,
            int pageSize) {
        List<R> all = new ArrayList<>();
        String after = "";
        for (int pages = 0; pages < 100_000; pages++) {
            Page<T> page = pageAfter.apply(after);
            assertThat(page.items().size()).as("page size").isLessThanOrEqualTo(pageSize);
            for (T item : page.items()) {
                all.add(map.apply(item));
            }
            if (!page.hasMore()) {
                return all;
            }
            assertThat(page.items()).as("a page that says more follow is not empty").isNotEmpty();
            after = idOf(page.items().get(page.items().size() - 1));
        }
        throw new AssertionError("paging did not end after 100000 pages");
    }

    private static String idOf(Object item) {
        if (item instanceof RelayRecord relay) {
            return relay.relayId();
        }
        return ((PlacementRecord) item).agentId();
    }

    /** The longest an entry may stay readable after its TTL started. */
    protected Duration expiryBound(Duration ttl) {
        return ttl.plus(backend.ttlSupport().resolution()).plus(expirySlack()).plus(clockTolerance());
    }

    /** Waits, within the expiry bound of {@code ttl}, until {@code gone} holds. */
    protected void awaitExpiry(Duration ttl, Callable<Boolean> gone) {
        await().atMost(expiryBound(ttl)).pollInterval(Duration.ofMillis(25)).until(gone);
    }

    /** Asserts an expiry the backend reported lies within [before + ttl, after + ttl + resolution], give or take the clock tolerance. */
    protected void assertExpiry(long expiresAtMs, long beforeMs, long afterMs, Duration ttl) {
        long tolerance = clockTolerance().toMillis();
        assertThat(expiresAtMs).as("expiry in Unix ms")
                .isBetween(beforeMs + ttl.toMillis() - tolerance,
                        afterMs + ttl.toMillis() + backend.ttlSupport().resolution().toMillis() + tolerance);
    }

    /** Asserts a time the backend reported lies within [before, after], give or take the clock tolerance. */
    protected void assertTimeBetween(long actualMs, long beforeMs, long afterMs, String what) {
        long tolerance = clockTolerance().toMillis();
        assertThat(actualMs).as(what).isBetween(beforeMs - tolerance, afterMs + tolerance);
    }
}
