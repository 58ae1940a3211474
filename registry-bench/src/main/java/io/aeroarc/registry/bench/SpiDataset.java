package io.aeroarc.registry.bench;

import io.aeroarc.registry.core.BackendLoader;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRegistration;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Backends opened through the SPI as the server opens them, filled with {@code agents} placements,
 * {@value #AGENTS_PER_RELAY} per relay: agent {@code n} on relay {@code n / 100}. TTLs are an hour,
 * so nothing expires while a benchmark runs.
 */
final class SpiDataset {

    static final int AGENTS_PER_RELAY = 100;
    static final Duration TTL = Duration.ofHours(1);
    private static final Map<String, String> RELAY_LABELS = Map.of("region", "eu-west", "zone", "b");

    private SpiDataset() {}

    static RegistryBackend open(String backend, Map<String, String> options) {
        RegistrySettings settings = new RegistrySettings(TTL, TTL, RegistrySettings.DEFAULT_MAX_PAGE_SIZE);
        return BackendLoader.discover(SpiDataset.class.getClassLoader())
                .open(backend, BackendOptions.of(backend, options), new BackendContext(Clock.systemUTC()), settings);
    }

    static int relaysFor(int agents) {
        return (agents + AGENTS_PER_RELAY - 1) / AGENTS_PER_RELAY;
    }

    /** Registers the relays, then the agents, from {@code threads} threads. */
    static void fill(RegistryBackend backend, int agents, int threads) throws InterruptedException {
        int relays = relaysFor(agents);
        forEach(relays, threads, r -> backend.registerRelay(relay(r), TTL));
        forEach(agents, threads, i -> {
            if (backend.registerAgent(Ids.agent(i), Ids.relay(i / AGENTS_PER_RELAY), TTL).isEmpty()) {
                throw new IllegalStateException("relay " + Ids.relay(i / AGENTS_PER_RELAY) + " is not live");
            }
        });
    }

    static RelayRegistration relay(int r) {
        return new RelayRegistration(Ids.relay(r), "10.3." + (r / 250) + "." + (r % 250 + 1), 7443, RELAY_LABELS);
    }

    /** {@code key=value,key=value}, as a JMH parameter carries backend options. */
    static Map<String, String> parseOptions(String text) {
        Map<String, String> options = new LinkedHashMap<>();
        if (text.isBlank()) {
            return options;
        }
        for (String pair : text.split(",")) {
            int equals = pair.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("backend options are key=value,key=value; got '" + text + "'");
            }
            options.put(pair.substring(0, equals), pair.substring(equals + 1));
        }
        return options;
    }

    static String formatOptions(Map<String, String> options) {
        List<String> pairs = new ArrayList<>();
        options.forEach((key, value) -> {
            if (key.contains(",") || value.contains(",")) {
                throw new IllegalArgumentException("a backend option for a benchmark cannot contain ','");
            }
            pairs.add(key + "=" + value);
        });
        return String.join(",", pairs);
    }

    private interface IndexTask {
        void run(int index);
    }

    private static void forEach(int count, int threads, IndexTask task) throws InterruptedException {
        if (threads == 1) {
            for (int i = 0; i < count; i++) {
                task.run(i);
            }
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                parts.add(pool.submit(() -> {
                    for (int i = first; i < count; i += threads) {
                        task.run(i);
                    }
                }));
            }
            for (Future<?> part : parts) {
                part.get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("filling the backend failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }
}
