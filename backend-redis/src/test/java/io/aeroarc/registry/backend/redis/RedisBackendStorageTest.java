package io.aeroarc.registry.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.testsupport.RedisTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;

/**
 * What the TCK cannot see: round trips per call, native key expiry, the sweep, script reloading,
 * the Redis clock, error mapping, timeouts and the connection options, on a real Redis.
 */
class RedisBackendStorageTest {

    private static final Duration LONG_TTL = Duration.ofMinutes(5);
    /** Long context TTLs put the first background sweep 30s out, so only the tests sweep. */
    private static final BackendContext CONTEXT = new BackendContext(Clock.systemUTC());

    private static TestServer server;
    private static RawRedis raw;

    private final List<RegistryBackend> backends = new ArrayList<>();
    private String prefix;
    private RegistryBackend backend;

    @BeforeAll
    static void startRedis() {
        server = RedisTestServer.start();
        raw = new RawRedis(server);
    }

    @AfterAll
    static void stopRedis() {
        if (raw != null) {
            raw.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void createBackend() {
        prefix = "aeroarc:registry:test:" + UUID.randomUUID() + ":";
        backend = withoutBackgroundWork(prefix);
    }

    @AfterEach
    void closeBackendsAndDeleteKeys() {
        backends.forEach(RegistryBackend::close);
        raw.deleteAll(prefix);
    }

    private RegistryBackend create(String keyPrefix, Map<String, String> extraOptions, BackendContext context) {
        Map<String, String> options = new HashMap<>(server.backendOptions());
        options.put(RedisSettings.KEY_PREFIX, keyPrefix);
        options.putAll(extraOptions);
        RegistryBackend created = new RedisBackendProvider().create(BackendOptions.of("redis", options), context);
        backends.add(created);
        return created;
    }

    /**
     * A backend whose expiry reporter and sweeper do not run by themselves, so tests can count
     * Redis' calls and sweep when they want ({@link RedisBackend#sweepExpired()}).
     */
    private RegistryBackend withoutBackgroundWork(String keyPrefix) {
        Map<String, String> options = new HashMap<>(server.backendOptions());
        options.put(RedisSettings.KEY_PREFIX, keyPrefix);
        RedisSettings settings = RedisSettings.from(BackendOptions.of("redis", options));
        RegistryBackend created = new RedisBackend(new ScriptRunner(settings), keyPrefix, settings.feedMaxLen(),
                Duration.ZERO, Duration.ZERO);
        backends.add(created);
        return created;
    }

    /** Tests that watch server-wide counters or stall the server need one nobody else uses. */
    private static void assumeOwnedServer() {
        assumeTrue(server.control().isPresent(), "needs a Redis the tests started themselves");
    }

    private static RelayRegistration relay(String relayId) {
        return new RelayRegistration(relayId, relayId + ".test", 7443, Map.of());
    }

    private List<String> registerAgents(String relayId, int count, Duration ttl) {
        List<String> agentIds = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String agentId = String.format("%s-agent-%04d", relayId, i);
            assertThat(backend.registerAgent(agentId, relayId, ttl)).isPresent();
            agentIds.add(agentId);
        }
        return agentIds;
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void an_agent_heartbeat_is_one_script_call() {
        assumeOwnedServer();
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        backend.registerAgent("agent-1", "relay-a", LONG_TTL);
        backend.heartbeatAgent("agent-1", Fence.NONE, LONG_TTL); // loads the script
        long evalshaBefore = raw.calls("evalsha");
        long loadsBefore = raw.calls("script|load");

        AgentHeartbeat heartbeat = backend.heartbeatAgent("agent-1", new Fence(Optional.of("relay-a"), 0), LONG_TTL);

        assertThat(heartbeat).isInstanceOf(AgentHeartbeat.Renewed.class);
        assertThat(raw.calls("evalsha") - evalshaBefore).isEqualTo(1);
        assertThat(raw.calls("script|load") - loadsBefore).isZero();
    }

    @Test
    void a_batch_heartbeat_of_a_thousand_agents_is_one_script_call() {
        assumeOwnedServer();
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        List<String> agentIds = registerAgents("relay-a", RedisBackend.IDS_PER_CALL, LONG_TTL);
        backend.heartbeatAgents("relay-a", List.of("warm-up"), LONG_TTL); // loads the script
        long evalshaBefore = raw.calls("evalsha");

        BatchRenewal renewal = backend.heartbeatAgents("relay-a", agentIds, LONG_TTL).orElseThrow();

        assertThat(renewal.lostAgentIds()).isEmpty();
        assertThat(raw.calls("evalsha") - evalshaBefore).isEqualTo(1);
    }

    /**
     * Redis' time goes per command a script runs: a gathered batch reads each relay once, and
     * writes each expiry index with one ZADD per relay plus one for all, whatever the batch size,
     * and only for the placements whose scores are due (half their TTL used up). The others keep
     * their scores, which stay at most their expiries.
     */
    @Test
    void a_gathered_heartbeat_batch_reads_each_relay_once_and_rescores_only_what_is_due() {
        assumeOwnedServer();
        Duration dueSoon = Duration.ofSeconds(20); // under half of LONG_TTL: renewing to LONG_TTL re-scores
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        backend.registerRelay(relay("relay-b"), LONG_TTL);
        backend.registerRelay(relay("relay-gone"), LONG_TTL);
        List<String> onA = registerAgents("relay-a", 20, dueSoon);
        List<String> onB = registerAgents("relay-b", 10, LONG_TTL);
        List<String> onGone = registerAgents("relay-gone", 5, LONG_TTL);
        PlacementRecord fencedOne = backend.registerAgent("relay-a-agent-0000", "relay-a", dueSoon).orElseThrow();
        Map<String, Double> registeredScores = new HashMap<>();
        onB.forEach(agentId -> registeredScores.put(agentId, raw.client.zscore(prefix + "agent-expiries", agentId)));
        assertThat(backend.deregisterRelay("relay-gone")).isTrue();
        List<AgentHeartbeatRequest> requests = new ArrayList<>();
        requests.add(new AgentHeartbeatRequest(onA.get(0), new Fence(Optional.of("relay-b"), 0)));
        for (String agentId : onA.subList(1, onA.size())) {
            requests.add(new AgentHeartbeatRequest(agentId, new Fence(Optional.of("relay-a"), 0)));
        }
        onB.forEach(agentId -> requests.add(new AgentHeartbeatRequest(agentId, Fence.NONE)));
        onGone.forEach(agentId -> requests.add(new AgentHeartbeatRequest(agentId, Fence.NONE)));
        requests.add(new AgentHeartbeatRequest("agent-unknown", Fence.NONE));
        backend.heartbeatAgentBatch(List.of(new AgentHeartbeatRequest("warm-up", Fence.NONE)), LONG_TTL); // loads the script
        long evalshaBefore = raw.calls("evalsha");
        long hmgetBefore = raw.calls("hmget");
        long zaddBefore = raw.calls("zadd");

        List<AgentHeartbeat> outcomes = backend.heartbeatAgentBatch(requests, LONG_TTL);

        assertThat(raw.calls("evalsha") - evalshaBefore).isEqualTo(1);
        assertThat(raw.calls("hmget") - hmgetBefore).as("one per agent, one per relay").isEqualTo(requests.size() + 3);
        assertThat(raw.calls("zadd") - zaddBefore).as("one for relay-a, whose scores were due, one for the agent index").isEqualTo(2);
        assertThat(outcomes.get(0)).isEqualTo(new AgentHeartbeat.Fenced("relay-a", fencedOne.epoch()));
        long expiresAt = ((AgentHeartbeat.Renewed) outcomes.get(1)).expiresAtMs();
        assertThat(outcomes.subList(1, onA.size() + onB.size())).containsOnly(new AgentHeartbeat.Renewed(expiresAt));
        assertThat(outcomes.subList(onA.size() + onB.size(), outcomes.size())).containsOnly(new AgentHeartbeat.NotFound());
        for (String agentId : onA.subList(1, onA.size())) {
            assertThat(raw.client.zscore(prefix + "relay-agent-expiries:relay-a", agentId)).isEqualTo((double) expiresAt);
            assertThat(raw.client.zscore(prefix + "agent-expiries", agentId)).isEqualTo((double) expiresAt);
        }
        for (String agentId : onB) {
            double registered = registeredScores.get(agentId);
            assertThat(registered).as("not due: the registration's score, still before the new expiry").isLessThan(expiresAt);
            assertThat(raw.client.zscore(prefix + "relay-agent-expiries:relay-b", agentId)).isEqualTo(registered);
            assertThat(raw.client.zscore(prefix + "agent-expiries", agentId)).isEqualTo(registered);
        }
        assertThat(raw.client.zscore(prefix + "agent-expiries", onA.get(0))).as("fenced: left alone")
                .isEqualTo((double) fencedOne.expiresAtMs());
        assertThat(raw.client.zscore(prefix + "relay-agent-expiries:relay-a", onA.get(0))).isEqualTo((double) fencedOne.expiresAtMs());
        assertThat(raw.client.zscore(prefix + "agent-expiries", "agent-unknown")).isNull();
        assertThat(backend.getPlacement(onB.get(0)).orElseThrow().placement().expiresAtMs()).isEqualTo(expiresAt);
        assertThat(backend.getRelay("relay-b").orElseThrow().agentCount()).isEqualTo(onB.size());
    }

    /** A score never lies after its placement's expiry, or the expiry would be reported and counted late. */
    @Test
    void a_renewal_to_a_shorter_ttl_rescores_at_once_on_every_renewal_path() {
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        List<String> agentIds = registerAgents("relay-a", 3, LONG_TTL);
        Duration shorter = Duration.ofSeconds(30);

        long single = ((AgentHeartbeat.Renewed) backend.heartbeatAgent(agentIds.get(0), Fence.NONE, shorter)).expiresAtMs();
        long gathered = ((AgentHeartbeat.Renewed) backend.heartbeatAgentBatch(
                List.of(new AgentHeartbeatRequest(agentIds.get(1), Fence.NONE)), shorter).get(0)).expiresAtMs();
        long batched = backend.heartbeatAgents("relay-a", List.of(agentIds.get(2)), shorter).orElseThrow().expiresAtMs();

        Map<String, Long> expiries = Map.of(agentIds.get(0), single, agentIds.get(1), gathered, agentIds.get(2), batched);
        expiries.forEach((agentId, expiresAt) -> {
            assertThat(raw.client.zscore(prefix + "relay-agent-expiries:relay-a", agentId)).as(agentId).isEqualTo((double) expiresAt);
            assertThat(raw.client.zscore(prefix + "agent-expiries", agentId)).as(agentId).isEqualTo((double) expiresAt);
        });
    }

    /**
     * An agent renewing less often than every half TTL leaves a score that passes before its
     * expiry. Reads, renewals and the sweep then take the hash's word, and the sweep re-scores it.
     */
    @Test
    void a_score_that_lags_behind_renewals_still_counts_and_renews_and_the_sweep_moves_it_on() throws InterruptedException {
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        List<String> agentIds = registerAgents("relay-a", 3, LONG_TTL);
        assertThat(backend.registerAgent("agent-ended", "relay-a", Duration.ofMillis(300))).isPresent();
        String lagging = agentIds.get(0);
        long past = System.currentTimeMillis() - 60_000;
        raw.client.zadd(prefix + "relay-agent-expiries:relay-a", past, lagging);
        raw.client.zadd(prefix + "agent-expiries", past, lagging);
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.getPlacement("agent-ended").isEmpty());

        assertThat(backend.getRelay("relay-a").orElseThrow().agentCount()).as("the lagging one counts, the ended one not").isEqualTo(3);
        assertThat(backend.getPlacement(lagging).orElseThrow().relay().agentCount()).isEqualTo(3);
        assertThat(backend.heartbeatAgents("relay-a", List.of(lagging, "agent-ended"), LONG_TTL).orElseThrow().lostAgentIds())
                .containsExactly("agent-ended");
        raw.client.zadd(prefix + "relay-agent-expiries:relay-a", past, lagging);
        raw.client.zadd(prefix + "agent-expiries", past, lagging);

        int dropped = ((RedisBackend) backend).sweepExpired();

        long expiresAt = backend.getPlacement(lagging).orElseThrow().placement().expiresAtMs();
        assertThat(raw.client.zscore(prefix + "relay-agent-expiries:relay-a", lagging)).isEqualTo((double) expiresAt);
        assertThat(raw.client.zscore(prefix + "agent-expiries", lagging)).isEqualTo((double) expiresAt);
        assertThat(dropped).as("the ended one, from the agent index").isEqualTo(1);
        assertThat(raw.client.zrange(prefix + "relay-agent-expiries:relay-a", 0, -1)).containsExactlyInAnyOrderElementsOf(agentIds);
        assertThat(backend.getRelay("relay-a").orElseThrow().agentCount()).isEqualTo(3);
    }

    @Test
    void listing_walks_indexes_and_never_scans_the_keyspace() {
        assumeOwnedServer();
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        registerAgents("relay-a", 30, LONG_TTL);
        backend.listAgents(Optional.empty(), PageRequest.first(1)); // loads the scripts
        backend.listRelays(Map.of(), PageRequest.first(1));
        long keysBefore = raw.calls("keys");
        long scansBefore = raw.calls("scan");
        long evalshaBefore = raw.calls("evalsha");

        assertThat(backend.listAgents(Optional.empty(), PageRequest.first(10)).items()).hasSize(10);
        assertThat(backend.listAgents(Optional.of("relay-a"), PageRequest.first(100)).items()).hasSize(30);
        assertThat(backend.listRelays(Map.of(), PageRequest.first(10)).items()).hasSize(1);

        assertThat(raw.calls("keys") - keysBefore).isZero();
        assertThat(raw.calls("scan") - scansBefore).isZero();
        assertThat(raw.calls("evalsha") - evalshaBefore).as("one script call per page").isEqualTo(3);
    }

    @Test
    void a_batch_longer_than_one_call_renews_all_and_reports_the_lost_of_every_call() {
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        List<String> agentIds = new ArrayList<>(registerAgents("relay-a", RedisBackend.IDS_PER_CALL + 5, LONG_TTL));
        agentIds.add("agent-unknown");

        BatchRenewal renewal = backend.heartbeatAgents("relay-a", agentIds, LONG_TTL).orElseThrow();

        assertThat(renewal.lostAgentIds()).containsExactly("agent-unknown");
        assertThat(backend.getPlacements(agentIds)).hasSize(RedisBackend.IDS_PER_CALL + 5);
    }

    // ---------------------------------------------------------------- keys and expiry

    /**
     * Keys outlive their entry by prelude.lua's KEEP_ENDED_MS, so the expiry reporter can still
     * read what it reports; it deletes them when it does.
     */
    @Test
    void relay_and_placement_keys_expire_in_redis_a_day_after_them() {
        long keep = Duration.ofDays(1).toMillis();
        long relayTtl = 60_000;
        long agentTtl = 30_000;
        backend.registerRelay(relay("relay-a"), Duration.ofMillis(relayTtl));
        backend.registerAgent("agent-1", "relay-a", Duration.ofMillis(agentTtl));

        assertThat(raw.client.pttl(prefix + "relay:relay-a")).isBetween(keep + relayTtl - 5_000, keep + relayTtl);
        assertThat(raw.client.pttl(prefix + "relay-agents:relay-a")).isBetween(keep + relayTtl - 5_000, keep + relayTtl);
        assertThat(raw.client.pttl(prefix + "relay-agent-expiries:relay-a")).isBetween(keep + relayTtl - 5_000, keep + relayTtl);
        assertThat(raw.client.pttl(prefix + "agent:agent-1")).isBetween(keep + agentTtl - 5_000, keep + agentTtl);
    }

    @Test
    void the_sweep_removes_index_entries_of_everything_that_ended() {
        Duration shortTtl = Duration.ofMillis(300);
        backend.registerRelay(relay("relay-expiring"), shortTtl);
        registerAgents("relay-expiring", 3, LONG_TTL);
        backend.registerRelay(relay("relay-deregistered"), LONG_TTL);
        registerAgents("relay-deregistered", 3, shortTtl);
        backend.registerRelay(relay("relay-kept"), LONG_TTL);
        registerAgents("relay-kept", 3, shortTtl);
        assertThat(backend.registerAgent("agent-kept", "relay-kept", LONG_TTL)).isPresent();
        assertThat(backend.deregisterRelay("relay-deregistered")).isTrue();
        RedisBackend redisBackend = (RedisBackend) backend;

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            redisBackend.sweepExpired();
            assertThat(raw.client.zrange(prefix + "relays", 0, -1)).containsExactly("relay-kept");
            assertThat(raw.client.zrange(prefix + "relay-expiries", 0, -1)).containsExactly("relay-kept");
            // relay-expiring's agents have a long TTL of their own: they stay indexed until it passes
            assertThat(raw.client.zrange(prefix + "agents", 0, -1)).doesNotContain(
                    "relay-deregistered-agent-0000", "relay-kept-agent-0000").contains("agent-kept");
            assertThat(raw.client.zrange(prefix + "relay-agents:relay-kept", 0, -1)).containsExactly("agent-kept");
            assertThat(raw.client.zrange(prefix + "relay-agent-expiries:relay-kept", 0, -1)).containsExactly("agent-kept");
        });
        assertThat(raw.keys(prefix + "relay:")).containsExactly(prefix + "relay:relay-kept");
        assertThat(raw.keys(prefix + "relay-agents:")).containsExactly(prefix + "relay-agents:relay-kept");
        assertThat(backend.listAgents(Optional.empty(), PageRequest.first(100)).items())
                .extracting(PlacementRecord::agentId).containsExactly("agent-kept");
        // listing dropped the entries the sweep leaves for their own TTL
        assertThat(raw.client.zrange(prefix + "agents", 0, -1)).containsExactly("agent-kept");
    }

    @Test
    void the_sweep_keeps_placements_renewed_since_registration_and_moves_their_sweep_score_on() {
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        PlacementRecord placed = backend.registerAgent("agent-1", "relay-a", Duration.ofMillis(300)).orElseThrow();
        assertThat(backend.heartbeatAgent("agent-1", Fence.NONE, LONG_TTL)).isInstanceOf(AgentHeartbeat.Renewed.class);
        RedisBackend redisBackend = (RedisBackend) backend;

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            redisBackend.sweepExpired();
            assertThat(raw.client.zscore(prefix + "agent-expiries", "agent-1")).as("sweep score")
                    .isGreaterThan((double) placed.expiresAtMs());
        });
        assertThat(raw.client.zrange(prefix + "agents", 0, -1)).containsExactly("agent-1");
        assertThat(backend.listAgents(Optional.empty(), PageRequest.first(10)).items()).extracting(PlacementRecord::agentId)
                .containsExactly("agent-1");
        assertThat(backend.getPlacement("agent-1")).isPresent();
    }

    @Test
    void key_prefixes_keep_registries_on_one_redis_apart() {
        String otherPrefix = prefix + "other:";
        RegistryBackend other = create(otherPrefix, Map.of(), CONTEXT);

        backend.registerRelay(relay("relay-a"), LONG_TTL);
        other.registerRelay(relay("relay-b"), LONG_TTL);

        assertThat(backend.getRelay("relay-b")).isEmpty();
        assertThat(other.getRelay("relay-a")).isEmpty();
        assertThat(other.listRelays(Map.of(), PageRequest.first(10)).items()).singleElement()
                .satisfies(relay -> assertThat(relay.relayId()).isEqualTo("relay-b"));
    }

    // ---------------------------------------------------------------- time

    @Test
    void times_come_from_the_redis_clock_not_the_registry_clock() {
        Clock stopped = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);
        RegistryBackend onStoppedClock = create(prefix, Map.of(), new BackendContext(stopped));
        List<?> redisTime = (List<?>) raw.client.sendCommand(Protocol.Command.TIME);
        long redisNow = Long.parseLong(new String((byte[]) redisTime.get(0), StandardCharsets.UTF_8)) * 1000;

        long expiresAt = onStoppedClock.registerRelay(relay("relay-a"), Duration.ofSeconds(10));

        assertThat(expiresAt).isBetween(redisNow + 9_000, redisNow + 12_000);
    }

    // ---------------------------------------------------------------- failures

    @Test
    void scripts_flushed_from_redis_are_loaded_again_by_the_same_instance() {
        backend.registerRelay(relay("relay-a"), LONG_TTL);
        raw.client.sendCommand(Protocol.Command.SCRIPT, "FLUSH");

        assertThat(backend.getRelay("relay-a")).isPresent();
        assertThat(backend.heartbeatRelay("relay-a", LONG_TTL)).isPresent();
    }

    @Test
    void a_redis_error_reply_is_a_bug_not_an_outage() {
        raw.client.set(prefix + "relays", "not a sorted set");

        assertThatThrownBy(() -> backend.registerRelay(relay("relay-a"), LONG_TTL))
                .as("WRONGTYPE from a script: a bug (or foreign data under the prefix), which clients see as INTERNAL")
                .isExactlyInstanceOf(IllegalStateException.class).hasMessageContaining("WRONGTYPE");
    }

    @Test
    void a_redis_that_stops_answering_fails_calls_within_the_timeout_and_the_instance_recovers() {
        assumeOwnedServer();
        RegistryBackend quick = create(prefix, Map.of(RedisSettings.TIMEOUT, "300ms"), CONTEXT);
        quick.registerRelay(relay("relay-a"), LONG_TTL);

        CompletableFuture<Object> pause = CompletableFuture.supplyAsync(
                () -> raw.client.sendCommand(Protocol.Command.CLIENT, "PAUSE", "4000", "ALL"));
        pause.join();
        long start = System.nanoTime();
        assertThatThrownBy(quick::probe).isInstanceOf(BackendUnavailableException.class).hasMessageContaining("timed out");
        assertThatThrownBy(() -> quick.getRelay("relay-a")).isInstanceOf(BackendUnavailableException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("two calls while Redis is paused").isLessThan(Duration.ofMillis(3500));

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .untilAsserted(quick::probe);
        assertThat(quick.getRelay("relay-a")).isPresent();
    }

    // ---------------------------------------------------------------- connection options

    @Test
    void url_and_go_flag_options_log_in_as_the_acl_user_on_the_chosen_database() {
        assumeOwnedServer();
        URI url = URI.create(server.backendOptions().get(RedisSettings.URL));
        String user = "registry-" + UUID.randomUUID().toString().substring(0, 8);
        raw.client.sendCommand(Protocol.Command.ACL, "SETUSER", user, "on", ">s3cret", "~*", "&*", "+@all");
        try (RedisClient database5 = RedisClient.create(URI.create(url + "/5"))) {
            RegistryBackend byUrl = create(prefix, Map.of(RedisSettings.URL,
                    "redis://" + user + ":s3cret@" + url.getHost() + ":" + url.getPort() + "/5"), CONTEXT);
            Map<String, String> aliases = new HashMap<>(Map.of(RedisSettings.ADDR, url.getHost(),
                    RedisSettings.PORT, Integer.toString(url.getPort()), RedisSettings.USER, user,
                    RedisSettings.PASSWORD, "s3cret", RedisSettings.DB, "5"));
            RegistryBackend byAliases = createWithout(RedisSettings.URL, aliases);
            Map<String, String> wrongPassword = new HashMap<>(aliases);
            wrongPassword.put(RedisSettings.PASSWORD, "wrong");
            RegistryBackend refused = createWithout(RedisSettings.URL, wrongPassword);

            byUrl.registerRelay(relay("relay-a"), LONG_TTL);

            assertThat(byAliases.getRelay("relay-a")).isPresent();
            assertThat(database5.exists(prefix + "relay:relay-a")).isTrue();
            assertThat(raw.client.exists(prefix + "relay:relay-a")).as("in database 0").isFalse();
            assertThatThrownBy(refused::probe).isInstanceOf(BackendUnavailableException.class);
            database5.del(prefix + "relay:relay-a", prefix + "relays", prefix + "relay-expiries", prefix + "incarnation");
        } finally {
            raw.client.sendCommand(Protocol.Command.ACL, "DELUSER", user);
        }
    }

    /** A backend from {@code options} alone, without the server's url. */
    private RegistryBackend createWithout(String urlKey, Map<String, String> options) {
        Map<String, String> all = new HashMap<>(options);
        all.put(RedisSettings.KEY_PREFIX, prefix);
        all.remove(urlKey);
        RegistryBackend created = new RedisBackendProvider().create(BackendOptions.of("redis", all), CONTEXT);
        backends.add(created);
        return created;
    }
}
