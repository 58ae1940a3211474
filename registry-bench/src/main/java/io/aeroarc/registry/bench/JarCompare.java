package io.aeroarc.registry.bench;

import io.aeroarc.registry.api.v1.GetAgentPlacementRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.testsupport.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Two builds of the registry against each other on one storage server: the closed-loop max of
 * HeartbeatAgent and GetAgentPlacement (the lean client, 4 connections × 16 calls in flight, as
 * in {@link MaxScenario}), or a lone caller's closed loop, on a registry from each jar, in alternating rounds (A B, then B A), with
 * each registry's CPU time per call. Both registries serve the same agents on the same storage.
 */
final class JarCompare {

    /** @param lone one caller with one call in flight (issue 10's lone-call latency) instead of the lean client's max */
    record Settings(String backend, String jarA, String jarB, int relays, int agentsPerRelay, int rounds, Phases round, List<String> registryFlags,
            boolean lone) {}

    /** One RPC's rounds: rate and CPU per call of each side, with the ratios B over A. */
    record Rpc(String rpc, LoadResult a, LoadResult b, double rateRatio, List<Double> roundRateRatios, double cpuPerCallA,
            double cpuPerCallB, double cpuRatio) {}

    record Result(Settings settings, String storage, List<Rpc> rpcs) {}

    private JarCompare() {}

    static Result run(Settings settings, Path directory, Progress progress) throws Exception {
        BenchBackend backend = BenchBackends.named(settings.backend());
        Duration ttl = Duration.ofMinutes(30);
        List<String> jvm = List.of("-Xms1g", "-Xmx1g");
        RegistryLauncher launcherA = new RegistryLauncher(Optional.of(Path.of(settings.jarA())), System.getProperty("java.class.path"), jvm,
                settings.registryFlags());
        RegistryLauncher launcherB = new RegistryLauncher(Optional.of(Path.of(settings.jarB())), System.getProperty("java.class.path"), jvm,
                settings.registryFlags());
        try (TestServer storage = backend.storage().start();
                RegistryProcess a = launcherA.start("A", backend.name(), storage.backendOptions(), ttl, ttl, directory, Optional.empty());
                RegistryProcess b = launcherB.start("B", backend.name(), storage.backendOptions(), ttl, ttl, directory, Optional.empty())) {
            RegistryClient.Target targetA = new RegistryClient.Target("127.0.0.1", a.port());
            RegistryClient.Target targetB = new RegistryClient.Target("127.0.0.1", b.port());
            MetricsCost.Settings placement = new MetricsCost.Settings(settings.relays(), settings.agentsPerRelay(), 0, settings.round());
            progress.say("jar-compare: registering " + settings.relays() * settings.agentsPerRelay() + " agents through A");
            MetricsCost.register(targetA, placement);
            if (backend.inProcess()) {
                MetricsCost.register(targetB, placement);
            }
            List<Rpc> rpcs = new ArrayList<>();
            for (String rpc : List.of(MaxScenario.HEARTBEAT_AGENT, MaxScenario.GET_AGENT_PLACEMENT)) {
                rpcs.add(compare(rpc, requests(rpc, settings), settings, new Side(targetA, new CpuMeter(a.pid())),
                        new Side(targetB, new CpuMeter(b.pid())), progress));
            }
            return new Result(settings, storage.description(), rpcs);
        }
    }

    private record Side(RegistryClient.Target target, CpuMeter cpu) {}

    private static Rpc compare(String rpc, LeanLoad.Requests requests, Settings settings, Side sideA, Side sideB, Progress progress)
            throws InterruptedException {
        LeanLoad.Settings client = settings.lone() ? CompareScenario.LONE : SuiteProfile.LEAN;
        LeanLoad loadA = new LeanLoad(sideA.target(), client);
        LeanLoad loadB = new LeanLoad(sideB.target(), client);
        String path = MaxScenario.path(rpc);
        try {
            Phases warmup = new Phases(Duration.ofSeconds(3), Duration.ZERO);
            loadA.closedLoop(rpc, path, 1, requests, warmup, sideA.cpu());
            loadB.closedLoop(rpc, path, 1, requests, warmup, sideB.cpu());
            List<LoadResult.Measured> roundsA = new ArrayList<>();
            List<LoadResult.Measured> roundsB = new ArrayList<>();
            List<Double> ratios = new ArrayList<>();
            for (int round = 0; round < settings.rounds(); round++) {
                LoadResult.Measured roundA;
                LoadResult.Measured roundB;
                if (round % 2 == 0) {
                    roundA = loadA.closedLoop(rpc, path, 1, requests, settings.round(), sideA.cpu());
                    roundB = loadB.closedLoop(rpc, path, 1, requests, settings.round(), sideB.cpu());
                } else {
                    roundB = loadB.closedLoop(rpc, path, 1, requests, settings.round(), sideB.cpu());
                    roundA = loadA.closedLoop(rpc, path, 1, requests, settings.round(), sideA.cpu());
                }
                roundsA.add(roundA);
                roundsB.add(roundB);
                double ratio = roundB.result().callsPerSecond() / roundA.result().callsPerSecond();
                ratios.add(ratio);
                progress.say(String.format("jar-compare: %s round %d  A %,8.0f calls/s p50 %6.0f us %5.1f us CPU/call err %d  "
                        + "B %,8.0f calls/s p50 %6.0f us %5.1f us CPU/call err %d  B/A %5.1f%%", rpc, round + 1,
                        roundA.result().callsPerSecond(), roundA.result().latency().p50Micros(), roundA.result().registryCpuMicrosPerCall(),
                        roundA.result().errorCount(), roundB.result().callsPerSecond(), roundB.result().latency().p50Micros(),
                        roundB.result().registryCpuMicrosPerCall(), roundB.result().errorCount(), ratio * 100));
            }
            LoadResult a = LoadResult.combine(roundsA);
            LoadResult b = LoadResult.combine(roundsB);
            Rpc result = new Rpc(rpc, a, b, b.callsPerSecond() / a.callsPerSecond(), ratios, a.registryCpuMicrosPerCall(),
                    b.registryCpuMicrosPerCall(), b.registryCpuMicrosPerCall() / a.registryCpuMicrosPerCall());
            progress.say(String.format("jar-compare: %s A %,.0f calls/s %.1f us CPU/call p50 %.0f us p99 %.0f us errors %d; "
                    + "B %,.0f calls/s %.1f us CPU/call p50 %.0f us p99 %.0f us errors %d; rate B/A %.1f%%, CPU/call B/A %.1f%%", rpc,
                    a.callsPerSecond(), result.cpuPerCallA(), a.latency().p50Micros(), a.latency().p99Micros(), a.errorCount(),
                    b.callsPerSecond(), result.cpuPerCallB(), b.latency().p50Micros(), b.latency().p99Micros(), b.errorCount(),
                    result.rateRatio() * 100, result.cpuRatio() * 100));
            return result;
        } finally {
            loadA.close();
            loadB.close();
        }
    }

    private static LeanLoad.Requests requests(String rpc, Settings settings) {
        int agents = settings.relays() * settings.agentsPerRelay();
        if (rpc.equals(MaxScenario.HEARTBEAT_AGENT)) {
            List<HeartbeatAgentRequest> requests = new ArrayList<>();
            for (int i = 0; i < agents; i++) {
                requests.add(HeartbeatAgentRequest.newBuilder().setAgentId(Ids.agent(i)).build());
            }
            return LeanLoad.Requests.anyOf(requests);
        }
        List<GetAgentPlacementRequest> requests = new ArrayList<>();
        for (int i = 0; i < agents; i++) {
            requests.add(GetAgentPlacementRequest.newBuilder().setAgentId(Ids.agent(i)).build());
        }
        return LeanLoad.Requests.anyOf(requests);
    }
}
