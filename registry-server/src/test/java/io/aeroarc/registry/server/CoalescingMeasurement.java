package io.aeroarc.registry.server;

import io.aeroarc.registry.core.BackendLoader;
import io.aeroarc.registry.core.CoalescingBackend;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.testsupport.EtcdTestServer;
import io.aeroarc.registry.testsupport.PostgresTestServer;
import io.aeroarc.registry.testsupport.RedisTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * Not a test: a quick before/after of coalescing through the SPI on every backend, run by hand
 * with {@code -Dtest=CoalescingMeasurement -Dcoalesce.backends=memory,redis,etcd,postgres}. N
 * threads make single HeartbeatAgent (then GetAgentPlacement) calls in a closed loop, straight on
 * the backend and through {@link CoalescingBackend}; then one thread alone, for the lone-call
 * latency. Prints a Markdown table; asserts nothing (speed is for benchmarks, not tests).
 */
class CoalescingMeasurement {

    private static final Duration TTL = Duration.ofSeconds(60);
    private static final int AGENTS = 2000;

    @Test
    void measure() throws Exception {
        int threads = Integer.getInteger("coalesce.threads", 16);
        Duration phase = Duration.ofMillis(Long.getLong("coalesce.phaseMillis", 3000));
        List<String> names = Arrays.asList(System.getProperty("coalesce.backends", "memory,redis,etcd,postgres").split(","));
        // "off", or the --coalesce-max-in-flight to measure (the backend may lower it)
        List<String> modes = Arrays.asList(System.getProperty("coalesce.modes", "off,4").split(","));
        StringBuilder table = new StringBuilder("| backend | operation | in flight | calls/s | calls per round trip | lone p50 µs |\n|---|---|---|---|---|---|\n");
        BackendLoader loader = BackendLoader.discover(getClass().getClassLoader());
        for (String name : names) {
            try (TestServer server = start(name)) {
                Map<String, String> options = new HashMap<>(server == null ? Map.of() : server.backendOptions());
                if (!name.equals("memory")) {
                    options.put("timeout", "10s"); // a first call on a just-started server may be slow
                }
                RegistrySettings settings = new RegistrySettings(TTL, TTL, 1000);
                RegistryBackend raw = loader.open(name, BackendOptions.of(name, options), new BackendContext(Clock.systemUTC()), settings);
                try {
                    raw.registerRelay(new RelayRegistration("relay-m", "10.0.0.1", 7000, Map.of()), TTL);
                    for (int i = 0; i < AGENTS; i++) {
                        raw.registerAgent("agent-" + i, "relay-m", TTL);
                    }
                    for (String operation : List.of("HeartbeatAgent", "GetAgentPlacement")) {
                        for (String mode : modes) {
                            CoalescingBackend coalescing = mode.equals("off")
                                    ? null
                                    : new CoalescingBackend(raw, new CoalescingBackend.Options(1000, Integer.parseInt(mode)));
                            RegistryBackend target = coalescing == null ? raw : coalescing;
                            run(target, operation, threads, Duration.ofMillis(700));
                            long tripsBefore = coalescing == null ? 0 : coalescing.coalescedRoundTrips();
                            long calls = run(target, operation, threads, phase);
                            long trips = coalescing == null ? calls : coalescing.coalescedRoundTrips() - tripsBefore;
                            double lone = loneP50Micros(target, operation, phase);
                            table.append(String.format("| %s | %s | %s | %.0f | %.1f | %.1f |%n", name, operation, mode,
                                    calls / (phase.toMillis() / 1000.0), (double) calls / trips, lone));
                            System.out.println(table);
                        }
                    }
                } finally {
                    raw.close();
                }
            }
        }
        System.out.println("COALESCING MEASUREMENT, " + threads + " threads, " + phase.toMillis() + " ms phases\n" + table);
    }

    private static TestServer start(String name) {
        return switch (name) {
            case "redis" -> RedisTestServer.start();
            case "etcd" -> EtcdTestServer.start();
            case "postgres" -> PostgresTestServer.start();
            default -> null;
        };
    }

    private static long run(RegistryBackend backend, String operation, int threads, Duration phase) throws InterruptedException {
        LongAdder calls = new LongAdder();
        long end = System.nanoTime() + phase.toNanos();
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            Thread thread = new Thread(() -> {
                try {
                    while (System.nanoTime() < end) {
                        call(backend, operation);
                        calls.increment();
                    }
                } finally {
                    done.countDown();
                }
            });
            thread.start();
        }
        done.await();
        return calls.sum();
    }

    private static double loneP50Micros(RegistryBackend backend, String operation, Duration phase) {
        List<Long> nanos = new ArrayList<>();
        long end = System.nanoTime() + phase.toNanos() / 2;
        while (System.nanoTime() < end) {
            long start = System.nanoTime();
            call(backend, operation);
            nanos.add(System.nanoTime() - start);
        }
        nanos.sort(null);
        return nanos.get(nanos.size() / 2) / 1000.0;
    }

    private static void call(RegistryBackend backend, String operation) {
        String agentId = "agent-" + ThreadLocalRandom.current().nextInt(AGENTS);
        if (operation.equals("HeartbeatAgent")) {
            if (!(backend.heartbeatAgent(agentId, Fence.NONE, TTL) instanceof AgentHeartbeat.Renewed)) {
                throw new IllegalStateException("not renewed: " + agentId);
            }
        } else if (backend.getPlacement(agentId).isEmpty()) {
            throw new IllegalStateException("not found: " + agentId);
        }
    }
}
