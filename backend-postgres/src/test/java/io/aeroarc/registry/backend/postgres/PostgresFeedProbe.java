package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.testsupport.PostgresTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A measuring tool, not a test: the change feed's costs on the test fixture's throwaway PostgreSQL
 * (loopback, fsync off), bounded in time. Prints
 * <ol>
 *   <li>renewal throughput (coalesced heartbeat batches, closed loop) on the schema with the
 *       feed's expiry_check column, index and the expiry reporter running, against the same
 *       table without them (the schema before the feed), alternating runs; and the HOT share;</li>
 *   <li>the expiry reporter's tick with 100,000 idle placements, against a scan of the table
 *       (what a scanning reporter would cost per tick);</li>
 *   <li>write-to-listener latency of registrations, idle and under the renewal load, and expiry lag;</li>
 *   <li>with phase {@code registrations}: moves through the registration statement as it was
 *       before the feed against the one that logs changes.</li>
 * </ol>
 * Run: {@code java -cp <test classpath> io.aeroarc.registry.backend.postgres.PostgresFeedProbe [seconds-per-run] [phases]}, phases
 * a comma-separated subset of {@code renewals,registrations,tick,latency} (add {@code mass} to run the latency
 * during a mass expiry, {@code small} for it without the 100,000 placements).
 */
public final class PostgresFeedProbe {

    private static final int RELAYS = 1_000;
    private static final int AGENTS_PER_RELAY = 100;
    private static final int AGENTS = RELAYS * AGENTS_PER_RELAY;
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final BackendContext CONTEXT = new BackendContext(Clock.systemUTC());

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        String phases = args.length > 1 ? args[1] : "renewals,tick,latency";
        try (TestServer server = PostgresTestServer.start()) {
            TestSchemas schemas = new TestSchemas(server);
            try {
                if (phases.contains("renewals")) {
                    renewals(schemas, seconds);
                }
                if (phases.contains("registrations")) {
                    registrations(schemas, seconds);
                }
                if (phases.contains("tick")) {
                    reporterTick(schemas);
                }
                if (phases.contains("latency")) {
                    latency(schemas, seconds, !phases.contains("small"), phases.contains("mass"));
                }
            } finally {
                schemas.dropAll();
            }
        }
    }

    // ------------------------------------------------------------------ renewals

    private static void renewals(TestSchemas schemas, int seconds) throws Exception {
        String withFeed = "probe_feed";
        String without = "probe_nofeed";
        try (PostgresBackend feed = fleet(schemas, withFeed, Duration.ZERO);
                PostgresBackend plain = fleet(schemas, without, Duration.ZERO)) {
            try (Connection connection = schemas.connect(); Statement statement = connection.createStatement()) {
                // The schema as it was before the feed: no expiry_check, so no index on it.
                String schema = TestSchemas.schemaOf(without);
                statement.execute("DROP INDEX " + schema + ".placements_by_expiry_check");
                statement.execute("ALTER TABLE " + schema + ".placements DROP COLUMN expiry_check");
                statement.execute("VACUUM ANALYZE " + schema + ".placements");
            }
            // The reporter of the feed schema ticks as its thread would, timed here.
            AtomicBoolean ticking = new AtomicBoolean(true);
            List<long[]> ticks = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread reporter = new Thread(() -> {
                while (ticking.get()) {
                    long start = System.nanoTime();
                    ExpiryReporter.Tick tick = feed.reportExpiries();
                    ticks.add(new long[] {System.nanoTime() - start, tick.placementsChecked()});
                    try {
                        Thread.sleep(ExpiryReporter.INTERVAL.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            reporter.start();
            for (int round = 0; round < 3; round++) {
                for (boolean feedOn : new boolean[] {false, true}) {
                    PostgresBackend backend = feedOn ? feed : plain;
                    String schema = TestSchemas.schemaOf(feedOn ? withFeed : without);
                    long[] before = hotCounts(schemas, schema);
                    double rate = renewalRate(backend, seconds);
                    Thread.sleep(1200); // statistics reach pg_stat_user_tables within a second
                    long[] after = hotCounts(schemas, schema);
                    long updates = after[0] - before[0];
                    long hot = after[1] - before[1];
                    System.out.printf("renewals %-22s round %d: %8.0f /s, placement updates %d, HOT %.1f%%%n",
                            feedOn ? "with feed (reporter on)" : "before feed", round, rate, updates,
                            updates == 0 ? 0.0 : 100.0 * hot / updates);
                }
            }
            ticking.set(false);
            reporter.join();
            long[] tickNanos = ticks.stream().mapToLong(t -> t[0]).toArray();
            long checked = ticks.stream().mapToLong(t -> t[1]).sum();
            System.out.printf("reporter under the renewal load: %d ticks, p50 %.2f ms p99 %.2f ms, %d placements re-armed or reported"
                    + " (%.0f per tick)%n", tickNanos.length, percentile(tickNanos, 50), percentile(tickNanos, 99), checked,
                    (double) checked / Math.max(1, tickNanos.length));
            ticks.stream().sorted((a, b) -> Long.compare(b[0], a[0])).limit(4).forEach(t -> System.out.printf(
                    "  slowest ticks: %.1f ms, %d placements%n", t[0] / 1e6, t[1]));
            long[] steady = ticks.stream().filter(t -> t[1] < ExpiryReporter.BATCH_SIZE).mapToLong(t -> t[0]).toArray();
            System.out.printf("reporter ticks with less than one batch due (no backlog): %d, p50 %.2f ms p99 %.2f ms%n",
                    steady.length, percentile(steady, 50), percentile(steady, 99));
        }
    }

    /** 1,000 relays x 100 agents, expiries spread over the TTL as in a fleet that has run a while. */
    private static PostgresBackend fleet(TestSchemas schemas, String namespace, Duration reportInterval) throws Exception {
        return fleet(schemas, namespace, reportInterval, "now() + random() * interval '30 seconds'");
    }

    private static PostgresBackend fleet(TestSchemas schemas, String namespace, Duration reportInterval, String expiry) throws Exception {
        PostgresBackend backend = PostgresBackendProvider.open(
                PostgresSettings.from(schemas.options(namespace, Map.of(PostgresSettings.POOL_SIZE, "8"))),
                ExpirySweeper.DELETE_GRACE, Duration.ZERO, reportInterval);
        for (int r = 0; r < RELAYS; r++) {
            backend.registerRelay(new RelayRegistration(relay(r), "r" + r + ".test", 7443, Map.of()), Duration.ofMinutes(30));
        }
        String schema = TestSchemas.schemaOf(namespace);
        try (Connection connection = schemas.connect(); Statement statement = connection.createStatement()) {
            statement.execute(("INSERT INTO %1$s.placements (agent_id, relay_id, relay_incarnation, epoch, last_heartbeat, expires_at, expiry_check)"
                    + " SELECT r.relay_id || '-agent-' || a, r.relay_id, r.incarnation, nextval('%1$s.placement_epochs'), now(), e, e"
                    + " FROM %1$s.relays r, generate_series(0, %2$d) a, LATERAL (SELECT %3$s + a * interval '0 s' AS e) x")
                    .formatted(schema, AGENTS_PER_RELAY - 1, expiry));
            statement.execute("VACUUM ANALYZE " + schema + ".placements");
            statement.execute("VACUUM ANALYZE " + schema + ".relays");
        }
        return backend;
    }

    private static PostgresBackend smallFleet(TestSchemas schemas, String namespace) {
        PostgresBackend backend = PostgresBackendProvider.open(schemas.settings(namespace), ExpirySweeper.DELETE_GRACE,
                Duration.ZERO, ExpiryReporter.INTERVAL);
        for (int r = 0; r < RELAYS; r++) {
            backend.registerRelay(new RelayRegistration(relay(r), "r" + r + ".test", 7443, Map.of()), Duration.ofMinutes(30));
        }
        return backend;
    }

    /** Closed loop of coalesced heartbeat batches (100 agents each) on 4 threads. */
    private static double renewalRate(PostgresBackend backend, int seconds) throws InterruptedException {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong renewed = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                while (running.get()) {
                    List<AgentHeartbeatRequest> batch = new ArrayList<>(100);
                    int start = ThreadLocalRandom.current().nextInt(AGENTS - 100);
                    for (int i = 0; i < 100; i++) {
                        batch.add(new AgentHeartbeatRequest(agent(start + i), Fence.NONE));
                    }
                    try {
                        renewed.addAndGet(backend.heartbeatAgentBatch(batch, TTL).size());
                    } catch (BackendUnavailableException e) {
                        // counted as not renewed
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        long start = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        running.set(false);
        for (Thread thread : threads) {
            thread.join();
        }
        return renewed.get() / ((System.nanoTime() - start) / 1e9);
    }

    private static long[] hotCounts(TestSchemas schemas, String schema) throws Exception {
        try (Connection connection = schemas.connect(); Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
                        + " WHERE schemaname = '" + schema + "' AND relname = 'placements'")) {
            row.next();
            return new long[] {row.getLong(1), row.getLong(2)};
        }
    }

    // ------------------------------------------------------------------ registrations

    /** The registration statement as it was before the feed (main at 75de9a9), for the comparison. */
    private static final String REGISTER_AGENT_BEFORE = """
            WITH relay AS (
                SELECT relay_id, incarnation FROM {s}.relays
                WHERE relay_id = ? AND expires_at > now()
                FOR KEY SHARE
            )
            INSERT INTO {s}.placements AS p (agent_id, relay_id, relay_incarnation, epoch, last_heartbeat, expires_at)
            SELECT ?, relay.relay_id, relay.incarnation, nextval('{s}.placement_epochs'), now(), now() + ? * interval '1 millisecond'
            FROM relay
            ON CONFLICT (agent_id) DO UPDATE SET
                epoch = CASE
                    WHEN p.relay_id = excluded.relay_id AND p.relay_incarnation = excluded.relay_incarnation
                         AND p.expires_at > now()
                    THEN p.epoch
                    ELSE nextval('{s}.placement_epochs') END,
                relay_id          = excluded.relay_id,
                relay_incarnation = excluded.relay_incarnation,
                last_heartbeat    = excluded.last_heartbeat,
                expires_at        = excluded.expires_at
            RETURNING p.agent_id, p.relay_id, p.epoch, p.last_heartbeat, p.expires_at""";

    /** Moves (every call a new epoch, so a logged change) in a closed loop, the old statement against the new. */
    private static void registrations(TestSchemas schemas, int seconds) throws Exception {
        String before = "probe_reg_before";
        String after = "probe_reg_after";
        try (PostgresBackend oldShape = PostgresBackendProvider.open(schemas.settings(before), ExpirySweeper.DELETE_GRACE,
                        Duration.ZERO, Duration.ZERO);
                PostgresBackend newShape = PostgresBackendProvider.open(schemas.settings(after), ExpirySweeper.DELETE_GRACE,
                        Duration.ZERO, Duration.ZERO)) {
            for (PostgresBackend backend : List.of(oldShape, newShape)) {
                backend.registerRelay(new RelayRegistration("relay-a", "a", 1, Map.of()), Duration.ofMinutes(30));
                backend.registerRelay(new RelayRegistration("relay-b", "b", 1, Map.of()), Duration.ofMinutes(30));
            }
            try (Connection connection = schemas.connect(); Statement statement = connection.createStatement()) {
                String schema = TestSchemas.schemaOf(before);
                statement.execute("DROP INDEX " + schema + ".placements_by_expiry_check");
                statement.execute("ALTER TABLE " + schema + ".placements DROP COLUMN expiry_check");
            }
            try (Database oldDatabase = database(schemas, before); Database newDatabase = database(schemas, after)) {
                String oldSql = Sql.inSchema(REGISTER_AGENT_BEFORE, TestSchemas.schemaOf(before));
                String newSql = new Sql(TestSchemas.schemaOf(after)).registerAgent;
                for (int round = 0; round < 3; round++) {
                    double oldRate = registrationRate(oldDatabase, oldSql, seconds);
                    double newRate = registrationRate(newDatabase, newSql, seconds);
                    System.out.printf("registrations (moves) round %d: before feed %8.0f /s, with change log %8.0f /s, ratio %.2f%n",
                            round, oldRate, newRate, newRate / oldRate);
                }
            }
        }
    }

    private static Database database(TestSchemas schemas, String namespace) {
        PostgresSettings settings = PostgresSettings.from(schemas.options(namespace, Map.of(PostgresSettings.POOL_SIZE, "8")));
        return new Database(PostgresPool.open(settings), new SchemaMigrations(settings.schema()), settings.timeout());
    }

    private static double registrationRate(Database database, String statementSql, int seconds) throws InterruptedException {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong done = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            Thread worker = new Thread(() -> {
                int i = 0;
                while (running.get()) {
                    String agent = "agent-" + thread + "-" + (i % 5000);
                    String relay = (i / 5000) % 2 == 0 ? "relay-a" : "relay-b";
                    i++;
                    database.run("probe registration", connection -> {
                        try (java.sql.PreparedStatement statement = connection.prepareStatement(statementSql)) {
                            statement.setString(1, relay);
                            statement.setString(2, agent);
                            statement.setLong(3, TTL.toMillis());
                            try (ResultSet row = statement.executeQuery()) {
                                return row.next();
                            }
                        }
                    });
                    done.incrementAndGet();
                }
            });
            worker.start();
            threads.add(worker);
        }
        long start = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        running.set(false);
        for (Thread thread : threads) {
            thread.join();
        }
        return done.get() / ((System.nanoTime() - start) / 1e9);
    }

    // ------------------------------------------------------------------ reporter tick

    private static void reporterTick(TestSchemas schemas) throws Exception {
        String namespace = "probe_idle";
        try (PostgresBackend backend = PostgresBackendProvider.open(schemas.settings(namespace), ExpirySweeper.DELETE_GRACE,
                Duration.ZERO, Duration.ZERO)) {
            for (int r = 0; r < RELAYS; r++) {
                backend.registerRelay(new RelayRegistration(relay(r), "r" + r + ".test", 7443, Map.of()), Duration.ofMinutes(30));
            }
            String schema = TestSchemas.schemaOf(namespace);
            try (Connection connection = schemas.connect(); Statement statement = connection.createStatement()) {
                statement.execute(("INSERT INTO %1$s.placements (agent_id, relay_id, relay_incarnation, epoch, last_heartbeat, expires_at, expiry_check)"
                        + " SELECT r.relay_id || '-agent-' || a, r.relay_id, r.incarnation, nextval('%1$s.placement_epochs'), now(),"
                        + " now() + interval '10 minutes', now() + interval '10 minutes' FROM %1$s.relays r, generate_series(0, %2$d) a")
                        .formatted(schema, AGENTS_PER_RELAY - 1));
                statement.execute("VACUUM ANALYZE " + schema + ".placements");
                statement.execute("VACUUM ANALYZE " + schema + ".relays");
                if (System.getenv("PROBE_EXPLAIN") != null) {
                    explainWithJit(connection, new Sql(schema));
                }
                int ticks = 200;
                long[] tickNanos = new long[ticks];
                long[] scanNanos = new long[ticks];
                for (int i = 0; i < ticks; i++) {
                    long start = System.nanoTime();
                    backend.reportExpiries();
                    tickNanos[i] = System.nanoTime() - start;
                    start = System.nanoTime();
                    try (ResultSet row = statement.executeQuery(("SELECT count(*) FROM %s.placements p WHERE p.expires_at <= now()"
                            + " AND p.expires_at > '-infinity'").formatted(schema))) {
                        row.next();
                    }
                    scanNanos[i] = System.nanoTime() - start;
                }
                System.out.printf("reporter tick, 100k idle placements: p50 %.2f ms p99 %.2f ms (2 statements);"
                        + " a scan of the placements per tick instead: p50 %.2f ms p99 %.2f ms%n",
                        percentile(tickNanos, 50), percentile(tickNanos, 99), percentile(scanNanos, 50), percentile(scanNanos, 99));
            }
        }
    }

    // ------------------------------------------------------------------ latency

    private static void latency(TestSchemas schemas, int seconds, boolean withFleet, boolean massExpiry) throws Exception {
        String namespace = "probe_latency";
        // Placements renewed far ahead: the fleet's renewals without a mass expiry of the agents the load misses.
        String expiry = massExpiry ? "now() + random() * interval '30 seconds'" : "now() + interval '10 minutes'";
        try (PostgresBackend backend = withFleet ? fleet(schemas, namespace, ExpiryReporter.INTERVAL, expiry)
                        : smallFleet(schemas, namespace);
                ChangeFeed feed = backend.changeFeed(CONTEXT)) {
            Map<Long, Long> received = new ConcurrentHashMap<>();
            Map<String, Long> expiryLag = new ConcurrentHashMap<>();
            FeedSubscription subscription = feed.subscribe(Optional.empty(), new FeedListener() {
                @Override
                public void onChanges(List<FleetChange> changes) {
                    long now = System.nanoTime();
                    long wall = System.currentTimeMillis();
                    for (FleetChange change : changes) {
                        if (change instanceof FleetChange.PlacementUpserted upserted) {
                            received.put(upserted.placement().epoch(), now);
                        } else if (change instanceof FleetChange.PlacementRemoved removed && removed.agentId().startsWith("expiring-")) {
                            expiryLag.put(removed.agentId(), wall - removed.atMs());
                        }
                    }
                }

                @Override
                public void onGap(String why) {
                    System.out.println("gap: " + why);
                }

                @Override
                public void onFailure(BackendUnavailableException cause) {
                    System.out.println("failure: " + cause);
                }
            });
            Thread.sleep(500);
            System.out.println("warm-up: " + moves(backend, received, 500));
            System.out.println("write->listener, idle: " + moves(backend, received, 1000));
            AtomicBoolean running = new AtomicBoolean(true);
            Thread load = new Thread(() -> {
                while (running.get()) {
                    List<AgentHeartbeatRequest> batch = new ArrayList<>(100);
                    int start = ThreadLocalRandom.current().nextInt(AGENTS - 100);
                    for (int i = 0; i < 100; i++) {
                        batch.add(new AgentHeartbeatRequest(agent(start + i), Fence.NONE));
                    }
                    backend.heartbeatAgentBatch(batch, TTL);
                }
            });
            load.start();
            try {
                System.out.println("write->listener, renewal load: " + moves(backend, received, 1000));
                int expiring = 300;
                for (int i = 0; i < expiring; i++) {
                    backend.registerAgent("expiring-" + i, relay(i % RELAYS), Duration.ofMillis(500 + i * 10L));
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (expiryLag.size() < expiring && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                long[] lags = expiryLag.values().stream().mapToLong(Long::longValue).toArray();
                System.out.printf("expiry lag beyond the TTL, renewal load: %d of %d reported, p50 %d ms p99 %d ms max %d ms%n",
                        lags.length, expiring, (long) (percentile(lags, 50) * 1e6), (long) (percentile(lags, 99) * 1e6),
                        Arrays.stream(lags).max().orElse(-1));
            } finally {
                running.set(false);
                load.join();
            }
            System.out.println("reader: " + ((ChangeLogReader) subscription).stats());
            if (massExpiry) {
                explainRead(schemas, namespace);
            }
            subscription.close();
        }
    }

    /** Moves {@code count} agents between relays, one at a time a few ms apart; the latency from each answer to the listener. */
    /** Whether the planner would JIT-compile the backend's statements (jit on, as PostgreSQL's default). */
    private static void explainWithJit(Connection connection, Sql sql) throws Exception {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET jit = on");
        }
        Map<String, String> statements = Map.of("reportExpiredPlacements", sql.reportExpiredPlacements,
                "reportExpiredRelays", sql.reportExpiredRelays, "getPlacement", sql.getPlacement,
                "heartbeatAgentBatch", sql.heartbeatAgentBatch);
        for (Map.Entry<String, String> entry : statements.entrySet()) {
            connection.setAutoCommit(false);
            try (java.sql.PreparedStatement explain = connection.prepareStatement("EXPLAIN (ANALYZE) " + entry.getValue())) {
                java.sql.ParameterMetaData meta = explain.getParameterMetaData();
                for (int i = 1; i <= meta.getParameterCount(); i++) {
                    String type = meta.getParameterTypeName(i);
                    if (type.startsWith("_")) {
                        explain.setArray(i, connection.createArrayOf(type.substring(1), new Object[] {type.equals("_text") ? "relay-0001-agent-1" : 1L}));
                    } else if (type.equals("text") || type.equals("varchar")) {
                        explain.setString(i, "relay-0001-agent-1");
                    } else {
                        explain.setLong(i, i == 1 && entry.getKey().startsWith("report") ? 1000 : 30_000);
                    }
                }
                StringBuilder jit = new StringBuilder();
                try (ResultSet rows = explain.executeQuery()) {
                    while (rows.next()) {
                        String line = rows.getString(1);
                        if (line.contains("Timing:") || line.contains("Execution Time") || line.startsWith("JIT")) {
                            jit.append(line.trim()).append(" | ");
                        }
                    }
                }
                System.out.println("jit on, " + entry.getKey() + ": " + (jit.length() == 0 ? "no JIT" : jit));
            } finally {
                connection.rollback();
                connection.setAutoCommit(true);
            }
        }
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET jit = off");
        }
    }

    private static void explainRead(TestSchemas schemas, String namespace) throws Exception {
        Sql sql = new Sql(TestSchemas.schemaOf(namespace));
        try (Connection connection = schemas.connect()) {
            long middle;
            try (Statement statement = connection.createStatement();
                    ResultSet row = statement.executeQuery("SELECT (min(seq) + max(seq)) / 2, count(*) FROM "
                            + TestSchemas.schemaOf(namespace) + ".changes")) {
                row.next();
                middle = row.getLong(1);
                System.out.println("changes rows: " + row.getLong(2));
            }
            try (java.sql.PreparedStatement statement = connection.prepareStatement("EXPLAIN (ANALYZE, BUFFERS) " + sql.readChanges)) {
                for (int i = 0; i < 7; i++) {
                    statement.setLong(1, middle);
                    statement.setInt(2, ChangeLogReader.BATCH);
                    try (ResultSet rows = statement.executeQuery()) {
                        if (i == 0 || i == 6) {
                            System.out.println("plan " + i + ":");
                            while (rows.next()) {
                                System.out.println("  " + rows.getString(1));
                            }
                        }
                    }
                }
            }
        }
    }

    private static int moved;

    private static String moves(PostgresBackend backend, Map<Long, Long> received, int count) throws InterruptedException {
        long[] answered = new long[count];
        long[] epochs = new long[count];
        for (int i = 0; i < count; i++) {
            // Each agent once, onto the next relay: always a move, always a new epoch.
            int agent = (moved++ * 37) % AGENTS;
            String target = relay((agent / AGENTS_PER_RELAY + 1) % RELAYS);
            epochs[i] = backend.registerAgent(agent(agent), target, TTL).orElseThrow().epoch();
            answered[i] = System.nanoTime();
            Thread.sleep(2);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        long[] latencies = new long[count];
        int seen = 0;
        for (int i = 0; i < count; i++) {
            Long at;
            while ((at = received.get(epochs[i])) == null && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            if (at != null) {
                latencies[seen++] = at - answered[i];
            }
        }
        long[] measured = Arrays.copyOf(latencies, seen);
        return String.format("%d of %d delivered, p50 %.1f ms p99 %.1f ms max %.1f ms", seen, count,
                percentile(measured, 50), percentile(measured, 99), Arrays.stream(measured).max().orElse(0) / 1e6);
    }

    private static double percentile(long[] nanos, int percentile) {
        if (nanos.length == 0) {
            return -1;
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        long value = sorted[Math.min(sorted.length - 1, (int) Math.ceil(percentile / 100.0 * sorted.length) - 1)];
        return value / 1e6;
    }

    private static String relay(int index) {
        return String.format("relay-%04d", index);
    }

    private static String agent(int index) {
        return relay(index / AGENTS_PER_RELAY) + "-agent-" + index % AGENTS_PER_RELAY;
    }
}
