package io.aeroarc.registry.bench;

import com.google.common.util.concurrent.ListenableFuture;
import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.GetAgentPlacementRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How per-call cost grows with the number of placements, end to end over gRPC: two registries, one
 * holding {@code smallAgents} and one {@code largeAgents} placements (100 per relay in both), are
 * loaded alternately with the same closed loop, {@code rounds} times each, so a change in the
 * machine's background load hits both sides alike. Each call picks an agent uniformly at random
 * among all placements: a heartbeat pattern where every agent is renewed once per interval touches
 * the whole set, which is the pattern caches like least.
 *
 * <p>Cost per call is reported twice: registry processor time per call (what the server spends,
 * the least disturbed by the client sharing the cores) and the inverse of the throughput.
 */
final class ScaleScenario {

    static final int AGENTS_PER_RELAY = 100;
    static final List<String> RPCS = List.of(MaxScenario.HEARTBEAT_AGENT, MaxScenario.GET_AGENT_PLACEMENT);

    record Settings(int smallAgents, int largeAgents, int rounds, int concurrency, Phases phases) {}

    /** One registry under test: its client, its processor meter, how many placements it holds. */
    record Side(RegistryClient client, CpuMeter cpu) {}

    /**
     * Medians over the rounds, for one RPC.
     *
     * @param smallCpuMicros registry processor time per call with {@code smallAgents} placements
     * @param cpuRatio large over small processor time per call: the cost growth
     * @param throughputRatio small over large calls per second: the cost growth seen by clients
     */
    record RpcScaling(String rpc, double smallCallsPerSecond, double largeCallsPerSecond, double smallCpuMicros, double largeCpuMicros,
            double cpuRatio, double throughputRatio, List<LoadResult> smallRuns, List<LoadResult> largeRuns) {}

    record Result(Settings settings, double largeSetupSeconds, List<RpcScaling> rpcs) {

        RpcScaling rpc(String name) {
            return rpcs.stream().filter(rpc -> rpc.rpc().equals(name)).findFirst().orElseThrow();
        }
    }

    private ScaleScenario() {}

    static Result run(Side small, Side large, Settings settings, Progress progress) throws InterruptedException {
        progress.say("scale: registering " + settings.smallAgents() + " and " + settings.largeAgents() + " agents in two registries");
        register(small.client(), settings.smallAgents());
        long start = System.nanoTime();
        register(large.client(), settings.largeAgents());
        double largeSetupSeconds = (System.nanoTime() - start) / 1e9;

        List<RpcScaling> rpcs = new ArrayList<>();
        for (String rpc : RPCS) {
            List<LoadResult> smallRuns = new ArrayList<>();
            List<LoadResult> largeRuns = new ArrayList<>();
            for (int round = 0; round < settings.rounds(); round++) {
                smallRuns.add(load(small, rpc, settings.smallAgents(), settings));
                largeRuns.add(load(large, rpc, settings.largeAgents(), settings));
                progress.say(String.format("scale: %s round %d: %,.0f calls/s at %,d agents, %,.0f calls/s at %,d", rpc, round + 1,
                        smallRuns.get(round).callsPerSecond(), settings.smallAgents(), largeRuns.get(round).callsPerSecond(),
                        settings.largeAgents()));
            }
            double smallRate = median(smallRuns.stream().mapToDouble(LoadResult::callsPerSecond).toArray());
            double largeRate = median(largeRuns.stream().mapToDouble(LoadResult::callsPerSecond).toArray());
            double smallCpu = median(smallRuns.stream().mapToDouble(LoadResult::registryCpuMicrosPerCall).toArray());
            double largeCpu = median(largeRuns.stream().mapToDouble(LoadResult::registryCpuMicrosPerCall).toArray());
            rpcs.add(new RpcScaling(rpc, smallRate, largeRate, smallCpu, largeCpu, largeCpu / smallCpu, smallRate / largeRate,
                    smallRuns, largeRuns));
        }
        return new Result(settings, largeSetupSeconds, rpcs);
    }

    private static LoadResult load(Side side, String rpc, int agents, Settings settings) throws InterruptedException {
        CallSource source = rpc.equals(MaxScenario.HEARTBEAT_AGENT)
                ? () -> heartbeat(side.client(), agents)
                : () -> lookup(side.client(), agents);
        return ClosedLoop.run(rpc, 1, source, settings.concurrency(), settings.phases(), side.cpu()).result();
    }

    static ListenableFuture<?> heartbeat(RegistryClient client, int agents) {
        return client.registry().heartbeatAgent(HeartbeatAgentRequest.newBuilder()
                .setAgentId(Ids.agent(ThreadLocalRandom.current().nextInt(agents))).setTimestampUnixMs(System.currentTimeMillis()).build());
    }

    static ListenableFuture<?> lookup(RegistryClient client, int agents) {
        return client.registry().getAgentPlacement(GetAgentPlacementRequest.newBuilder()
                .setAgentId(Ids.agent(ThreadLocalRandom.current().nextInt(agents))).build());
    }

    /** Registers {@code agents} agents, {@value #AGENTS_PER_RELAY} per relay, through the API. */
    static void register(RegistryClient client, int agents) throws InterruptedException {
        int relays = (agents + AGENTS_PER_RELAY - 1) / AGENTS_PER_RELAY;
        Bulk.run("RegisterRelay", relays, 64, r -> client.registry().registerRelay(RegisterRelayRequest.newBuilder()
                .setRelay(Relay.newBuilder().setRelayId(Ids.relay(r)).setAddress("10.2." + (r / 250) + "." + (r % 250 + 1)).setGrpcPort(7443))
                .build()));
        Bulk.run("RegisterAgent", agents, 64, i -> client.registry().registerAgent(RegisterAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setAgentId(Ids.agent(i))).setRelayId(Ids.relay(i / AGENTS_PER_RELAY)).build()));
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
