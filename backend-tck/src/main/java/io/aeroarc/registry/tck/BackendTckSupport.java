package io.aeroarc.registry.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
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
 * and implements {@link #createBackend} and {@link #provider}; the hooks here tune the suite to the
 * backend's timing.
 *
 * <h2>Clock</h2>
 * A backend that takes every time from {@link BackendContext#clock()} answers true from
 * {@link #usesContextClock()}: the suite then hands it a {@link ManualClock} and steps it, so the
 * {@code ttl_} rules run in milliseconds and decide expiry to the millisecond. A backend whose
 * times come from its storage (Redis {@code TIME}, etcd leases, PostgreSQL {@code now()}) keeps
 * the default, and the same rules wait on the real clock within {@link #expiryBound}.
 */
public abstract class BackendTckSupport {

    /** TTL for entries that must not expire during a rule. */
    protected static final Duration LONG_TTL = Duration.ofMinutes(5);

    protected RegistryBackend backend;
    protected String namespace;
    private final List<RegistryBackend> instances = new ArrayList<>();
    private final List<String> namespaces = new ArrayList<>();
    /** The rule's clock when {@link #usesContextClock()}, else null. */
    private ManualClock manualClock;

    /**
     * A new backend instance on storage isolated by {@code namespace}: instances created with
     * different namespaces must not see each other's entries, and instances created with the same
     * namespace share them (when {@link #sharesStorageBetweenInstances()}).
     */
    protected abstract RegistryBackend createBackend(BackendContext context, String namespace);

    /**
     * The provider the server loads this backend through, for the {@code provider_} rules (name,
     * options, creation while the storage is down, services file). Return empty only from a test
     * of a wrapper that has no provider of its own; the provider rules are then skipped.
     */
    protected abstract Optional<RegistryBackendProvider> provider();

    /**
     * The options that make {@link #provider()} create a working backend on {@code namespace}:
     * the provider rules add to them. The default is no options.
     */
    protected BackendOptions providerOptions(String namespace) {
        return BackendOptions.none(provider().map(RegistryBackendProvider::name).orElse("none"));
    }

    /**
     * Whether the backend takes every time (expiry, heartbeat and registration times, epoch seeds)
     * from {@link BackendContext#clock()}. Then every rule runs on a {@link ManualClock} the rule
     * steps, and no rule sleeps. False (the default) for backends that use their storage's clock.
     */
    protected boolean usesContextClock() {
        return false;
    }

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

    /** How long all threads of one concurrency rule may take together. */
    protected Duration concurrencyBound() {
        return Duration.ofSeconds(90);
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
        manualClock = usesContextClock() ? ManualClock.startingAt(System.currentTimeMillis()) : null;
        namespace = newNamespace();
        backend = newInstance(namespace);
    }

    @AfterEach
    public final void closeBackends() {
        for (RegistryBackend instance : instances) {
            instance.close();
        }
        instances.clear();
    }

    /**
     * Every namespace the current rule created storage on, {@link #namespace} first; a fixture
     * that must clean its storage after each rule cleans all of them.
     */
    protected final List<String> namespacesOfThisRule() {
        return List.copyOf(namespaces);
    }

    /** Another instance on the same storage, as a second registry server would have. */
    protected final RegistryBackend peerInstance() {
        Assumptions.assumeTrue(sharesStorageBetweenInstances(),
                "this backend keeps its state in one process; shared-storage rules do not apply");
        return newInstance(namespace);
    }

    /** A new instance on a new, empty namespace, as a server started on empty or wiped storage has. */
    protected final RegistryBackend instanceOnEmptyStorage() {
        return newInstance(newNamespace());
    }

    /** Registers an instance a rule created itself, so it is closed after the rule. */
    protected final RegistryBackend tracked(RegistryBackend instance) {
        instances.add(instance);
        return instance;
    }

    /** Closes one instance of the rule now, as a stopped server would. */
    protected final void closeInstance(RegistryBackend instance) {
        if (instances.remove(instance)) {
            instance.close();
        }
    }

    /** The context the suite creates backends with: the rule's clock. */
    protected final BackendContext context() {
        return new BackendContext(clock());
    }

    private String newNamespace() {
        String created = "tck" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        namespaces.add(created);
        return created;
    }

    private RegistryBackend newInstance(String on) {
        RegistryBackend instance = createBackend(context(), on);
        instances.add(instance);
        return instance;
    }

    // ---- time ----

    /** The clock the backends of this rule get: the rule's {@link ManualClock}, or the system clock. */
    protected final Clock clock() {
        return manualClock != null ? manualClock : Clock.systemUTC();
    }

    /** Whether this rule runs on a {@link ManualClock} (see {@link #usesContextClock()}). */
    protected final boolean onManualClock() {
        return manualClock != null;
    }

    /** Now, in Unix ms, on the rule's clock. */
    protected final long now() {
        return clock().millis();
    }

    /**
     * Lets at least {@code duration} pass on the backend's clock: steps the manual clock, or sleeps
     * on the real one. Used so that a renewal or a new registration time is visible; never an assertion.
     */
    protected final void letTimePass(Duration duration) {
        if (manualClock != null) {
            manualClock.advance(duration);
            return;
        }
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Steps the manual clock to {@code epochMillis}; only on a manual clock. */
    protected final void stepClockTo(long epochMillis) {
        if (manualClock == null) {
            throw new IllegalStateException("only a rule on a ManualClock steps the clock");
        }
        manualClock.advanceTo(epochMillis);
    }

    /** The clock tolerance in force: none on a manual clock, which the backend reads itself. */
    protected final Duration effectiveClockTolerance() {
        return manualClock != null ? Duration.ZERO : clockTolerance();
    }

    // ---- helpers for the rules ----

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

    /**
     * Asserts that {@code gone} holds once an entry whose TTL started at most now has expired: on
     * a manual clock, at once after stepping the clock by the TTL and the backend's resolution (a
     * read decides expiry itself); on the real clock, within the expiry bound of {@code ttl}.
     */
    protected void awaitExpiry(Duration ttl, String what, Callable<Boolean> gone) {
        if (manualClock != null) {
            manualClock.advance(ttl.plus(backend.ttlSupport().resolution()));
            assertThat(callCheck(gone)).as("%s: gone from reads once its TTL of %d ms has passed on the backend's clock", what,
                    ttl.toMillis()).isTrue();
            return;
        }
        BoundedWait.until(what + ": gone from reads once its TTL of " + ttl.toMillis() + " ms has passed (bound "
                + expiryBound(ttl).toMillis() + " ms, see expiryBound)", expiryBound(ttl), Duration.ofMillis(25), gone);
    }

    /**
     * As {@link #awaitExpiry(Duration, String, Callable)} for an entry the backend said expires at
     * {@code expiresAtMs}: on a manual clock the clock is stepped to exactly that expiry plus the
     * resolution, so an entry that outlives its expiry fails.
     */
    protected void awaitExpiry(long expiresAtMs, Duration ttl, String what, Callable<Boolean> gone) {
        if (manualClock != null) {
            manualClock.advanceTo(expiresAtMs + backend.ttlSupport().resolution().toMillis());
            assertThat(callCheck(gone)).as("%s: gone from reads at its expiry (%d) plus the backend's resolution", what, expiresAtMs)
                    .isTrue();
            return;
        }
        awaitExpiry(ttl, what, gone);
    }

    /** Asserts an expiry the backend reported lies within [before + ttl, after + ttl + resolution], give or take the clock tolerance. */
    protected void assertExpiry(long expiresAtMs, long beforeMs, long afterMs, Duration ttl) {
        long tolerance = effectiveClockTolerance().toMillis();
        assertThat(expiresAtMs).as("expiry in Unix ms is the call's time plus the TTL of %d ms (within the backend's resolution%s)",
                        ttl.toMillis(), tolerance == 0 ? "" : " and a clock tolerance of " + tolerance + " ms")
                .isBetween(beforeMs + ttl.toMillis() - tolerance,
                        afterMs + ttl.toMillis() + backend.ttlSupport().resolution().toMillis() + tolerance);
    }

    /** Asserts a time the backend reported lies within [before, after], give or take the clock tolerance. */
    protected void assertTimeBetween(long actualMs, long beforeMs, long afterMs, String what) {
        long tolerance = effectiveClockTolerance().toMillis();
        assertThat(actualMs).as("%s is the time of the call on the backend's clock", what)
                .isBetween(beforeMs - tolerance, afterMs + tolerance);
    }

    /** Runs a check of a rule; exceptions other than runtime ones become {@link IllegalStateException}. */
    protected static boolean callCheck(Callable<Boolean> check) {
        try {
            return check.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
