package io.aeroarc.registry.bench;

import io.aeroarc.registry.testsupport.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.AbstractTransaction;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.ZAddParams;

/**
 * Jedis straight to the Redis the registry uses, doing the Redis work of a heartbeat without the
 * registry: the commands backend-redis' {@code heartbeat_agent.lua} and
 * {@code heartbeat_agents.lua} run, sent as one {@code MULTI}/{@code EXEC} (atomic, one round
 * trip, no script) on keys of the same layout under their own prefix. The registry's rate over
 * this one is its efficiency over its storage. A third loop runs backend-redis' own heartbeat
 * script with {@code EVALSHA} on the same keys, which splits the registry's overhead into what
 * the script costs Redis and what gRPC and the registry cost.
 */
final class RawRedisBaseline implements RawLoops {

    static final String HEARTBEAT = "raw Redis heartbeat";
    private static final String PREFIX = "bench-raw:";
    /** Every renewal rewrites the agent's score here too, as the scripts keep the expiry reporter's index exact. */
    private static final String AGENT_EXPIRIES = PREFIX + "agent-expiries";
    /** backend-redis' scripts, read from its jar: the prelude (key layout, helpers) and the operation. */
    private static final String SCRIPTS = "/io/aeroarc/registry/backend/redis/";
    private static final long TTL_MS = 3_600_000;
    private static final String[] AGENT_FIELDS = {"relay", "incarnation", "epoch", "heartbeat", "expires"};

    private final RedisClient redis;
    private final int agents;
    private final int agentsPerRelay;
    private final String heartbeatScriptSha;

    private RawRedisBaseline(RedisClient redis, int agents, int agentsPerRelay) {
        this.redis = redis;
        this.agents = agents;
        this.agentsPerRelay = agentsPerRelay;
        this.heartbeatScriptSha = redis.scriptLoad(script("prelude.lua") + "\n" + script("heartbeat_agent.lua"));
    }

    /** A pool of {@code threads} connections to the Redis of {@code storage}, with the agents set up. */
    static RawLoops open(TestServer storage, int agents, int agentsPerRelay, int threads) {
        URI url = URI.create(storage.backendOptions().get("url"));
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(threads);
        pool.setMaxIdle(threads);
        RedisClient redis = RedisClient.builder()
                .hostAndPort(new HostAndPort(url.getHost(), url.getPort()))
                .clientConfig(DefaultJedisClientConfig.builder().timeoutMillis(10_000).build())
                .poolConfig(pool)
                .build();
        RawRedisBaseline baseline = new RawRedisBaseline(redis, agents, agentsPerRelay);
        try {
            baseline.populate();
        } catch (RuntimeException e) {
            redis.close();
            throw e;
        }
        return baseline;
    }

    @Override
    public List<RawLoop> loops() {
        String version = version();
        return List.of(
                new RawLoop(HEARTBEAT, MaxScenario.HEARTBEAT_AGENT, version + ": MULTI TIME, HMGET agent, HMGET relay, "
                        + "HSET agent, PEXPIREAT agent, ZADD XX relay expiries, ZADD XX agent expiries EXEC", 1, this::heartbeatOne),
                new RawLoop("Redis heartbeat script", MaxScenario.HEARTBEAT_AGENT, version + ": EVALSHA of backend-redis' "
                        + "heartbeat_agent.lua, the same commands in a script", 1, this::heartbeatScript),
                new RawLoop("raw Redis batch heartbeat", MaxScenario.HEARTBEAT_AGENTS, version + ": MULTI TIME, HMGET relay, ZMSCORE of "
                        + agentsPerRelay + " ids, per id HSET + PEXPIREAT, a ZADD XX of " + agentsPerRelay + " to each expiry index EXEC", agentsPerRelay,
                        this::heartbeatBatch));
    }

    @Override
    public void close() {
        redis.close();
    }

    /** Relay hashes, agent hashes and per-relay expiry indexes, as backend-redis lays them out. */
    private void populate() {
        long expires = System.currentTimeMillis() + TTL_MS;
        int relays = (agents + agentsPerRelay - 1) / agentsPerRelay;
        try (AbstractPipeline pipeline = redis.pipelined()) {
            for (int r = 0; r < relays; r++) {
                pipeline.hset(relayKey(Ids.relay(r)), Map.of("incarnation", Integer.toString(r + 1), "expires", Long.toString(expires),
                        "address", "10.0.0.1", "port", "7443"));
            }
            for (int i = 0; i < agents; i++) {
                String relay = Ids.relay(i / agentsPerRelay);
                Map<String, String> fields = new HashMap<>();
                fields.put("relay", relay);
                fields.put("incarnation", Integer.toString(i / agentsPerRelay + 1));
                fields.put("epoch", Integer.toString(i + 1));
                fields.put("heartbeat", Long.toString(expires - TTL_MS));
                fields.put("expires", Long.toString(expires));
                pipeline.hset(agentKey(Ids.agent(i)), fields);
                pipeline.zadd(relayExpiriesKey(relay), expires, Ids.agent(i));
                pipeline.zadd(AGENT_EXPIRIES, expires, Ids.agent(i));
                if (i % 10_000 == 9_999) {
                    pipeline.sync();
                }
            }
            pipeline.sync();
        }
    }

    private void heartbeatOne() {
        int i = ThreadLocalRandom.current().nextInt(agents);
        String agent = Ids.agent(i);
        String relay = Ids.relay(i / agentsPerRelay);
        long now = System.currentTimeMillis();
        String expires = Long.toString(now + TTL_MS);
        try (AbstractTransaction tx = redis.multi()) {
            tx.sendCommand(Protocol.Command.TIME, new String[0]);
            tx.hmget(agentKey(agent), AGENT_FIELDS);
            tx.hmget(relayKey(relay), "incarnation", "expires");
            tx.hset(agentKey(agent), Map.of("heartbeat", Long.toString(now), "expires", expires));
            tx.pexpireAt(agentKey(agent), now + TTL_MS);
            tx.zadd(relayExpiriesKey(relay), now + TTL_MS, agent, ZAddParams.zAddParams().xx());
            tx.zadd(AGENT_EXPIRIES, now + TTL_MS, agent, ZAddParams.zAddParams().xx());
            requireComplete(tx.exec(), 7);
        }
    }

    private void heartbeatScript() {
        int i = ThreadLocalRandom.current().nextInt(agents);
        Object reply = redis.evalsha(heartbeatScriptSha, List.of(), List.of(PREFIX, Ids.agent(i), Ids.relay(i / agentsPerRelay), "0",
                Long.toString(TTL_MS)));
        if (!(reply instanceof List<?> outcome) || !Long.valueOf(2).equals(outcome.get(0))) {
            throw new IllegalStateException("the heartbeat script did not renew agent " + i + ": " + reply);
        }
    }

    private void heartbeatBatch() {
        int batch = agentsPerRelay;
        int relayCount = agents / agentsPerRelay;
        int r = ThreadLocalRandom.current().nextInt(relayCount);
        String relay = Ids.relay(r);
        String[] ids = new String[batch];
        for (int k = 0; k < batch; k++) {
            ids[k] = Ids.agent((long) r * agentsPerRelay + k);
        }
        long now = System.currentTimeMillis();
        Map<String, String> renewal = Map.of("heartbeat", Long.toString(now), "expires", Long.toString(now + TTL_MS));
        Map<String, Double> scores = new LinkedHashMap<>();
        try (AbstractTransaction tx = redis.multi()) {
            tx.sendCommand(Protocol.Command.TIME, new String[0]);
            tx.hmget(relayKey(relay), "incarnation", "expires");
            tx.zmscore(relayExpiriesKey(relay), ids);
            for (String id : ids) {
                tx.hset(agentKey(id), renewal);
                tx.pexpireAt(agentKey(id), now + TTL_MS);
                scores.put(id, (double) (now + TTL_MS));
            }
            tx.zadd(relayExpiriesKey(relay), scores, ZAddParams.zAddParams().xx());
            tx.zadd(AGENT_EXPIRIES, scores, ZAddParams.zAddParams().xx());
            requireComplete(tx.exec(), 5 + 2 * batch);
        }
    }

    private static void requireComplete(List<Object> replies, int expected) {
        if (replies == null || replies.size() != expected) {
            throw new IllegalStateException("transaction answered " + (replies == null ? "nothing" : replies.size() + " replies")
                    + ", expected " + expected);
        }
    }

    private static String agentKey(String agent) {
        return PREFIX + "agent:" + agent;
    }

    private static String relayKey(String relay) {
        return PREFIX + "relay:" + relay;
    }

    private static String relayExpiriesKey(String relay) {
        return PREFIX + "relay-agent-expiries:" + relay;
    }

    private static String script(String fileName) {
        try (InputStream in = RawRedisBaseline.class.getResourceAsStream(SCRIPTS + fileName)) {
            if (in == null) {
                throw new IllegalStateException("backend-redis' script " + fileName + " is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read backend-redis' script " + fileName, e);
        }
    }

    /** Redis' version, such as {@code Redis 7.0.15}. */
    private String version() {
        return redis.info("server").lines().filter(line -> line.startsWith("redis_version:"))
                .map(line -> "Redis " + line.substring("redis_version:".length()).trim()).findFirst().orElse("Redis");
    }
}
