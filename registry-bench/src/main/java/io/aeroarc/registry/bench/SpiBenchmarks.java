package io.aeroarc.registry.bench;

import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Backend operations through the SPI, one thread, at a given number of placements.
 *
 * <p>Access pattern: every operation picks its agent (or relay) uniformly at random among all of
 * them, because a fleet renews every agent once per heartbeat interval, so the whole set is
 * touched, not a hot subset. Ids are built anew for each operation, as the server gets them fresh
 * from each request: the harness adds no cache misses of its own (a pre-built array of a million
 * ids would add two per operation, charged to the backend). Each operation checks its outcome, so
 * a benchmark cannot quietly measure a miss.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SpiBenchmarks {

    /** Backend name, as {@code --backend} takes it. */
    @Param("memory")
    public String backend;

    /** Placements held. */
    @Param("10000")
    public int agents;

    /** {@code key=value,...} options pointing the backend at its storage server. */
    @Param("")
    public String options;

    /** Whether the trial fills the backend itself; false when the suite filled a shared storage before. */
    @Param("true")
    public boolean fill;

    private RegistryBackend registry;
    private int relays;

    @Setup
    public void open() throws InterruptedException {
        registry = SpiDataset.open(backend, SpiDataset.parseOptions(options));
        relays = SpiDataset.relaysFor(agents);
        if (fill) {
            SpiDataset.fill(registry, agents, 1);
        }
        if (registry.getPlacement(Ids.agent(agents - 1)).isEmpty()) {
            throw new IllegalStateException("the backend does not hold " + agents + " placements");
        }
    }

    @TearDown
    public void close() {
        registry.close();
    }

    /** A relay's heartbeat for one agent, fenced by the relay it is on. */
    @Benchmark
    public AgentHeartbeat heartbeatAgent() {
        int agent = randomAgent();
        AgentHeartbeat outcome = registry.heartbeatAgent(Ids.agent(agent),
                new Fence(Optional.of(Ids.relay(agent / SpiDataset.AGENTS_PER_RELAY)), 0), SpiDataset.TTL);
        if (!(outcome instanceof AgentHeartbeat.Renewed)) {
            throw new IllegalStateException("heartbeat of agent " + agent + ": " + outcome);
        }
        return outcome;
    }

    /** One relay renewing all its 100 agents in one call. */
    @Benchmark
    public BatchRenewal heartbeatAgents100() {
        int relay = ThreadLocalRandom.current().nextInt(relays);
        List<String> ids = new ArrayList<>(SpiDataset.AGENTS_PER_RELAY);
        for (int k = 0; k < SpiDataset.AGENTS_PER_RELAY; k++) {
            ids.add(Ids.agent((long) relay * SpiDataset.AGENTS_PER_RELAY + k));
        }
        BatchRenewal renewal = registry.heartbeatAgents(Ids.relay(relay), ids, SpiDataset.TTL).orElseThrow();
        if (!renewal.lostAgentIds().isEmpty()) {
            throw new IllegalStateException(renewal.lostAgentIds().size() + " agents lost on relay " + relay);
        }
        return renewal;
    }

    /** An API server's lookup: the placement and its relay (with the relay's agent count). */
    @Benchmark
    public RelayPlacement getPlacement() {
        int agent = randomAgent();
        return registry.getPlacement(Ids.agent(agent)).orElseThrow(() -> new IllegalStateException("agent " + agent + " missing"));
    }

    /** A relay registering again an agent it already holds: the reconnect path, same epoch. */
    @Benchmark
    public PlacementRecord registerAgentAgain() {
        int agent = randomAgent();
        return registry.registerAgent(Ids.agent(agent), Ids.relay(agent / SpiDataset.AGENTS_PER_RELAY), SpiDataset.TTL).orElseThrow();
    }

    /**
     * Moves an agent to the next relay and back: two moves, each a new epoch and index updates.
     * Moving back keeps the data set as it was for the next operation and the next benchmark.
     */
    @Benchmark
    @org.openjdk.jmh.annotations.OperationsPerInvocation(2)
    public PlacementRecord registerAgentMove() {
        int agent = randomAgent();
        String home = Ids.relay(agent / SpiDataset.AGENTS_PER_RELAY);
        String away = Ids.relay((agent / SpiDataset.AGENTS_PER_RELAY + 1) % relays);
        String id = Ids.agent(agent);
        registry.registerAgent(id, away, SpiDataset.TTL).orElseThrow();
        return registry.registerAgent(id, home, SpiDataset.TTL).orElseThrow();
    }

    /** A dashboard listing a relay's agents: one page of 100. */
    @Benchmark
    public Page<PlacementRecord> listAgentsByRelay() {
        int relay = ThreadLocalRandom.current().nextInt(relays);
        Page<PlacementRecord> page = registry.listAgents(Optional.of(Ids.relay(relay)), PageRequest.first(SpiDataset.AGENTS_PER_RELAY));
        if (page.items().size() != SpiDataset.AGENTS_PER_RELAY) {
            throw new IllegalStateException("relay " + relay + " listed " + page.items().size() + " agents");
        }
        return page;
    }

    private int randomAgent() {
        return ThreadLocalRandom.current().nextInt(agents);
    }
}
