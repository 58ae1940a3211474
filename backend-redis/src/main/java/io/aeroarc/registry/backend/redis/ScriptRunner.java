package io.aeroarc.registry.backend.redis;

import java.time.Duration;
import java.util.List;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * Runs the registry's scripts on a pooled Jedis client, one EVALSHA per call, and turns every
 * Redis failure into the SPI's class for it ({@link RedisErrors}).
 *
 * <p>Scripts are not loaded up front: EVALSHA names them by their digest, and the first NOSCRIPT
 * (a fresh or restarted Redis) loads the one script and repeats the call. So creating the backend
 * needs no Redis, and a Redis restart costs one extra round trip per script.
 *
 * <p>The pool recovers by itself: a connection that fails is discarded, not returned, and the
 * next call opens a new one.
 */
final class ScriptRunner implements AutoCloseable {

    private static final List<String> NO_KEYS = List.of();

    private final RedisClient client;
    private final RedisSettings settings;
    private final String description;

    ScriptRunner(RedisSettings settings) {
        DefaultJedisClientConfig clientConfig = clientConfig(settings).build();
        ConnectionPoolConfig poolConfig = new ConnectionPoolConfig();
        poolConfig.setMaxTotal(settings.poolSize());
        poolConfig.setMaxIdle(settings.poolSize());
        poolConfig.setMinIdle(0);
        // A call waits for a free connection no longer than for Redis itself.
        poolConfig.setMaxWait(settings.timeout());
        this.client = RedisClient.builder()
                .hostAndPort(new HostAndPort(settings.host(), settings.port()))
                .clientConfig(clientConfig)
                .poolConfig(poolConfig)
                .build();
        this.settings = settings;
        this.description = settings.describe();
    }

    /** Runs {@code script} with {@code args} as ARGV (the key prefix first) and returns its reply. */
    Object run(RegistryScript script, List<String> args) {
        try {
            try {
                return client.evalsha(script.sha1(), NO_KEYS, args);
            } catch (JedisNoScriptException e) {
                client.scriptLoad(script.source());
                return client.evalsha(script.sha1(), NO_KEYS, args);
            }
        } catch (JedisException e) {
            throw RedisErrors.classify(description, script.fileName(), e);
        }
    }

    /**
     * A connection of its own, outside the pool, for a reader that blocks on Redis (XREAD BLOCK):
     * a blocking command waits at most {@code blockFor} plus the timeout for its reply, every
     * other command the timeout. Connects on first use. The caller closes it.
     */
    Jedis openDedicated(Duration blockFor) {
        int blockingTimeoutMillis = Math.addExact((int) settings.timeout().toMillis(), (int) blockFor.toMillis());
        DefaultJedisClientConfig config = clientConfig(settings).blockingSocketTimeoutMillis(blockingTimeoutMillis).build();
        return new Jedis(new HostAndPort(settings.host(), settings.port()), config);
    }

    private static DefaultJedisClientConfig.Builder clientConfig(RedisSettings settings) {
        int timeoutMillis = (int) settings.timeout().toMillis();
        return DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(timeoutMillis)
                .socketTimeoutMillis(timeoutMillis)
                .user(settings.user())
                .password(settings.password())
                .database(settings.database())
                .ssl(settings.tls());
    }

    /** The Redis address without credentials, for messages. */
    String description() {
        return description;
    }

    /** A real round trip. */
    void ping() {
        try {
            client.ping();
        } catch (JedisException e) {
            throw RedisErrors.classify(description, "PING", e);
        }
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (RuntimeException e) {
            // Closing must not throw; the connections die with the process anyway.
        }
    }
}
