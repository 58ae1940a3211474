package io.aeroarc.registry.bench;

import io.grpc.health.v1.HealthCheckRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Shows the bench's client is not the bottleneck: the health Check from h2load and from the
 * bench's lean client ({@link LeanLoad}), in alternating rounds on the same server, so both see
 * the same machine. The bench's rates count when its client reaches {@link #REQUIRED_SHARE} of
 * h2load's.
 */
final class ClientProof {

    static final double REQUIRED_SHARE = 0.80;
    static final String CHECK_PATH = "/grpc.health.v1.Health/Check";

    /** @param warmup of the bench client on Check before the first round, for the JIT: h2load needs none */
    record Settings(H2Load.Settings h2load, Duration warmup, int rounds, Phases round) {}

    /**
     * @param h2load h2load's Check over all its rounds; null when h2load is not installed
     * @param lean the bench client's Check over its rounds
     * @param share the bench client's rate over h2load's; NaN without h2load
     */
    record Result(H2Load.Settings h2loadSettings, LeanLoad.Settings leanSettings, String transport, LoadResult h2load, LoadResult lean,
            double share) {

        boolean proven() {
            return share >= REQUIRED_SHARE;
        }
    }

    private ClientProof() {}

    /** This process' processor time per successful call: what the bench client costs. */
    static double clientMicrosPerCall(LoadResult result) {
        return result.calls() == 0 || result.cpu() == null ? Double.NaN
                : result.cpu().loadGeneratorCores() * result.seconds() * 1e6 / result.calls();
    }

    static Result run(RegistryClient.Target target, LeanLoad lean, Settings settings, CpuMeter cpu, Progress progress)
            throws InterruptedException {
        boolean h2loadAvailable = H2Load.available();
        if (!h2loadAvailable) {
            progress.say("client: h2load is not installed (apt package nghttp2-client); the bench client is not compared");
        }
        LeanLoad.Requests check = LeanLoad.Requests.anyOf(List.of(HealthCheckRequest.getDefaultInstance()));
        lean.closedLoop(MaxScenario.CHECK, CHECK_PATH, 1, check, new Phases(settings.warmup(), Duration.ZERO), cpu);
        List<LoadResult.Measured> h2loadRounds = new ArrayList<>();
        List<LoadResult.Measured> leanRounds = new ArrayList<>();
        for (int round = 0; round < settings.rounds(); round++) {
            if (h2loadAvailable) {
                h2loadRounds.add(H2Load.check(target, settings.h2load(), settings.round(), cpu));
            }
            leanRounds.add(lean.closedLoop(MaxScenario.CHECK, CHECK_PATH, 1, check, settings.round(), cpu));
        }
        LoadResult leanResult = LoadResult.combine(leanRounds);
        LoadResult h2loadResult = h2loadAvailable ? LoadResult.combine(h2loadRounds) : null;
        double share = h2loadAvailable ? leanResult.callsPerSecond() / h2loadResult.callsPerSecond() : Double.NaN;
        progress.say(String.format("client: Check from h2load %,10.0f calls/s, from the bench client %,10.0f calls/s: %5.1f%% (needs %.0f%%);"
                + " bench client processor time %.1f µs per call",
                h2loadAvailable ? h2loadResult.callsPerSecond() : Double.NaN, leanResult.callsPerSecond(), share * 100, REQUIRED_SHARE * 100,
                clientMicrosPerCall(leanResult)));
        return new Result(settings.h2load(), lean.settings(), lean.transport(), h2loadResult, leanResult, share);
    }
}
