package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRegistration;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A measuring tool, not a test: the per-agent fleet's storage load (1,000 relays x 100 agents,
 * closed-loop HeartbeatAgent writers, paced GetAgentPlacement readers, relay heartbeats, the
 * backend's own sweeper) straight through the SPI against a PostgreSQL given by URL, printing
 * heartbeat throughput and lookup latency per 10 s window. Run from the module's test classpath:
 * {@code java -cp ... PostgresFleetProbe jdbc:postgresql://127.0.0.1:5432/postgres postgres 60 8 2}
 * (url, user, seconds, heartbeat threads, lookup threads). Loopback only.
 */
public final class PostgresFleetProbe {

    private static final int RELAYS = 1_000;
    private static final int AGENTS_PER_RELAY = 100;
    private static final int LOOKUPS_PER_SECOND = 1_000;
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final long WINDOW_NANOS = 10_000_000_000L;

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String user = args[1];
        int seconds = Integer.parseInt(args[2]);
        int heartbeatThreads = Integer.parseInt(args[3]);
        int lookupThreads = Integer.parseInt(args[4]);
        String schema = args.length > 5 ? args[5] : "fleet_probe";
        if (!url.startsWith("jdbc:postgresql://127.0.0.1") && !url.startsWith("jdbc:postgresql://localhost")) {
            throw new IllegalArgumentException("loopback only");
        }
        Map<String, String> options = new HashMap<>(Map.of("url", url, "user", user, "schema", schema,
                "pool-size", Integer.toString(heartbeatThreads + lookupThreads + 2)));
        try (Connection connection = DriverManager.getConnection(url, user, null); Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
        BackendContext context = new BackendContext(Clock.systemUTC());
        try (RegistryBackend backend = new PostgresBackendProvider().create(BackendOptions.of("postgres", options), context)) {
            List<String> relays = new ArrayList<>();
            for (int r = 0; r < RELAYS; r++) {
                relays.add(String.format("relay-%04d", r));
                backend.registerRelay(new RelayRegistration(relays.get(r), "r" + r + ".test", 7443, Map.of("zone", "z" + r % 4)),
                        Duration.ofMinutes(10));
            }
            try (Connection connection = DriverManager.getConnection(url, user, null); Statement statement = connection.createStatement()) {
                statement.execute(("INSERT INTO %1$s.placements SELECT r.relay_id || '-agent-' || a, r.relay_id, r.incarnation,"
                        + " nextval('%1$s.placement_epochs'), now(), now() + interval '30 seconds'"
                        + " FROM %1$s.relays r, generate_series(0, %2$d) a").formatted(schema, AGENTS_PER_RELAY - 1));
                statement.execute("VACUUM ANALYZE " + schema + ".placements");
                statement.execute("VACUUM ANALYZE " + schema + ".relays");
                try {
                    statement.execute("SELECT pg_stat_statements_reset()");
                } catch (java.sql.SQLException e) {
                    System.out.println("no pg_stat_statements: " + e.getMessage());
                }
            }
            run(backend, relays, seconds, heartbeatThreads, lookupThreads);
        }
        try (Connection connection = DriverManager.getConnection(url, user, null); Statement statement = connection.createStatement();
                java.sql.ResultSet rows = statement.executeQuery("SELECT calls, mean_exec_time, max_exec_time,"
                        + " shared_blks_hit / greatest(calls, 1), left(regexp_replace(query, '\s+', ' ', 'g'), 60)"
                        + " FROM pg_stat_statements WHERE query ~ '" + schema + "' ORDER BY total_exec_time DESC LIMIT 6")) {
            while (rows.next()) {
                System.out.printf("stmt calls %7d mean %7.3f ms max %8.1f ms blocks %5d  %s%n", rows.getLong(1), rows.getDouble(2),
                        rows.getDouble(3), rows.getLong(4), rows.getString(5));
            }
        } catch (java.sql.SQLException e) {
            System.out.println("no pg_stat_statements: " + e.getMessage());
        }
    }

    private static String agent(int index) {
        return String.format("relay-%04d-agent-%d", index / AGENTS_PER_RELAY, index % AGENTS_PER_RELAY);
    }

    private static void run(RegistryBackend backend, List<String> relays, int seconds, int heartbeatThreads, int lookupThreads)
            throws InterruptedException {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong heartbeats = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        int windows = Math.max(1, seconds / 10);
        List<List<Long>> lookupNanos = new ArrayList<>();
        long[] heartbeatsAtWindow = new long[windows + 1];
        for (int w = 0; w < windows; w++) {
            lookupNanos.add(java.util.Collections.synchronizedList(new ArrayList<>()));
        }
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < heartbeatThreads; t++) {
            int offset = t;
            threads.add(started(() -> {
                int next = offset * (RELAYS * AGENTS_PER_RELAY / heartbeatThreads);
                while (running.get()) {
                    try {
                        backend.heartbeatAgent(agent(next), Fence.NONE, TTL);
                        heartbeats.incrementAndGet();
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                    }
                    next = (next + 1) % (RELAYS * AGENTS_PER_RELAY);
                }
            }));
        }
        threads.add(started(() -> {
            while (running.get()) {
                long round = System.nanoTime();
                for (String relay : relays) {
                    if (!running.get()) {
                        return;
                    }
                    try {
                        backend.heartbeatRelay(relay, Duration.ofMinutes(10));
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                    }
                }
                sleepUntil(round + 10_000_000_000L, running);
            }
        }));
        long lookupInterval = 1_000_000_000L * lookupThreads / LOOKUPS_PER_SECOND;
        for (int t = 0; t < lookupThreads; t++) {
            threads.add(started(() -> {
                long due = System.nanoTime();
                while (running.get()) {
                    sleepUntil(due, running);
                    long began = System.nanoTime();
                    try {
                        backend.getPlacement(agent(ThreadLocalRandom.current().nextInt(RELAYS * AGENTS_PER_RELAY)));
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                    }
                    long ended = System.nanoTime();
                    int window = (int) ((due - start) / WINDOW_NANOS);
                    if (window < windows) {
                        // latency from when the call was due, so a stall counts for every call it delayed
                        lookupNanos.get(window).add(ended - Math.min(due, began));
                    }
                    due += lookupInterval;
                }
            }));
        }
        try {
            report(start, windows, heartbeats, failures, heartbeatsAtWindow, lookupNanos);
        } finally {
            running.set(false);
            for (Thread thread : threads) {
                thread.join();
            }
        }
    }

    private static void report(long start, int windows, AtomicLong heartbeats, AtomicLong failures, long[] heartbeatsAtWindow,
            List<List<Long>> lookupNanos) {
        for (int w = 1; w <= windows; w++) {
            sleepUntil(start + w * WINDOW_NANOS, new AtomicBoolean(true));
            heartbeatsAtWindow[w] = heartbeats.get();
            List<Long> window = lookupNanos.get(w - 1);
            long[] sorted;
            synchronized (window) {
                sorted = window.stream().mapToLong(Long::longValue).toArray();
            }
            Arrays.sort(sorted);
            System.out.printf("window %2d: heartbeats %6.0f/s, lookups %5d, p50 %6.2f ms, p99 %7.2f ms, max %7.2f ms, failures %d%n",
                    w, (heartbeatsAtWindow[w] - heartbeatsAtWindow[w - 1]) / 10.0, sorted.length, pct(sorted, 0.50), pct(sorted, 0.99),
                    pct(sorted, 1.0), failures.get());
        }
    }

    private static Thread started(Runnable body) {
        Thread thread = new Thread(body);
        thread.start();
        return thread;
    }

    private static double pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1 < 0 ? 0 : (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }

    private static void sleepUntil(long deadline, AtomicBoolean running) {
        long left;
        while (running.get() && (left = deadline - System.nanoTime()) > 0) {
            try {
                Thread.sleep(Math.min(left / 1_000_000 + 1, 200));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
