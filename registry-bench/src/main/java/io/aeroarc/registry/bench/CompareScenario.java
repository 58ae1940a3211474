package io.aeroarc.registry.bench;

import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.GetAgentPlacementRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Two registries measured against each other in alternating rounds, so a busy machine weighs on
 * both alike:
 *
 * <ul>
 *   <li><b>lone call</b>: one caller with one call in flight (closed loop), on a registry that
 *       coalesces and on one with coalescing off ({@code --coalesce-batch-size 0}), on the same
 *       storage. Coalescing must not delay a call that has nobody to be gathered with.</li>
 *   <li><b>against memory</b> (shared-storage backends): HeartbeatAgent at its max on this backend's
 *       registry and on a memory registry.</li>
 * </ul>
 */
final class CompareScenario {

    static final String HEARTBEAT_AGENT = MaxScenario.HEARTBEAT_AGENT;
    static final String GET_AGENT_PLACEMENT = MaxScenario.GET_AGENT_PLACEMENT;
    /** One connection, one stream, one event loop: a lone caller. */
    static final LeanLoad.Settings LONE = new LeanLoad.Settings(1, 1, 1);

    /**
     * @param relays relays registered on each registry
     * @param agentsPerRelay agents on each relay
     * @param warmup of each RPC on each registry, once, before the rounds
     * @param round one measured round
     * @param rounds rounds per registry, alternating
     */
    record Settings(int relays, int agentsPerRelay, Duration warmup, Phases round, int rounds) {
        int agents() {
            return relays * agentsPerRelay;
        }
    }

    /** A registry under comparison: what it is, where it listens, how to read its processor time. */
    record Side(String label, RegistryClient client, RegistryClient.Target target, CpuMeter cpu) {}

    /**
     * One RPC on two registries.
     *
     * @param subject the registry the target is about
     * @param reference the one it is compared with
     */
    record Comparison(String rpc, String subject, String reference, LoadResult subjectLoad, LoadResult referenceLoad) {
        double p50Ratio() {
            return subjectLoad.latency().p50Micros() / referenceLoad.latency().p50Micros();
        }

        double rateRatio() {
            return subjectLoad.callsPerSecond() / referenceLoad.callsPerSecond();
        }
    }

    /** @param againstMemory empty on the memory backend */
    record Result(Settings settings, List<Comparison> lone, List<Comparison> againstMemory) {}

    private final Settings settings;
    private final Progress progress;

    private CompareScenario(Settings settings, Progress progress) {
        this.settings = settings;
        this.progress = progress;
    }

    /**
     * @param coalescing this backend's registry as shipped
     * @param plain the same backend and storage with coalescing off
     * @param memory a memory registry, or null on the memory backend
     */
    static Result run(Settings settings, Side coalescing, Side plain, Side memory, Progress progress) throws InterruptedException {
        return new CompareScenario(settings, progress).run(coalescing, plain, memory);
    }

    private Result run(Side coalescing, Side plain, Side memory) throws InterruptedException {
        progress.say("compare: registering " + settings.relays() + " relays and " + settings.agents() + " agents on each registry");
        register(coalescing);
        register(plain);
        if (memory != null) {
            register(memory);
        }
        List<Comparison> lone = new ArrayList<>();
        for (String rpc : List.of(HEARTBEAT_AGENT, GET_AGENT_PLACEMENT)) {
            Comparison comparison = alternate(rpc, coalescing, plain, LONE);
            progress.say(String.format(Locale.ROOT, "compare: lone %s p50 %s with coalescing, %s without (%.2f×)", rpc,
                    Targets.micros(comparison.subjectLoad().latency().p50Micros()),
                    Targets.micros(comparison.referenceLoad().latency().p50Micros()), comparison.p50Ratio()));
            lone.add(comparison);
        }
        List<Comparison> againstMemory = new ArrayList<>();
        if (memory != null) {
            Comparison comparison = alternate(HEARTBEAT_AGENT, coalescing, memory, SuiteProfile.LEAN);
            progress.say(String.format(Locale.ROOT, "compare: HeartbeatAgent %,.0f calls/s here, %,.0f calls/s on memory (%.0f%%)",
                    comparison.subjectLoad().callsPerSecond(), comparison.referenceLoad().callsPerSecond(), comparison.rateRatio() * 100));
            againstMemory.add(comparison);
        }
        return new Result(settings, lone, againstMemory);
    }

    /** Warms the RPC up on both, then measures them in turn, round after round. */
    private Comparison alternate(String rpc, Side subject, Side reference, LeanLoad.Settings client) throws InterruptedException {
        LeanLoad.Requests requests = rpc.equals(HEARTBEAT_AGENT) ? heartbeatAgents() : getAgentPlacements();
        LeanLoad subjectLoad = new LeanLoad(subject.target(), client);
        LeanLoad referenceLoad = new LeanLoad(reference.target(), client);
        try {
            Phases warmup = new Phases(settings.warmup(), Duration.ZERO);
            subjectLoad.closedLoop(rpc, MaxScenario.path(rpc), 1, requests, warmup, subject.cpu());
            referenceLoad.closedLoop(rpc, MaxScenario.path(rpc), 1, requests, warmup, reference.cpu());
            List<LoadResult.Measured> subjectRounds = new ArrayList<>();
            List<LoadResult.Measured> referenceRounds = new ArrayList<>();
            // Each round in the other order (ABBA), so neither side always runs first after the other's load.
            for (int round = 0; round < settings.rounds(); round++) {
                if (round % 2 == 0) {
                    subjectRounds.add(subjectLoad.closedLoop(rpc, MaxScenario.path(rpc), 1, requests, settings.round(), subject.cpu()));
                    referenceRounds.add(referenceLoad.closedLoop(rpc, MaxScenario.path(rpc), 1, requests, settings.round(), reference.cpu()));
                } else {
                    referenceRounds.add(referenceLoad.closedLoop(rpc, MaxScenario.path(rpc), 1, requests, settings.round(), reference.cpu()));
                    subjectRounds.add(subjectLoad.closedLoop(rpc, MaxScenario.path(rpc), 1, requests, settings.round(), subject.cpu()));
                }
            }
            return new Comparison(rpc, subject.label(), reference.label(), LoadResult.combine(subjectRounds),
                    LoadResult.combine(referenceRounds));
        } finally {
            subjectLoad.close();
            referenceLoad.close();
        }
    }

    private void register(Side side) throws InterruptedException {
        Bulk.run("RegisterRelay", settings.relays(), 64, r -> side.client().registry().registerRelay(RegisterRelayRequest.newBuilder()
                .setRelay(Relay.newBuilder().setRelayId(Ids.relay(r)).setAddress("10.1.0." + (r % 250 + 1)).setGrpcPort(7443))
                .build()));
        Bulk.run("RegisterAgent", settings.agents(), 64, i -> side.client().registry().registerAgent(RegisterAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setAgentId(Ids.agent(i))).setRelayId(Ids.relay(i / settings.agentsPerRelay())).build()));
    }

    /** Unfenced, so the same requests serve every registry: on shared storage the epochs are the last registration's. */
    private LeanLoad.Requests heartbeatAgents() {
        List<HeartbeatAgentRequest> requests = new ArrayList<>();
        for (int i = 0; i < settings.agents(); i++) {
            requests.add(HeartbeatAgentRequest.newBuilder().setAgentId(Ids.agent(i)).setTimestampUnixMs(System.currentTimeMillis()).build());
        }
        return LeanLoad.Requests.anyOf(requests);
    }

    private LeanLoad.Requests getAgentPlacements() {
        List<GetAgentPlacementRequest> requests = new ArrayList<>();
        for (int i = 0; i < settings.agents(); i++) {
            requests.add(GetAgentPlacementRequest.newBuilder().setAgentId(Ids.agent(i)).build());
        }
        return LeanLoad.Requests.anyOf(requests);
    }
}
