package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRegistration;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A measuring tool, not a test: a registration burst (every agent of 100 relays x 100 at once
 * from many threads) and then closed-loop HeartbeatAgent, straight through the SPI against an
 * etcd given by endpoint, printing rates and failures; run it under JFR to see the client's cost.
 * {@code java -cp ... EtcdLoadProbe http://127.0.0.1:2379 threads seconds}. Loopback only.
 */
public final class EtcdLoadProbe {

    private static final int RELAYS = 100;
    private static final int AGENTS_PER_RELAY = 100;
    private static final Duration TTL = Duration.ofSeconds(30);

    public static void main(String[] args) throws Exception {
        String endpoint = args[0];
        int threads = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        if (!endpoint.startsWith("http://127.0.0.1:")) {
            throw new IllegalArgumentException("loopback only");
        }
        String namespace = "/probe/" + System.nanoTime() + "/";
        BackendContext context = new BackendContext(Clock.systemUTC());
        try (RegistryBackend backend = new EtcdBackendProvider().create(BackendOptions.of("etcd",
                Map.of("endpoints", endpoint, "namespace", namespace, "timeout", "5s")), context)) {
            for (int r = 0; r < RELAYS; r++) {
                backend.registerRelay(new RelayRegistration(relay(r), relay(r) + ".test", 7443, Map.of()), Duration.ofMinutes(10));
            }
            AtomicInteger next = new AtomicInteger();
            AtomicLong failures = new AtomicLong();
            long started = System.nanoTime();
            runAll(threads, () -> {
                int i;
                while ((i = next.getAndIncrement()) < RELAYS * AGENTS_PER_RELAY) {
                    try {
                        if (backend.registerAgent(agent(i), relay(i / AGENTS_PER_RELAY), TTL).isEmpty()) {
                            failures.incrementAndGet();
                        }
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                    }
                }
            });
            double burstSeconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("registration burst: %d agents in %.2f s = %.0f/s, failures %d%n", RELAYS * AGENTS_PER_RELAY,
                    burstSeconds, RELAYS * AGENTS_PER_RELAY / burstSeconds, failures.get());

            AtomicLong renewed = new AtomicLong();
            AtomicLong heartbeatFailures = new AtomicLong();
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            AtomicInteger cursor = new AtomicInteger();
            started = System.nanoTime();
            runAll(threads, () -> {
                while (System.nanoTime() < end) {
                    int i = Math.floorMod(cursor.getAndIncrement(), RELAYS * AGENTS_PER_RELAY);
                    try {
                        if (backend.heartbeatAgent(agent(i), Fence.NONE, TTL) instanceof AgentHeartbeat.Renewed) {
                            renewed.incrementAndGet();
                        } else {
                            heartbeatFailures.incrementAndGet();
                        }
                    } catch (RuntimeException e) {
                        heartbeatFailures.incrementAndGet();
                    }
                }
            });
            double heartbeatSeconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("heartbeats: %.0f/s, failures %d%n", renewed.get() / heartbeatSeconds, heartbeatFailures.get());
        }
    }

    private static String relay(int index) {
        return String.format("relay-%03d", index);
    }

    private static String agent(int index) {
        return String.format("relay-%03d-agent-%03d", index / AGENTS_PER_RELAY, index % AGENTS_PER_RELAY);
    }

    private static void runAll(int threads, Runnable body) throws InterruptedException {
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread thread = new Thread(body);
            thread.start();
            started.add(thread);
        }
        for (Thread thread : started) {
            thread.join();
        }
    }
}
