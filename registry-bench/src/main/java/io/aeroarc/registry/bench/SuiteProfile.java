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
        FleetScenario.Settings restartFleet,
        Duration restartAfter,
        FleetScenario.Settings bigFleet,
        List<Integer> jmhSizes,
        JmhRunner.Settings jmh,
        int heapAgents,
        String heapJvmHeap,
        List<String> sizing) {

    /** Connections from the load generator; two keep both event loops of a 2-core registry busy. */
    static final int CONNECTIONS = 2;
    static final int CONCURRENCY = 32;
    /**
     * The bench's lean client for the max scenario, as h2load runs next to it (4 connections of 16
     * streams, as in issue 10's comparison), and on as many threads as h2load.
     */
    static final LeanLoad.Settings LEAN = new LeanLoad.Settings(4, 16, 2);
    static final H2Load.Settings H2LOAD = new H2Load.Settings(4, 16, 2);
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
            // Issue 11: the per-agent fleet with its storage restarted a minute into the steady run, two minutes after.
            new FleetScenario.Settings(1000, 100, Duration.ofSeconds(10), false, 1000, Duration.ofMinutes(3), FLEET_TTL, FLEET_TTL,
                    FLEET_WAVES),
            Duration.ofMinutes(1),
            // Issue 10: a million agents (100,000 heartbeats/s), coming up over 10 intervals.
            new FleetScenario.Settings(1000, 1000, Duration.ofSeconds(10), false, 1000, Duration.ofMinutes(2), FLEET_TTL, FLEET_TTL, 10),
            List.of(10_000, 100_000, 1_000_000),
            new JmhRunner.Settings(1, 6, Duration.ofSeconds(1), 6, Duration.ofSeconds(1), "3g"),
            1_000_000,
            "2g",
            List.of());

    static final SuiteProfile QUICK = new SuiteProfile("quick",
            new MaxScenario.Settings(2, 1000, CONCURRENCY, Duration.ofMillis(300), 1, phases(100, 300), phases(200, 500), 100, 20_000,
                    4),
            new ScaleScenario.Settings(500, 5_000, 1, CONCURRENCY, phases(200, 500)),
            new FleetScenario.Settings(20, 10, Duration.ofSeconds(1), false, 50, Duration.ofSeconds(3), Duration.ofSeconds(3),
                    Duration.ofSeconds(3), 1),
            // 14 s after the restart for 200 agents to come back: on a loaded CI machine a gathered
            // batch queued as the storage went away waits out the 2 s backend timeout first, and
            // 8 s once left two agents unplaced.
            new FleetScenario.Settings(20, 10, Duration.ofSeconds(1), false, 50, Duration.ofSeconds(16), Duration.ofSeconds(3),
                    Duration.ofSeconds(3), 1),
            Duration.ofSeconds(2),
            new FleetScenario.Settings(20, 50, Duration.ofSeconds(1), false, 50, Duration.ofSeconds(2), Duration.ofSeconds(3),
                    Duration.ofSeconds(3), 1),
            List.of(1_000, 5_000),
            new JmhRunner.Settings(0, 1, Duration.ofMillis(100), 1, Duration.ofMillis(200), "512m"),
            50_000,
            "512m",
            List.of());

    private static Phases phases(long warmupMillis, long measureMillis) {
        return new Phases(Duration.ofMillis(warmupMillis), Duration.ofMillis(measureMillis));
    }

    /** The lone-call and against-memory comparisons: small, since they measure latency of one caller and a rate ratio. */
    CompareScenario.Settings compare() {
        return name.equals("quick") ? new CompareScenario.Settings(2, 10, Duration.ofMillis(200), phases(100, 300), 1)
                : new CompareScenario.Settings(10, 100, Duration.ofSeconds(2), phases(500, 3_000), 4);
    }

    /** h2load against the lean client on Check: as many rounds as each RPC's max, as long. */
    ClientProof.Settings clientProof() {
        return new ClientProof.Settings(H2LOAD, max.firstWarmup(), max.rounds(), max.round());
    }

    SuiteProfile withFleet(FleetScenario.Settings fleet) {
        return new SuiteProfile(name, max, scale, fleet, restartFleet, restartAfter, bigFleet, jmhSizes, jmh, heapAgents, heapJvmHeap,
                sizing);
    }

    /**
     * This profile as the backend can run it in reasonable time. etcd and PostgreSQL write each
     * registration through to disk: filling them with a million agents, through the API or the
     * SPI, takes longer than the whole suite, so their largest sizes come down, and the report
     * says so. The fleet keeps its size: the per-agent fleet is the target on every backend.
     */
    SuiteProfile forBackend(String backend) {
        if (!name.equals("full") || !(backend.equals("etcd") || backend.equals("postgres"))) {
            return this;
        }
        MaxScenario.Settings smallerMax = new MaxScenario.Settings(20, max.agentsPerRelay(), max.concurrency(), max.firstWarmup(),
                max.rounds(), max.round(), max.openLoop(), max.listPageSize(), max.maxInFlight(), max.rawThreads());
        ScaleScenario.Settings smallerScale = new ScaleScenario.Settings(scale.smallAgents(), 100_000, scale.rounds(), scale.concurrency(),
                scale.phases());
        List<String> notes = List.of(
                "max: 20 relays × 1,000 agents (20,000) instead of 100 × 1,000: on " + backend + " every registration is a durable "
                        + "write, and registering 100,000 agents through the API before measuring took minutes here (etcd: about "
                        + "1,000 registrations/s); the rates per call do not depend on the count at this size",
                "scale: 10,000 against 100,000 agents instead of 1,000,000: filling a million through the API would take longer "
                        + "than the rest of the suite",
                "JMH: 10,000 and 100,000 agents, not 1,000,000, filled through the SPI, for the same reason");
        return new SuiteProfile(name, smallerMax, smallerScale, fleet, restartFleet, restartAfter, bigFleet, List.of(10_000, 100_000), jmh,
                heapAgents, heapJvmHeap, notes);
    }
}
