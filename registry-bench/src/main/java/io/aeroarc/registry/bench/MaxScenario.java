package io.aeroarc.registry.bench;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.GetAgentPlacementRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentsRequest;
import io.aeroarc.registry.api.v1.HeartbeatRelayRequest;
import io.aeroarc.registry.api.v1.ListAgentsRequest;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.grpc.health.v1.HealthCheckRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The most each RPC does: a closed loop of the lean client's calls in flight ({@link LeanLoad}) on one RPC at a time,
 * alternating in rounds with the same loop on the standard health {@code Check} of the same
 * server, the most this gRPC server does on this machine with nothing behind it. Each RPC's rate
 * over the Check rate of its own rounds is the share of the gRPC budget the registry keeps; the
 * alternation makes it robust to other work on the machine coming and going. A backend with a
 * storage server is compared the same way, in alternating rounds, with raw loops doing the
 * storage work of an RPC straight against that server. Then open loops at half of the max rate of
 * the two hottest RPCs, each next to Check at the same rate, for their latency under a sustainable
 * load. First of all, the lean client's Check is held against h2load's ({@link ClientProof}), to show
 * the rates are the registry's and not the client's.
 *
 * <p>The registry holds {@code relays × agentsPerRelay} placements, set up through the API, with
 * TTLs longer than the run, so nothing expires while measuring. Each call picks its relay or agent
 * uniformly at random.
 */
final class MaxScenario {

    static final String CHECK = "Check";
    static final String HEARTBEAT_RELAY = "HeartbeatRelay";
    static final String HEARTBEAT_AGENT = "HeartbeatAgent";
    static final String HEARTBEAT_AGENTS = "HeartbeatAgents";
    static final String REGISTER_AGENT = "RegisterAgent";
    static final String GET_AGENT_PLACEMENT = "GetAgentPlacement";
    static final String LIST_AGENTS = "ListAgents";

    private static final LeanLoad.Requests CHECK_REQUESTS = LeanLoad.Requests.anyOf(List.of(HealthCheckRequest.getDefaultInstance()));

    /** RPCs measured at half their max rate in an open loop. */
    static final List<String> OPEN_LOOP_RPCS = List.of(HEARTBEAT_AGENT, GET_AGENT_PLACEMENT);

    /**
     * @param agentsPerRelay also the batch size of HeartbeatAgents, which renews one relay's agents
     * @param concurrency calls in flight while registering; the measured loops use the lean client's (SuiteProfile.LEAN)
     * @param firstWarmup load on the RPC before its first round
     * @param rounds of Check then the RPC, each warmed up and measured as {@code round} says
     * @param listPageSize page size of ListAgents by relay
     * @param maxInFlight the open loop's bound on calls in flight
     * @param rawThreads blocking callers of the raw loops, one connection each
     */
    record Settings(int relays, int agentsPerRelay, int concurrency, Duration firstWarmup, int rounds, Phases round,
            Phases openLoop, int listPageSize, int maxInFlight, int rawThreads) {

        int agents() {
            return relays * agentsPerRelay;
        }
    }

    /**
     * One RPC at its max with the ceiling measured in the same rounds.
     *
     * @param share the RPC's calls per second over the ceiling's
     */
    record RpcMax(LoadResult rpc, LoadResult ceiling, double share) {}

    /** One RPC at a fixed rate next to Check at the same rate: Check's latency is the floor this machine and gRPC allow. */
    record OpenLoopPair(OpenLoopResult rpc, OpenLoopResult check) {}

    /**
     * An RPC and the raw loop doing its storage work, measured in alternating rounds.
     *
     * @param share the RPC's calls per second over the raw loop's
     */
    record RawComparison(String description, int threads, LoadResult rpc, LoadResult raw, double share) {}

    /** @param setupSeconds time to register every relay and agent through the API */
    /**
     * @param client the bench client against h2load on Check, measured first: whether the rates
     *     below are the registry's and not the client's
     * @param connections of the lean client that measured every RPC
     */
    record Result(Settings settings, ClientProof.Result client, int connections, double setupSeconds, List<RpcMax> rpcs,
            List<RawComparison> raw, List<OpenLoopPair> openLoops) {

        RpcMax rpc(String name) {
            return rpcs.stream().filter(rpc -> rpc.rpc().name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no phase " + name));
        }

        Optional<OpenLoopPair> openLoop(String name) {
            return openLoops.stream().filter(pair -> pair.rpc().load().name().equals(name)).findFirst();
        }

        Optional<RawComparison> raw(String rawLoop) {
            return raw.stream().filter(comparison -> comparison.raw().name().equals(rawLoop)).findFirst();
        }
    }

    private final RegistryClient client;
    private final LeanLoad lean;
    private final Settings settings;
    private final CpuMeter cpu;
    private final String[] relayIds;
    private final String[] agentIds;
    private final AtomicIntegerArray relayOf;
    private final AtomicLongArray epochOf;
    private final List<HeartbeatAgentsRequest> batches = new ArrayList<>();

    private MaxScenario(RegistryClient client, LeanLoad lean, Settings settings, CpuMeter cpu) {
        this.client = client;
        this.lean = lean;
        this.settings = settings;
        this.cpu = cpu;
        this.relayIds = new String[settings.relays()];
        this.agentIds = new String[settings.agents()];
        this.relayOf = new AtomicIntegerArray(settings.agents());
        this.epochOf = new AtomicLongArray(settings.agents());
        for (int r = 0; r < relayIds.length; r++) {
            relayIds[r] = Ids.relay(r);
        }
        for (int i = 0; i < agentIds.length; i++) {
            agentIds[i] = Ids.agent(i);
            relayOf.set(i, i / settings.agentsPerRelay());
        }
    }

    /**
     * @param client sets the registry up, through the ordinary stubs
     * @param lean measures every rate and latency, after showing against h2load on Check that it is not the bottleneck
     * @param raw loops to compare RPCs with; their storage holds the same agents under its own keys
     */
    static Result run(RegistryClient client, LeanLoad lean, RegistryClient.Target target, ClientProof.Settings proof, Settings settings,
            CpuMeter cpu, RawLoops raw, Progress progress) throws InterruptedException {
        return new MaxScenario(client, lean, settings, cpu).run(target, proof, raw, progress);
    }

    private Result run(RegistryClient.Target target, ClientProof.Settings proof, RawLoops raw, Progress progress)
            throws InterruptedException {
        progress.say("max: registering " + settings.relays() + " relays and " + settings.agents() + " agents");
        long setupStart = System.nanoTime();
        register();
        double setupSeconds = (System.nanoTime() - setupStart) / 1e9;

        // The setup warmed the server's RPC path up; the proof warms Check's own path and the lean client.
        ClientProof.Result proven = ClientProof.run(target, lean, proof, cpu, progress);
        List<RpcMax> rpcs = new ArrayList<>();
        rpcs.add(atMax(HEARTBEAT_RELAY, 1, heartbeatRelays(), progress));
        rpcs.add(atMax(HEARTBEAT_AGENT, 1, heartbeatAgents(true), progress));
        rpcs.add(atMax(HEARTBEAT_AGENTS, settings.agentsPerRelay(), LeanLoad.Requests.anyOf(batches), progress));
        rpcs.add(atMax(GET_AGENT_PLACEMENT, 1, getAgentPlacements(), progress));
        rpcs.add(atMax(LIST_AGENTS, settings.listPageSize(), listAgents(), progress));
        List<RawComparison> rawComparisons = new ArrayList<>();
        for (RawLoop loop : raw.loops()) {
            rawComparisons.add(againstRaw(loop, progress));
        }
        // Last: every call moves an agent, so the fences the heartbeats above sent are spent.
        rpcs.add(atMax(REGISTER_AGENT, 1, this::registerAgentMove, progress));

        List<OpenLoopPair> openLoops = new ArrayList<>();
        for (String name : OPEN_LOOP_RPCS) {
            double rate = rpcs.stream().filter(max -> max.rpc().name().equals(name)).findFirst().orElseThrow().rpc().callsPerSecond() / 2;
            progress.say(String.format("max: %s and Check in open loops at %.0f/s (half its max)", name, rate));
            OpenLoopResult check = lean.openLoop(CHECK, ClientProof.CHECK_PATH, 1, CHECK_REQUESTS, rate, settings.openLoop(),
                    settings.maxInFlight(), cpu);
            // Unfenced, as old relays send it: the moves above spent the epochs.
            LeanLoad.Requests requests = name.equals(HEARTBEAT_AGENT) ? heartbeatAgents(false) : getAgentPlacements();
            OpenLoopResult rpc = lean.openLoop(name, path(name), 1, requests, rate, settings.openLoop(), settings.maxInFlight(), cpu);
            progress.say(String.format("max: %s p99 %s, Check p99 %s at %.0f/s", name, Targets.micros(rpc.load().latency().p99Micros()),
                    Targets.micros(check.load().latency().p99Micros()), rate));
            openLoops.add(new OpenLoopPair(rpc, check));
        }
        return new Result(settings, proven, lean.settings().connections(), setupSeconds, rpcs, rawComparisons, openLoops);
    }

    /** Rounds of Check then the RPC, after warming the RPC up. */
    private RpcMax atMax(String name, int units, LeanLoad.Requests requests, Progress progress) throws InterruptedException {
        lean.closedLoop(name, path(name), units, requests, new Phases(settings.firstWarmup(), Duration.ZERO), cpu);
        List<LoadResult.Measured> ceiling = new ArrayList<>();
        List<LoadResult.Measured> rpc = new ArrayList<>();
        for (int round = 0; round < settings.rounds(); round++) {
            ceiling.add(lean.closedLoop(CHECK, ClientProof.CHECK_PATH, 1, CHECK_REQUESTS, settings.round(), cpu));
            rpc.add(lean.closedLoop(name, path(name), units, requests, settings.round(), cpu));
        }
        LoadResult rpcResult = LoadResult.combine(rpc);
        LoadResult ceilingResult = LoadResult.combine(ceiling);
        RpcMax max = new RpcMax(rpcResult, ceilingResult, rpcResult.callsPerSecond() / ceilingResult.callsPerSecond());
        progress.say(String.format("max: %-18s %,10.0f calls/s  Check %,10.0f calls/s  share %5.1f%%  p99 %s  errors %d", name,
                rpcResult.callsPerSecond(), ceilingResult.callsPerSecond(), max.share() * 100, Targets.micros(rpcResult.latency().p99Micros()),
                rpcResult.errorCount()));
        return max;
    }

    /** Rounds of the raw loop then the RPC it stands for, after warming the raw loop up. */
    private RawComparison againstRaw(RawLoop loop, Progress progress) throws InterruptedException {
        LeanLoad.Requests rpcRequests = switch (loop.comparedRpc()) {
            case HEARTBEAT_AGENT -> heartbeatAgents(true);
            case HEARTBEAT_AGENTS -> LeanLoad.Requests.anyOf(batches);
            default -> throw new IllegalArgumentException("no raw comparison for " + loop.comparedRpc());
        };
        int units = loop.comparedRpc().equals(HEARTBEAT_AGENTS) ? settings.agentsPerRelay() : 1;
        BlockingClosedLoop.run(loop.name(), loop.unitsPerCall(), loop.call(), settings.rawThreads(),
                new Phases(settings.firstWarmup(), Duration.ZERO), cpu);
        List<LoadResult.Measured> raw = new ArrayList<>();
        List<LoadResult.Measured> rpc = new ArrayList<>();
        for (int round = 0; round < settings.rounds(); round++) {
            raw.add(BlockingClosedLoop.run(loop.name(), loop.unitsPerCall(), loop.call(), settings.rawThreads(), settings.round(), cpu));
            rpc.add(lean.closedLoop(loop.comparedRpc(), path(loop.comparedRpc()), units, rpcRequests, settings.round(), cpu));
        }
        LoadResult rawResult = LoadResult.combine(raw);
        LoadResult rpcResult = LoadResult.combine(rpc);
        RawComparison comparison = new RawComparison(loop.description(), settings.rawThreads(), rpcResult, rawResult,
                rpcResult.callsPerSecond() / rawResult.callsPerSecond());
        progress.say(String.format("max: %-18s %,10.0f calls/s  raw %,10.0f calls/s  share %5.1f%%", loop.comparedRpc(),
                rpcResult.callsPerSecond(), rawResult.callsPerSecond(), comparison.share() * 100));
        return comparison;
    }

    private void register() throws InterruptedException {
        int concurrency = Math.max(settings.concurrency(), 64);
        Bulk.run("RegisterRelay", settings.relays(), concurrency, r -> client.registry().registerRelay(RegisterRelayRequest.newBuilder()
                .setRelay(Relay.newBuilder().setRelayId(relayIds[r]).setAddress("10.0." + (r / 250) + "." + (r % 250 + 1))
                        .setGrpcPort(7443).putLabels("region", "eu-west").putLabels("zone", "b"))
                .build()));
        Bulk.run("RegisterAgent", settings.agents(), concurrency, i -> Futures.transform(
                client.registry().registerAgent(RegisterAgentRequest.newBuilder()
                        .setAgent(Agent.newBuilder().setAgentId(agentIds[i])).setRelayId(relayIds[relayOf.get(i)]).build()),
                response -> {
                    epochOf.set(i, response.getEpoch());
                    return response;
                }, MoreExecutors.directExecutor()));
        for (int r = 0; r < settings.relays(); r++) {
            HeartbeatAgentsRequest.Builder batch = HeartbeatAgentsRequest.newBuilder().setRelayId(relayIds[r]);
            for (int k = 0; k < settings.agentsPerRelay(); k++) {
                batch.addAgentIds(agentIds[r * settings.agentsPerRelay() + k]);
            }
            batches.add(batch.build());
        }
    }

    /** The gRPC path of one of the registry's RPCs, as {@code /package.Service/Method}. */
    static String path(String rpc) {
        return "/" + AeroRegistryGrpc.SERVICE_NAME + "/" + rpc;
    }

    private LeanLoad.Requests heartbeatRelays() {
        List<HeartbeatRelayRequest> requests = new ArrayList<>();
        for (String relayId : relayIds) {
            requests.add(HeartbeatRelayRequest.newBuilder().setRelayId(relayId).setTimestampUnixMs(System.currentTimeMillis()).build());
        }
        return LeanLoad.Requests.anyOf(requests);
    }

    /**
     * @param fenced as relays send it, with the relay and epoch the agent was placed with, so a
     *     moved agent is fenced; else without a fence, as old relays send it
     */
    private LeanLoad.Requests heartbeatAgents(boolean fenced) {
        List<HeartbeatAgentRequest> requests = new ArrayList<>();
        for (int i = 0; i < agentIds.length; i++) {
            HeartbeatAgentRequest.Builder request = HeartbeatAgentRequest.newBuilder().setAgentId(agentIds[i])
                    .setTimestampUnixMs(System.currentTimeMillis());
            if (fenced) {
                request.setRelayId(relayIds[relayOf.get(i)]).setEpoch(epochOf.get(i));
            }
            requests.add(request.build());
        }
        return LeanLoad.Requests.anyOf(requests);
    }

    private LeanLoad.Requests getAgentPlacements() {
        List<GetAgentPlacementRequest> requests = new ArrayList<>();
        for (String agentId : agentIds) {
            requests.add(GetAgentPlacementRequest.newBuilder().setAgentId(agentId).build());
        }
        return LeanLoad.Requests.anyOf(requests);
    }

    /** The first page of a relay's agents. */
    private LeanLoad.Requests listAgents() {
        List<ListAgentsRequest> requests = new ArrayList<>();
        for (String relayId : relayIds) {
            requests.add(ListAgentsRequest.newBuilder().setRelayId(relayId).setPageSize(settings.listPageSize()).build());
        }
        return LeanLoad.Requests.anyOf(requests);
    }

    /**
     * Moves a random agent to the next relay: a new epoch and index updates, the expensive path of
     * RegisterAgent. Built per call, as each move depends on the last.
     */
    private byte[] registerAgentMove() {
        int i = random(agentIds.length);
        int target = (relayOf.get(i) + 1) % relayIds.length;
        relayOf.set(i, target);
        return LeanLoad.frame(RegisterAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setAgentId(agentIds[i])).setRelayId(relayIds[target]).build());
    }

    private static int random(int bound) {
        return ThreadLocalRandom.current().nextInt(bound);
    }
}
