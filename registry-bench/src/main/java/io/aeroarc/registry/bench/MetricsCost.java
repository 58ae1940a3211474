package io.aeroarc.registry.bench;

import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What exporting metrics costs the hot path: HeartbeatAgent at its max (the lean client's closed
 * loop, as in {@link MaxScenario}) on two memory registries side by side, one with
 * {@code --metrics-listen-address} and one without, in alternating rounds (off-on, then on-off, so
 * a drift in the machine's load hits both alike). Two ratios: the metrics registry's rate over the
 * other's, and the other's registry CPU time per call over the metrics registry's. On a shared,
 * busy machine the rate follows whatever else runs, so the CPU per call is the steadier measure of
 * what metrics cost; each round pair's ratios show the noise. The metrics registry is scraped once
 * a round, as Prometheus would.
 */
final class MetricsCost {

    static final String HEARTBEAT_AGENT = MaxScenario.HEARTBEAT_AGENT;

    record Settings(int relays, int agentsPerRelay, int rounds, Phases round) {}

    /**
     * @param ratio the metrics registry's HeartbeatAgent rate over the plain one's, all rounds together
     * @param roundRatios the same per round pair, in order
     * @param cpuMicrosPerCallOff registry CPU per call without metrics, all rounds together
     * @param cpuMicrosPerCallOn the same with metrics
     * @param cpuRatio off's CPU per call over on's: the share of the rate metrics leave when CPU is the limit
     * @param roundCpuRatios the same per round pair, in order
     * @param renewalsCounted registry_agent_renewals_total at the end: proof the metrics were recorded
     */
    record Result(Settings settings, LoadResult off, LoadResult on, double ratio, List<Double> roundRatios, double cpuMicrosPerCallOff,
            double cpuMicrosPerCallOn, double cpuRatio, List<Double> roundCpuRatios, double renewalsCounted) {}

    private MetricsCost() {}

    static Result run(RegistryLauncher launcher, Path directory, Settings settings, Progress progress) throws Exception {
        int metricsPort = freePort();
        Duration ttl = Duration.ofMinutes(30);
        try (RegistryProcess off = launcher.start("metrics-off", "memory", Map.of(), ttl, ttl, directory, Optional.empty());
                RegistryProcess on = launcher.start("metrics-on", "memory", Map.of(), ttl, ttl, directory, Optional.empty(),
                        List.of("--metrics-listen-address", "127.0.0.1:" + metricsPort))) {
            RegistryClient.Target offTarget = new RegistryClient.Target("127.0.0.1", off.port());
            RegistryClient.Target onTarget = new RegistryClient.Target("127.0.0.1", on.port());
            progress.say("metrics-cost: registering " + settings.relays() * settings.agentsPerRelay() + " agents on both registries");
            register(offTarget, settings);
            register(onTarget, settings);
            LeanLoad.Requests requests = heartbeats(settings);
            LeanLoad offLoad = new LeanLoad(offTarget, SuiteProfile.LEAN);
            LeanLoad onLoad = new LeanLoad(onTarget, SuiteProfile.LEAN);
            CpuMeter offCpu = new CpuMeter(off.pid());
            CpuMeter onCpu = new CpuMeter(on.pid());
            String path = MaxScenario.path(HEARTBEAT_AGENT);
            try {
                Phases warmup = new Phases(Duration.ofSeconds(3), Duration.ZERO);
                offLoad.closedLoop(HEARTBEAT_AGENT, path, 1, requests, warmup, offCpu);
                onLoad.closedLoop(HEARTBEAT_AGENT, path, 1, requests, warmup, onCpu);
                List<LoadResult.Measured> offRounds = new ArrayList<>();
                List<LoadResult.Measured> onRounds = new ArrayList<>();
                List<Double> ratios = new ArrayList<>();
                List<Double> cpuRatios = new ArrayList<>();
                for (int round = 0; round < settings.rounds(); round++) {
                    LoadResult.Measured offRound;
                    LoadResult.Measured onRound;
                    if (round % 2 == 0) {
                        offRound = offLoad.closedLoop(HEARTBEAT_AGENT, path, 1, requests, settings.round(), offCpu);
                        onRound = onLoad.closedLoop(HEARTBEAT_AGENT, path, 1, requests, settings.round(), onCpu);
                    } else {
                        onRound = onLoad.closedLoop(HEARTBEAT_AGENT, path, 1, requests, settings.round(), onCpu);
                        offRound = offLoad.closedLoop(HEARTBEAT_AGENT, path, 1, requests, settings.round(), offCpu);
                    }
                    scrape(metricsPort);
                    offRounds.add(offRound);
                    onRounds.add(onRound);
                    double ratio = onRound.result().callsPerSecond() / offRound.result().callsPerSecond();
                    ratios.add(ratio);
                    double cpuRatio = cpuMicrosPerCall(offRound.result()) / cpuMicrosPerCall(onRound.result());
                    cpuRatios.add(cpuRatio);
                    progress.say(String.format("metrics-cost: round %d  off %,8.0f calls/s %5.1f us CPU/call  on %,8.0f calls/s %5.1f us CPU/call  "
                            + "rate on/off %5.1f%%  CPU off/on %5.1f%%", round + 1, offRound.result().callsPerSecond(),
                            cpuMicrosPerCall(offRound.result()), onRound.result().callsPerSecond(), cpuMicrosPerCall(onRound.result()),
                            ratio * 100, cpuRatio * 100));
                }
                LoadResult offResult = LoadResult.combine(offRounds);
                LoadResult onResult = LoadResult.combine(onRounds);
                double renewals = renewals(scrape(metricsPort));
                double cpuOff = cpuMicrosPerCall(offResult);
                double cpuOn = cpuMicrosPerCall(onResult);
                Result result = new Result(settings, offResult, onResult, onResult.callsPerSecond() / offResult.callsPerSecond(), ratios, cpuOff,
                        cpuOn, cpuOff / cpuOn, cpuRatios, renewals);
                progress.say(String.format("metrics-cost: HeartbeatAgent off %,.0f calls/s %.1f us CPU/call, on %,.0f calls/s %.1f us CPU/call: "
                        + "rate on/off %.1f%% (rounds %s), CPU off/on %.1f%% (rounds %s); errors off %d on %d; renewals counted %,.0f",
                        offResult.callsPerSecond(), cpuOff, onResult.callsPerSecond(), cpuOn, result.ratio() * 100, percents(ratios),
                        result.cpuRatio() * 100, percents(cpuRatios), offResult.errorCount(), onResult.errorCount(), renewals));
                return result;
            } finally {
                offLoad.close();
                onLoad.close();
            }
        }
    }

    /** The registry process' CPU time per call, in microseconds. */
    static double cpuMicrosPerCall(LoadResult result) {
        return result.cpu().registryCores() * result.seconds() * 1e6 / result.calls();
    }

    private static List<String> percents(List<Double> ratios) {
        return ratios.stream().map(r -> String.format("%.1f%%", r * 100)).toList();
    }

    static void register(RegistryClient.Target target, Settings settings) throws InterruptedException {
        try (RegistryClient client = RegistryClient.connect(target, SuiteProfile.CONNECTIONS, SuiteProfile.CALL_DEADLINE)) {
            Bulk.run("RegisterRelay", settings.relays(), 64, r -> client.registry().registerRelay(RegisterRelayRequest.newBuilder()
                    .setRelay(Relay.newBuilder().setRelayId(Ids.relay(r)).setAddress("10.0.0." + (r % 250 + 1)).setGrpcPort(7443)).build()));
            Bulk.run("RegisterAgent", settings.relays() * settings.agentsPerRelay(), 64, i -> client.registry().registerAgent(
                    RegisterAgentRequest.newBuilder().setAgent(Agent.newBuilder().setAgentId(Ids.agent(i)))
                            .setRelayId(Ids.relay(i / settings.agentsPerRelay())).build()));
        }
    }

    /** Unfenced, as old relays send them, so both registries get the very same requests. */
    private static LeanLoad.Requests heartbeats(Settings settings) {
        List<HeartbeatAgentRequest> requests = new ArrayList<>();
        for (int i = 0; i < settings.relays() * settings.agentsPerRelay(); i++) {
            requests.add(HeartbeatAgentRequest.newBuilder().setAgentId(Ids.agent(i)).build());
        }
        return LeanLoad.Requests.anyOf(requests);
    }

    private static String scrape(int port) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET /metrics answered " + response.statusCode());
        }
        return response.body();
    }

    private static double renewals(String metrics) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith("registry_agent_renewals_total ")) {
                return Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
            }
        }
        return 0;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
