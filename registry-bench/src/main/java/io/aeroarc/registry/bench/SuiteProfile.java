package io.aeroarc.registry.bench;

import java.time.Duration;
import java.util.List;

/**
 * How big and how long each part of the suite runs. {@link #FULL} is the real run (about 20
 * minutes on memory, 30 on Redis); {@link #QUICK} runs everything briefly, for the smoke tests and
 * for trying things: its numbers mean little.
 */
record SuiteProfile(
        String name,
        MaxScenario.Settings max,
        ScaleScenario.Settings scale,
        FleetScenario.Settings fleet,
        List<Integer> jmhSizes,
        JmhRunner.Settings jmh,
        int heapAgents,
        String heapJvmHeap) {

    /** Connections from the load generator; two keep both event loops of a 2-core registry busy. */
    static final int CONNECTIONS = 2;
    static final int CONCURRENCY = 32;
    static final Duration CALL_DEADLINE = Duration.ofSeconds(10);
    /** Raw storage loops use as many connections as the registry's Redis pool has by default. */
    static final int RAW_THREADS = 16;
    /** The registry's default TTLs: the fleet runs with what production runs with. */
    static final Duration FLEET_TTL = Duration.ofSeconds(30);
    /**
     * The fleet comes up over 6 intervals (1 700 RegisterAgent/s): all 100 000 agents in one 10 s
     * interval is 10 000/s, and a Redis-backed registry sharing 2 cores with Redis and this load
     * generator fell behind by tens of thousands of calls already at 3 300/s (next to the lookups).
     */
    static final int FLEET_WAVES = 6;

    static final SuiteProfile FULL = new SuiteProfile("full",
            new MaxScenario.Settings(100, 1000, CONCURRENCY, Duration.ofSeconds(5), 3, phases(1_000, 4_000), phases(3_000, 20_000), 100,
                    20_000, RAW_THREADS),
            new ScaleScenario.Settings(10_000, 1_000_000, 3, CONCURRENCY, phases(3_000, 8_000)),
            new FleetScenario.Settings(1000, 100, Duration.ofSeconds(10), false, 1000, Duration.ofMinutes(5), FLEET_TTL, FLEET_TTL,
                    FLEET_WAVES),
            List.of(10_000, 100_000, 1_000_000),
            new JmhRunner.Settings(1, 6, Duration.ofSeconds(1), 6, Duration.ofSeconds(1), "3g"),
            1_000_000,
            "2g");

    static final SuiteProfile QUICK = new SuiteProfile("quick",
            new MaxScenario.Settings(2, 1000, CONCURRENCY, Duration.ofMillis(300), 1, phases(100, 300), phases(200, 500), 100, 20_000,
                    4),
            new ScaleScenario.Settings(500, 5_000, 1, CONCURRENCY, phases(200, 500)),
            new FleetScenario.Settings(20, 10, Duration.ofSeconds(1), false, 50, Duration.ofSeconds(3), Duration.ofSeconds(3),
                    Duration.ofSeconds(3), 1),
            List.of(1_000, 5_000),
            new JmhRunner.Settings(0, 1, Duration.ofMillis(100), 1, Duration.ofMillis(200), "512m"),
            50_000,
            "512m");

    private static Phases phases(long warmupMillis, long measureMillis) {
        return new Phases(Duration.ofMillis(warmupMillis), Duration.ofMillis(measureMillis));
    }

    SuiteProfile withFleet(FleetScenario.Settings fleet) {
        return new SuiteProfile(name, max, scale, fleet, jmhSizes, jmh, heapAgents, heapJvmHeap);
    }
}
