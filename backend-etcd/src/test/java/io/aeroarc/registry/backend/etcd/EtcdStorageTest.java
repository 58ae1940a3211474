package io.aeroarc.registry.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.AgentRegistrationRequest;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.tck.ManualClock;
import io.aeroarc.registry.testsupport.EtcdTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CyclicBarrier;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the TCK cannot see: the keys in etcd, their leases, and batches larger than one etcd
 * transaction. Reads etcd directly with its own client.
 */
class EtcdStorageTest {

    private static final Duration LONG_TTL = Duration.ofMinutes(5);

    private static TestServer server;
    private static Client etcd;

    private final List<RegistryBackend> backends = new ArrayList<>();
    private String namespace;

    @BeforeAll
    static void startEtcd() {
        server = EtcdTestServer.start();
        etcd = Client.builder().endpoints(server.backendOptions().get("endpoints")).build();
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void pickNamespace() {
        namespace = "/aeroarc/registry-storage-test/" + UUID.randomUUID() + "/";
    }

    @AfterEach
    void closeBackends() {
        backends.forEach(RegistryBackend::close);
    }

    @Test
    void keys_vanish_on_their_own_when_no_registry_server_renews_them() {
        RegistryBackend backend = backend(Clock.systemUTC(), Map.of());
        backend.registerRelay(relay("relay-a"), Duration.ofSeconds(1));
        backend.registerAgent("agent-1", "relay-a", Duration.ofSeconds(1)).orElseThrow();
        assertThat(keys("")).hasSize(3);

        backend.close(); // as when the registry server dies

        // Expiry second + lease margin + etcd's revocation pass.
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> keys("").isEmpty());
    }

    @Test
    void keys_are_laid_out_as_documented_and_a_deregistered_relay_leaves_none_behind() {
        RegistryBackend backend = backend(Clock.systemUTC(), Map.of());
        backend.registerRelay(new RelayRegistration("relay-a", "10.0.0.7", 7443, Map.of("zone", "b")), LONG_TTL);
        backend.registerAgent("agent-1", "relay-a", LONG_TTL).orElseThrow();

        assertThat(keys("")).containsExactlyInAnyOrder(
                namespace + "agents/agent-1",
                namespace + "relay-agents/relay-a/" + incarnation("relay-a") + "/agent-1",
                namespace + "relays/relay-a");
        assertThat(value("relays/relay-a")).contains("address=10.0.0.7").contains("label.zone=b");
        assertThat(value("agents/agent-1")).contains("relay=relay-a");

        backend.deregisterRelay("relay-a");

        // The placement key waits for its lease; it names an incarnation that is over. The marker
        // tells change feeds that the deletes of that revision were a deregistration.
        assertThat(keys("")).containsExactly(namespace + "agents/agent-1", namespace + "feed/deregistered");
        assertThat(value("feed/deregistered")).startsWith("relay=relay-a&at=");
        assertThat(backend.getPlacement("agent-1")).isEmpty();
    }

    @Test
    void a_renewal_writes_the_placement_and_its_copy_and_nothing_else() {
        RegistryBackend backend = backend(Clock.systemUTC(), Map.of());
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        backend.registerAgent("agent-1", "relay-a", LONG_TTL).orElseThrow();
        backend.registerAgent("agent-2", "relay-a", LONG_TTL).orElseThrow();

        assertThat(backend.heartbeatAgent("agent-1", Fence.NONE, LONG_TTL)).isInstanceOf(AgentHeartbeat.Renewed.class);

        assertThat(keysWrittenLast()).containsExactlyInAnyOrder(namespace + "agents/agent-1",
                namespace + "relay-agents/relay-a/" + incarnation("relay-a") + "/agent-1");
        assertThat(backend.getRelay("relay-a").orElseThrow().agentCount()).isEqualTo(2);
    }

    @Test
    void a_batch_heartbeat_of_the_largest_size_renews_every_agent_of_the_relay() throws Exception {
        RegistryBackend backend = backend(Clock.systemUTC(), Map.of());
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        backend.registerRelay(relay("relay-b"), LONG_TTL);
        List<String> agentIds = IntStream.range(0, 1000).mapToObj(i -> String.format("agent-%04d", i)).toList();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> registrations = new ArrayList<>();
            for (String agentId : agentIds) {
                registrations.add(pool.submit(() -> backend.registerAgent(agentId, agentId.endsWith("7") ? "relay-b" : "relay-a",
                        Duration.ofSeconds(30)).orElseThrow()));
            }
            for (Future<?> registration : registrations) {
                registration.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        long before = System.currentTimeMillis();
        BatchRenewal renewal = backend.heartbeatAgents("relay-a", agentIds, LONG_TTL).orElseThrow();

        assertThat(renewal.lostAgentIds()).hasSize(100).allMatch(id -> id.endsWith("7"));
        assertThat(renewal.expiresAtMs()).isGreaterThanOrEqualTo(before + LONG_TTL.toMillis());
        List<PlacementRecord> placements = backend.getPlacements(agentIds);
        assertThat(placements).hasSize(1000);
        assertThat(placements).filteredOn(p -> p.relayId().equals("relay-a")).hasSize(900)
                .allMatch(p -> p.expiresAtMs() == renewal.expiresAtMs());
        assertThat(backend.getRelay("relay-a").orElseThrow().agentCount()).isEqualTo(900);
    }

    @Test
    void batches_and_reads_are_split_to_the_servers_max_txn_ops() {
        RegistryBackend backend = backend(Clock.systemUTC(), Map.of("max-txn-ops", "8"));
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        List<String> agentIds = IntStream.range(0, 50).mapToObj(i -> "agent-" + i).toList();
        agentIds.forEach(agentId -> backend.registerAgent(agentId, "relay-a", Duration.ofSeconds(30)).orElseThrow());

        BatchRenewal renewal = backend.heartbeatAgents("relay-a", agentIds, LONG_TTL).orElseThrow();

        assertThat(renewal.lostAgentIds()).isEmpty();
        assertThat(backend.getPlacements(agentIds)).hasSize(50).allMatch(p -> p.expiresAtMs() == renewal.expiresAtMs());
        assertThat(backend.listRelays(Map.of(), PageRequest.first(10)).items()).singleElement()
                .matches(r -> r.agentCount() == 50);
    }

    @Test
    void batches_of_single_calls_are_split_to_the_servers_max_txn_ops() {
        RegistryBackend backend = backend(Clock.systemUTC(), Map.of("max-txn-ops", "8"));
        List<String> relays = List.of("relay-a", "relay-b", "relay-c");
        relays.forEach(relayId -> backend.registerRelay(relay(relayId), LONG_TTL));
        List<String> agentIds = IntStream.range(0, 60).mapToObj(i -> "agent-" + i).toList();
        Map<String, PlacementRecord> placed = new HashMap<>();
        for (int i = 0; i < agentIds.size(); i++) {
            placed.put(agentIds.get(i), backend.registerAgent(agentIds.get(i), relays.get(i % 3), Duration.ofSeconds(30)).orElseThrow());
        }
        List<AgentHeartbeatRequest> requests = new ArrayList<>();
        for (int i = 0; i < agentIds.size(); i++) {
            PlacementRecord placement = placed.get(agentIds.get(i));
            String relayId = i % 2 == 0 ? placement.relayId() : "relay-other";
            requests.add(new AgentHeartbeatRequest(agentIds.get(i), new Fence(Optional.of(relayId), placement.epoch())));
        }

        List<AgentHeartbeat> outcomes = backend.heartbeatAgentBatch(requests, LONG_TTL);
        List<Optional<RelayPlacement>> found = backend.getPlacementBatch(agentIds);

        for (int i = 0; i < agentIds.size(); i++) {
            PlacementRecord placement = placed.get(agentIds.get(i));
            if (i % 2 == 0) {
                assertThat(outcomes.get(i)).as("item %d", i).isInstanceOf(AgentHeartbeat.Renewed.class);
                assertThat(found.get(i).orElseThrow().placement().expiresAtMs())
                        .isEqualTo(((AgentHeartbeat.Renewed) outcomes.get(i)).expiresAtMs());
            } else {
                assertThat(outcomes.get(i)).as("item %d", i).isEqualTo(new AgentHeartbeat.Fenced(placement.relayId(), placement.epoch()));
                assertThat(found.get(i).orElseThrow().placement()).isEqualTo(placement);
            }
            assertThat(found.get(i).orElseThrow().relay().agentCount()).isEqualTo(20);
        }
    }

    @Test
    void registration_batches_are_split_to_the_servers_max_txn_ops_and_share_revisions() {
        RegistryBackend backend = backend(Clock.systemUTC(), Map.of("max-txn-ops", "8"));
        List<String> relays = List.of("relay-a", "relay-b", "relay-c");
        relays.forEach(relayId -> backend.registerRelay(relay(relayId), LONG_TTL));
        List<String> agentIds = IntStream.range(0, 60).mapToObj(i -> "agent-" + i).toList();
        Map<String, PlacementRecord> placed = new HashMap<>();
        for (int i = 0; i < agentIds.size(); i += 2) {
            placed.put(agentIds.get(i), backend.registerAgent(agentIds.get(i), relays.get(i % 3), Duration.ofSeconds(30)).orElseThrow());
        }
        // Even agents: half renew on their relay, half move to the next one; odd agents are created.
        List<AgentRegistrationRequest> requests = new ArrayList<>();
        for (int i = 0; i < agentIds.size(); i++) {
            String relayId = i % 4 == 0 ? relays.get(i % 3) : relays.get((i + 1) % 3);
            requests.add(new AgentRegistrationRequest(agentIds.get(i), relayId));
        }

        List<Optional<PlacementRecord>> outcomes = backend.registerAgentBatch(requests, LONG_TTL);

        java.util.Set<Long> createdEpochs = new java.util.HashSet<>();
        for (int i = 0; i < agentIds.size(); i++) {
            PlacementRecord answer = outcomes.get(i).orElseThrow();
            PlacementRecord before = placed.get(agentIds.get(i));
            assertThat(answer.relayId()).as("item %d", i).isEqualTo(requests.get(i).relayId());
            if (before != null && before.relayId().equals(answer.relayId())) {
                assertThat(answer.epoch()).as("renewal of item %d", i).isEqualTo(before.epoch());
            } else {
                assertThat(answer.epoch()).as("creation or move of item %d", i).isGreaterThan(before == null ? 0 : before.epoch());
                createdEpochs.add(answer.epoch());
            }
            assertThat(backend.getPlacement(agentIds.get(i)).orElseThrow().placement()).as("stored item %d", i).isEqualTo(answer);
        }
        // 45 creations and moves in transactions of at most 8 operations (3 to 5 per item): one
        // revision, one raft proposal, per transaction rather than per agent.
        assertThat(createdEpochs.size()).as("revisions of 45 creations and moves").isBetween(10, 44);
        int listed = 0;
        for (String relayId : relays) {
            listed += backend.listAgents(Optional.of(relayId), PageRequest.first(100)).items().size();
        }
        assertThat(listed).isEqualTo(60);
    }

    @Test
    void relay_ids_with_slashes_keep_their_own_placements() {
        RegistryBackend backend = backend(Clock.systemUTC(), Map.of());
        backend.registerRelay(relay("eu"), LONG_TTL);
        backend.registerRelay(relay("eu/" + incarnation("eu")), LONG_TTL);
        backend.registerAgent("agent-1", "eu", LONG_TTL).orElseThrow();
        backend.registerAgent("agent-2", "eu/" + incarnation("eu"), LONG_TTL).orElseThrow();

        assertThat(backend.listAgents(Optional.of("eu"), PageRequest.first(10)).items()).extracting(PlacementRecord::agentId)
                .containsExactly("agent-1");
        assertThat(backend.getRelay("eu").orElseThrow().agentCount()).isEqualTo(1);
    }

    @Test
    void lists_are_in_byte_order_of_the_ids() {
        RegistryBackend backend = backend(Clock.systemUTC(), Map.of());
        List<String> ids = List.of("a", "a-b", "a/b", "aB", "ab", "b", "\u00e9");
        for (String id : List.of("b", "ab", "\u00e9", "a/b", "a", "aB", "a-b")) {
            backend.registerRelay(relay(id), LONG_TTL);
            backend.registerAgent(id, id, LONG_TTL).orElseThrow();
        }

        assertThat(backend.listRelays(Map.of(), PageRequest.first(100)).items()).extracting(r -> r.relayId()).containsExactlyElementsOf(ids);
        assertThat(backend.listAgents(Optional.empty(), PageRequest.first(100)).items()).extracting(PlacementRecord::agentId)
                .containsExactlyElementsOf(ids);
        assertThat(backend.listAgents(Optional.empty(), new PageRequest("a/b", 2)).items()).extracting(PlacementRecord::agentId)
                .containsExactly("aB", "ab");
    }

    @Test
    void a_write_whose_lease_etcd_lost_gets_a_new_lease_and_succeeds() throws Exception {
        ManualClock clock = ManualClock.startingAt(System.currentTimeMillis());
        RegistryBackend backend = backend(clock, Map.of());
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        long lease = kv("relays/relay-a").getLease();
        etcd.getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS); // as after a restore from an older backup

        // Same clock, same expiry second: the backend still holds the revoked lease for it.
        backend.registerRelay(relay("relay-b"), LONG_TTL);

        assertThat(backend.getRelay("relay-b")).isPresent();
        assertThat(kv("relays/relay-b").getLease()).isNotEqualTo(lease);
    }

    @Test
    void concurrent_writes_into_one_expiry_second_share_one_lease_grant() throws Exception {
        long grantsBefore = leasesGrantedSoFar();
        ManualClock clock = ManualClock.startingAt(System.currentTimeMillis());
        RegistryBackend backend = backend(clock, Map.of());
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        int threads = 16;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> registrations = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t * 4;
                registrations.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    // The clock stands still: every placement expires in the same second.
                    for (int i = first; i < first + 4; i++) {
                        backend.registerAgent("agent-" + i, "relay-a", Duration.ofSeconds(30)).orElseThrow();
                    }
                    return null;
                }));
            }
            for (Future<?> registration : registrations) {
                registration.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        // The relay's second and the placements' second, each with the following second's granted ahead.
        awaitLeasesGrantedSince(grantsBefore, 4);
        assertThat(IntStream.range(0, 64).mapToObj(i -> kv("agents/agent-" + i).getLease()).distinct().count())
                .as("leases of placements expiring in one second").isEqualTo(1);
    }

    @Test
    void the_next_seconds_lease_is_granted_before_a_write_needs_it() throws Exception {
        long grantsBefore = leasesGrantedSoFar();
        ManualClock clock = ManualClock.startingAt(System.currentTimeMillis());
        RegistryBackend backend = backend(clock, Map.of());
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        awaitLeasesGrantedSince(grantsBefore, 2);

        clock.advance(Duration.ofSeconds(1));
        backend.registerRelay(relay("relay-b"), LONG_TTL);

        // Granted a second earlier, one second further from its end: a grant made by this write would have the same TTL as relay-a's.
        long grantedTtlA = grantedTtl(kv("relays/relay-a").getLease());
        assertThat(grantedTtl(kv("relays/relay-b").getLease())).as("granted TTL of relay-b's lease").isEqualTo(grantedTtlA + 1);
        awaitLeasesGrantedSince(grantsBefore, 3);
    }

    private static long grantedTtl(long lease) throws Exception {
        return etcd.getLeaseClient().timeToLive(lease, LeaseOption.DEFAULT).get(5, TimeUnit.SECONDS).getGrantedTTL();
    }

    /** etcd's count of leases granted since it started; skips the test when etcd's metrics cannot be read. */
    private static long leasesGrantedSoFar() {
        Optional<Long> granted = leasesGrantedByEtcd();
        assumeTrue(granted.isPresent(), "needs etcd's /metrics on the client URL");
        return granted.get();
    }

    /** Waits until etcd has granted {@code expected} leases since {@code before}, some of them in the background. */
    private static void awaitLeasesGrantedSince(long before, int expected) {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(leasesGrantedByEtcd().orElseThrow() - before).as("leases etcd granted").isEqualTo(expected));
    }

    /** etcd's count of leases granted since it started, from its metrics; empty when they cannot be read. */
    private static Optional<Long> leasesGrantedByEtcd() {
        String endpoint = server.backendOptions().get("endpoints").split(",")[0];
        try {
            HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(endpoint + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return metrics.body().lines().filter(line -> line.startsWith("etcd_debugging_lease_granted_total "))
                    .map(line -> (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim())).findFirst();
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private RegistryBackend backend(Clock clock, Map<String, String> extraOptions) {
        Map<String, String> options = new HashMap<>(server.backendOptions());
        options.put("namespace", namespace);
        options.putAll(extraOptions);
        BackendContext context = new BackendContext(clock);
        RegistryBackend backend = new EtcdBackendProvider().create(BackendOptions.of("etcd", options), context);
        backends.add(backend);
        return backend;
    }

    private static RelayRegistration relay(String relayId) {
        return new RelayRegistration(relayId, relayId + ".relays.test", 7443, Map.of());
    }

    private String incarnation(String relayId) {
        String value = value("relays/" + relayId);
        return value == null ? "none" : FieldCodec.decode(ByteSequence.from(value, StandardCharsets.UTF_8)).get("incarnation");
    }

    private List<String> keys(String under) throws RuntimeException {
        ByteSequence prefix = ByteSequence.from(namespace + under, StandardCharsets.UTF_8);
        try {
            return etcd.getKVClient().get(prefix, GetOption.builder().isPrefix(true).withKeysOnly(true).build()).get(5, TimeUnit.SECONDS)
                    .getKvs().stream().map(kv -> kv.getKey().toString(StandardCharsets.UTF_8)).toList();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private KeyValue kv(String key) {
        try {
            return etcd.getKVClient().get(ByteSequence.from(namespace + key, StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS).getKvs()
                    .get(0);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The keys of the namespace that the newest write transaction changed. */
    private List<String> keysWrittenLast() {
        ByteSequence prefix = ByteSequence.from(namespace, StandardCharsets.UTF_8);
        try {
            List<KeyValue> all = etcd.getKVClient().get(prefix, GetOption.builder().isPrefix(true).withKeysOnly(true).build())
                    .get(5, TimeUnit.SECONDS).getKvs();
            long newest = all.stream().mapToLong(KeyValue::getModRevision).max().orElseThrow();
            return all.stream().filter(kv -> kv.getModRevision() == newest).map(kv -> kv.getKey().toString(StandardCharsets.UTF_8)).toList();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private String value(String key) {
        try {
            List<KeyValue> kvs = etcd.getKVClient().get(ByteSequence.from(namespace + key, StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS)
                    .getKvs();
            return kvs.isEmpty() ? null : kvs.get(0).getValue().toString(StandardCharsets.UTF_8);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
