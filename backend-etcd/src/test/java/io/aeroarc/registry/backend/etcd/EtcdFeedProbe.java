package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FeedSubscription;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.testsupport.EtcdTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A measuring tool, not a test (not run by the build; {@code -Dtest=EtcdFeedProbe}): on its own
 * loopback etcd, the process CPU of a steady stream of batch renewals with and without a change
 * feed subscribed (alternating, same work), the feed thread's own CPU, write-to-listener latency on
 * an idle store, and expiry lag. Prints numbers; bounded to about two minutes.
 */
class EtcdFeedProbe {

    private static final int RELAYS = 10;
    private static final int AGENTS_PER_RELAY = 200;
    private static final int ROUNDS_PER_PHASE = 10;

    @Test
    void measure() throws Exception {
        try (TestServer server = EtcdTestServer.start()) {
            Map<String, String> options = new HashMap<>(server.backendOptions());
            options.put(EtcdSettings.NAMESPACE, "/probe/feed-" + System.nanoTime() + "/");
            options.put(EtcdSettings.TIMEOUT, "10s");
            BackendContext context = new BackendContext(Clock.systemUTC());
            try (RegistryBackend writer = new EtcdBackendProvider().create(BackendOptions.of("etcd", options), context);
                    RegistryBackend reader = new EtcdBackendProvider().create(BackendOptions.of("etcd", options), context)) {
                List<List<String>> agents = renewals(writer, reader, context);
                latency(writer, reader, context, "idle store", "latency-relay");
                // The same with batch renewals streaming from another thread as fast as they go.
                java.util.concurrent.atomic.AtomicBoolean renewing = new java.util.concurrent.atomic.AtomicBoolean(true);
                AtomicLong renewed = new AtomicLong();
                Thread load = new Thread(() -> {
                    while (renewing.get()) {
                        renewRounds(writer, agents, 1);
                        renewed.addAndGet((long) RELAYS * AGENTS_PER_RELAY);
                    }
                });
                load.start();
                long started = System.nanoTime();
                try {
                    latency(writer, reader, context, "during batch renewals", "loaded-relay");
                } finally {
                    renewing.set(false);
                    load.join();
                }
                System.out.printf("PROBE renewals streaming during that latency run: %.0f/s%n",
                        renewed.get() / ((System.nanoTime() - started) / 1e9));
                expiry(writer, reader, context);
            }
        }
    }

    /**
     * Heap held by one subscription's state for 100 000 placements on 1 000 relays (values as the
     * backend writes them), and the CPU of dropping renewals in the state alone.
     */
    @Test
    void state_memory_and_renewal_cost() {
        KeyLayout keys = new KeyLayout("/aeroarc/registry/");
        int relays = 1000;
        int agentsPerRelay = 100;
        long now = System.currentTimeMillis();
        List<String> incarnations = new ArrayList<>();
        List<io.etcd.jetcd.KeyValue> relayKvs = new ArrayList<>();
        for (int r = 0; r < relays; r++) {
            RelayValue relay = RelayValue.newIncarnation(new RelayRegistration("relay-" + r, "relay-" + r + ".fleet.example", 7443,
                    Map.of("zone", "z" + (r % 3))), now, now + 30_000);
            incarnations.add(relay.incarnation());
            relayKvs.add(kv(keys.relay("relay-" + r), relay.encode(), 10 + r));
        }
        System.gc();
        long before = usedHeap();
        EtcdFeedState state = new EtcdFeedState(keys, 1_000_000, now);
        relayKvs.forEach(state::load);
        long revision = 2000;
        for (int r = 0; r < relays; r++) {
            for (int a = 0; a < agentsPerRelay; a++) {
                PlacementValue placement = new PlacementValue("relay-" + r, incarnations.get(r), revision, now, now + 30_000 + a);
                state.load(kv(keys.agent("agent-" + r + "-" + a), placement.encode(), revision++));
            }
        }
        System.gc();
        long after = usedHeap();
        System.out.printf("PROBE state of %d relays and %d placements: %.1f MB, %.0f bytes per placement%n", relays,
                relays * agentsPerRelay, (after - before) / 1e6, (after - before) / (double) (relays * agentsPerRelay));

        // Renewals as the watch delivers them: 2 events each, one of them an agents/ put with the same epoch.
        int renewals = 200_000;
        List<List<io.etcd.jetcd.watch.WatchEvent>> batches = new ArrayList<>();
        for (int i = 0; i < renewals; i++) {
            int r = i % relays;
            int a = (i / relays) % agentsPerRelay;
            long epoch = 2000 + (long) r * agentsPerRelay + a;
            PlacementValue renewed = new PlacementValue("relay-" + r, incarnations.get(r), epoch, now + 1, now + 60_000 + i);
            String agent = "agent-" + r + "-" + a;
            long rev = 2_000_000 + i;
            batches.add(List.of(
                    put(kv(keys.agent(agent), renewed.encode(), rev)),
                    put(kv(keys.relayAgent("relay-" + r, incarnations.get(r), agent), renewed.encode(), rev))));
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        // As they come off the wire: watch responses of 32 renewals (one batch transaction, 64 events)
        // as bytes, parsed by jetcd's classes, grouped by revision and applied, as the feed does.
        List<byte[]> wire = new ArrayList<>();
        for (int first = 0; first < renewals; first += 32) {
            io.etcd.jetcd.api.WatchResponse.Builder response = io.etcd.jetcd.api.WatchResponse.newBuilder()
                    .setHeader(io.etcd.jetcd.api.ResponseHeader.newBuilder().setRevision(3_000_000 + first));
            for (int i = first; i < first + 32; i++) {
                int r = i % relays;
                int a = (i / relays) % agentsPerRelay;
                long epoch = 2000 + (long) r * agentsPerRelay + a;
                PlacementValue renewed = new PlacementValue("relay-" + r, incarnations.get(r), epoch, now + 2, now + 90_000 + i);
                String agent = "agent-" + r + "-" + a;
                long rev = 3_000_000 + first;
                response.addEvents(event(io.etcd.jetcd.api.Event.EventType.PUT, keys.agent(agent), renewed.encode(), rev));
                response.addEvents(event(io.etcd.jetcd.api.Event.EventType.PUT, keys.relayAgent("relay-" + r, incarnations.get(r), agent),
                        renewed.encode(), rev));
            }
            wire.add(response.build().toByteArray());
        }
        for (int pass = 0; pass < 3; pass++) {
            long cpu = threads.getCurrentThreadCpuTime();
            long applied = 0;
            for (byte[] bytes : wire) {
                io.etcd.jetcd.watch.WatchResponse response;
                try {
                    response = new io.etcd.jetcd.watch.WatchResponse(io.etcd.jetcd.api.WatchResponse.parseFrom(bytes));
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new IllegalStateException(e);
                }
                Map<Long, List<io.etcd.jetcd.watch.WatchEvent>> byRevision = new java.util.LinkedHashMap<>();
                for (io.etcd.jetcd.watch.WatchEvent event : response.getEvents()) {
                    byRevision.computeIfAbsent(event.getKeyValue().getModRevision(), r -> new ArrayList<>()).add(event);
                }
                for (Map.Entry<Long, List<io.etcd.jetcd.watch.WatchEvent>> step : byRevision.entrySet()) {
                    applied += state.applyRevision(step.getKey() + pass * 1_000_000L, step.getValue(), now).size();
                }
            }
            System.out.printf("PROBE wire: %.2f us CPU per renewal parsed from bytes and applied (%d bytes per renewal), pass %d; changes %d%n",
                    (threads.getCurrentThreadCpuTime() - cpu) / 1e3 / renewals, wire.get(0).length / 32, pass, applied);
        }
        long changes = 0;
        for (int pass = 0; pass < 2; pass++) {
            long cpu = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < renewals; i++) {
                changes += state.applyRevision(state.revision() + 1, batches.get(i), now).size();
            }
            System.out.printf("PROBE state: %.2f us CPU per renewal (4 events) applied, pass %d; changes %d%n",
                    (threads.getCurrentThreadCpuTime() - cpu) / 1e3 / renewals, pass, changes);
        }
    }

    private static io.etcd.jetcd.KeyValue kv(io.etcd.jetcd.ByteSequence key, io.etcd.jetcd.ByteSequence value, long modRevision) {
        return new io.etcd.jetcd.KeyValue(io.etcd.jetcd.api.KeyValue.newBuilder()
                .setKey(com.google.protobuf.ByteString.copyFrom(key.getBytes()))
                .setValue(com.google.protobuf.ByteString.copyFrom(value.getBytes()))
                .setModRevision(modRevision).build(), io.etcd.jetcd.ByteSequence.EMPTY);
    }

    private static io.etcd.jetcd.api.Event event(io.etcd.jetcd.api.Event.EventType type, io.etcd.jetcd.ByteSequence key,
            io.etcd.jetcd.ByteSequence value, long modRevision) {
        return io.etcd.jetcd.api.Event.newBuilder().setType(type).setKv(io.etcd.jetcd.api.KeyValue.newBuilder()
                .setKey(com.google.protobuf.ByteString.copyFrom(key.getBytes()))
                .setValue(com.google.protobuf.ByteString.copyFrom(value.getBytes())).setModRevision(modRevision)).build();
    }

    private static io.etcd.jetcd.watch.WatchEvent put(io.etcd.jetcd.KeyValue kv) {
        return new io.etcd.jetcd.watch.WatchEvent(kv, null, io.etcd.jetcd.watch.WatchEvent.EventType.PUT);
    }

    private static io.etcd.jetcd.watch.WatchEvent delete(io.etcd.jetcd.KeyValue kv) {
        return new io.etcd.jetcd.watch.WatchEvent(kv, null, io.etcd.jetcd.watch.WatchEvent.EventType.DELETE);
    }

    private static long usedHeap() {
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    private List<List<String>> renewals(RegistryBackend writer, RegistryBackend reader, BackendContext context) {
        List<List<String>> agents = new ArrayList<>();
        for (int r = 0; r < RELAYS; r++) {
            writer.registerRelay(new RelayRegistration("relay-" + r, "10.0.0.1", 7443, Map.of()), Duration.ofMinutes(10));
            int relay = r;
            List<String> ofRelay = IntStream.range(0, AGENTS_PER_RELAY).mapToObj(i -> "agent-" + relay + "-" + i).toList();
            ofRelay.forEach(agent -> writer.registerAgent(agent, "relay-" + relay, Duration.ofMinutes(5)).orElseThrow());
            agents.add(ofRelay);
        }
        renewRounds(writer, agents, 3); // warm-up
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long[] cpuWithout = new long[2];
        long[] cpuWith = new long[2];
        long[] wallWithout = new long[2];
        long[] wallWith = new long[2];
        long feedThreadCpu = 0;
        AtomicLong changes = new AtomicLong();
        for (int pass = 0; pass < 2; pass++) {
            long cpu = os.getProcessCpuTime();
            long wall = System.nanoTime();
            renewRounds(writer, agents, ROUNDS_PER_PHASE);
            cpuWithout[pass] = os.getProcessCpuTime() - cpu;
            wallWithout[pass] = System.nanoTime() - wall;

            try (ChangeFeed feed = reader.changeFeed(context);
                    FeedSubscription ignored = feed.subscribe(Optional.empty(), counting(changes))) {
                renewRounds(writer, agents, 1); // the subscription has read the fleet and watches
                long feedBefore = feedThreadCpu();
                cpu = os.getProcessCpuTime();
                wall = System.nanoTime();
                renewRounds(writer, agents, ROUNDS_PER_PHASE);
                cpuWith[pass] = os.getProcessCpuTime() - cpu;
                wallWith[pass] = System.nanoTime() - wall;
                feedThreadCpu += feedThreadCpu() - feedBefore;
            }
        }
        long renewalsPerPhase = (long) ROUNDS_PER_PHASE * RELAYS * AGENTS_PER_RELAY;
        for (int pass = 0; pass < 2; pass++) {
            System.out.printf("PROBE renewals pass %d: %d renewals; without feed %.1f us CPU/renewal (%.0f renewals/s), "
                    + "with feed %.1f us CPU/renewal (%.0f renewals/s); ratio %.2f%n", pass, renewalsPerPhase,
                    cpuWithout[pass] / 1e3 / renewalsPerPhase, renewalsPerPhase / (wallWithout[pass] / 1e9),
                    cpuWith[pass] / 1e3 / renewalsPerPhase, renewalsPerPhase / (wallWith[pass] / 1e9),
                    (double) cpuWith[pass] / cpuWithout[pass]);
        }
        System.out.printf("PROBE feed thread CPU: %.2f us per renewal; changes delivered during renewals: %d%n",
                feedThreadCpu / 1e3 / (2 * renewalsPerPhase), changes.get());
        return agents;
    }

    private static void renewRounds(RegistryBackend writer, List<List<String>> agents, int rounds) {
        for (int round = 0; round < rounds; round++) {
            for (int r = 0; r < RELAYS; r++) {
                writer.heartbeatAgents("relay-" + r, agents.get(r), Duration.ofMinutes(5)).orElseThrow();
            }
        }
    }

    private void latency(RegistryBackend writer, RegistryBackend reader, BackendContext context, String what, String relayId)
            throws Exception {
        Map<String, Long> receivedNanos = new ConcurrentHashMap<>();
        Map<String, java.util.concurrent.CountDownLatch> arrivals = new ConcurrentHashMap<>();
        FeedListener listener = new FeedListener() {
            @Override
            public void onChanges(List<FleetChange> batch) {
                long now = System.nanoTime();
                for (FleetChange change : batch) {
                    if (change instanceof FleetChange.RelayUpserted upserted && upserted.relay().relayId().equals(relayId)) {
                        String n = upserted.relay().labels().getOrDefault("n", "");
                        receivedNanos.put(n, now);
                        arrivals.computeIfAbsent(n, key -> new java.util.concurrent.CountDownLatch(1)).countDown();
                    }
                }
            }

            @Override
            public void onGap(String why) {
                System.out.println("PROBE latency gap: " + why);
            }

            @Override
            public void onFailure(BackendUnavailableException cause) {
                System.out.println("PROBE latency failure: " + cause.getMessage());
            }
        };
        List<Long> fromAnswer = new ArrayList<>();
        List<Long> fromStart = new ArrayList<>();
        try (ChangeFeed feed = reader.changeFeed(context); FeedSubscription ignored = feed.subscribe(Optional.empty(), listener)) {
            for (int i = 0; i < 200; i++) {
                String n = Integer.toString(i);
                long start = System.nanoTime();
                writer.registerRelay(new RelayRegistration(relayId, "10.0.0.1", 7443, Map.of("n", n)), Duration.ofMinutes(5));
                long answered = System.nanoTime();
                if (!arrivals.computeIfAbsent(n, key -> new java.util.concurrent.CountDownLatch(1)).await(5, java.util.concurrent.TimeUnit.SECONDS)) {
                    System.out.println("PROBE latency: write " + n + " not reported within 5 s; stopping");
                    break;
                }
                Long received = receivedNanos.get(n);
                if (received != null) {
                    fromAnswer.add(Math.max(0, received - answered));
                    fromStart.add(received - start);
                }
                Thread.sleep(5);
            }
        }
        System.out.printf("PROBE latency write answer -> listener (%s, %d writes): p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
                + "from write start: p50 %.2f ms, p99 %.2f ms%n", what, fromAnswer.size(), pct(fromAnswer, 50), pct(fromAnswer, 99),
                pct(fromAnswer, 100), pct(fromStart, 50), pct(fromStart, 99));
    }

    private void expiry(RegistryBackend writer, RegistryBackend reader, BackendContext context) throws Exception {
        List<Long> lagMs = new CopyOnWriteArrayList<>();
        FeedListener listener = new FeedListener() {
            @Override
            public void onChanges(List<FleetChange> batch) {
                long now = System.currentTimeMillis();
                for (FleetChange change : batch) {
                    if (change instanceof FleetChange.PlacementRemoved removed) {
                        lagMs.add(now - removed.atMs());
                    }
                }
            }

            @Override
            public void onGap(String why) {
                System.out.println("PROBE expiry gap: " + why);
            }

            @Override
            public void onFailure(BackendUnavailableException cause) {
                System.out.println("PROBE expiry failure: " + cause.getMessage());
            }
        };
        writer.registerRelay(new RelayRegistration("expiry-relay", "10.0.0.1", 7443, Map.of()), Duration.ofMinutes(5));
        int count = 200;
        try (ChangeFeed feed = reader.changeFeed(context); FeedSubscription ignored = feed.subscribe(Optional.empty(), listener)) {
            for (int i = 0; i < count; i++) {
                writer.registerAgent("expiring-" + i, "expiry-relay", Duration.ofMillis(1000 + (i % 10) * 100)).orElseThrow();
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (lagMs.size() < count && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }
        System.out.printf("PROBE expiry lag (expiry -> listener, %d of %d placements): p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                lagMs.size(), count, pctMs(lagMs, 50), pctMs(lagMs, 99), pctMs(lagMs, 100));
    }

    private static FeedListener counting(AtomicLong changes) {
        return new FeedListener() {
            @Override
            public void onChanges(List<FleetChange> batch) {
                changes.addAndGet(batch.size());
            }

            @Override
            public void onGap(String why) {
                System.out.println("PROBE gap: " + why);
            }

            @Override
            public void onFailure(BackendUnavailableException cause) {
                System.out.println("PROBE failure: " + cause.getMessage());
            }
        };
    }

    private static long feedThreadCpu() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().equals("etcd-change-feed")) {
                total += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return total;
    }

    private static double pct(List<Long> nanos, int percentile) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int index = Math.min(sorted.size() - 1, (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1);
        return sorted.get(Math.max(0, index)) / 1e6;
    }

    private static double pctMs(List<Long> millis, int percentile) {
        return pct(millis.stream().map(ms -> ms * 1_000_000).toList(), percentile);
    }
}
