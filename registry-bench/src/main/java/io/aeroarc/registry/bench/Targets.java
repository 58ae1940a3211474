package io.aeroarc.registry.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The targets for this machine, checked against one run. Which apply depends on the
 * backend; the memory backend's heap and scaling targets are checked in every run, since every
 * run measures them.
 */
final class Targets {

    static final double CEILING_SHARE_MEMORY = 0.90;
    static final double HEARTBEAT_AGENT_SHARED_STORAGE = 10_000;
    static final double OPEN_LOOP_P99_MICROS = 2000;
    static final double BATCH_RENEWALS_MEMORY = 500_000;
    static final double BATCH_RENEWALS_REDIS = 100_000;
    static final double SCALING_FACTOR = 1.2;
    static final double HEAP_BYTES_PER_AGENT = 300;
    static final double RAW_SHARE_REDIS = 0.50;
    /** Issue 10: a lone call pays nothing for coalescing; 5% is this machine's round-to-round noise on a p50. */
    static final double LONE_CALL_P50_FACTOR = 1.05;
    static final double REDIS_SHARE_OF_MEMORY = 0.60;
    static final double REDIS_CEILING_SHARE = 0.50;
    static final double HEARTBEAT_AGENT_POSTGRES = 20_000;

    private Targets() {}

    static List<TargetCheck> evaluate(SuiteReport report) {
        List<TargetCheck> checks = new ArrayList<>();
        boolean memory = report.backend().equals("memory");
        boolean redis = report.backend().equals("redis");
        MaxScenario.Result max = report.max();
        String clientTarget = "bench client ≥ 80% of h2load's Check rate (not the bottleneck)";
        if (max == null) {
            checks.add(TargetCheck.notMeasured(clientTarget, "max did not run"));
        } else if (max.client().h2load() == null) {
            checks.add(TargetCheck.notMeasured(clientTarget, "h2load is not installed (apt package nghttp2-client)"));
        } else {
            checks.add(TargetCheck.atLeast(clientTarget, max.client().share(), ClientProof.REQUIRED_SHARE, Targets::share,
                    String.format(Locale.ROOT, "bench %,.0f calls/s, h2load %,.0f calls/s, alternating rounds on the same registry",
                            max.client().lean().callsPerSecond(), max.client().h2load().callsPerSecond())));
        }
        if (report.backend().equals("etcd") || report.backend().equals("postgres")) {
            String target = "HeartbeatAgent ≥ 10,000 calls/s";
            checks.add(max == null ? TargetCheck.notMeasured(target, "max did not run")
                    : TargetCheck.atLeast(target, max.rpc(MaxScenario.HEARTBEAT_AGENT).rpc().callsPerSecond(),
                            HEARTBEAT_AGENT_SHARED_STORAGE, Targets::rate,
                            phaseEvidence(max.rpc(MaxScenario.HEARTBEAT_AGENT), report.profile())));
        }
        if (report.backend().equals("postgres")) {
            String target = "HeartbeatAgent ≥ 20,000 calls/s (issue 17)";
            checks.add(max == null ? TargetCheck.notMeasured(target, "max did not run")
                    : TargetCheck.atLeast(target, max.rpc(MaxScenario.HEARTBEAT_AGENT).rpc().callsPerSecond(), HEARTBEAT_AGENT_POSTGRES,
                            Targets::rate, phaseEvidence(max.rpc(MaxScenario.HEARTBEAT_AGENT), report.profile())));
        }
        if (redis) {
            String target = "HeartbeatAgent ≥ 50% of the health-Check ceiling (issue 17)";
            checks.add(max == null ? TargetCheck.notMeasured(target, "max did not run")
                    : TargetCheck.atLeast(target, max.rpc(MaxScenario.HEARTBEAT_AGENT).share(), REDIS_CEILING_SHARE, Targets::share,
                            phaseEvidence(max.rpc(MaxScenario.HEARTBEAT_AGENT), report.profile())));
        }
        checks.addAll(compareChecks(report.compare(), redis));
        if (memory) {
            for (String rpc : List.of(MaxScenario.HEARTBEAT_AGENT, MaxScenario.GET_AGENT_PLACEMENT)) {
                checks.add(max == null ? TargetCheck.notMeasured(rpc + " ≥ 90% of the health-Check ceiling", "max did not run")
                        : TargetCheck.atLeast(rpc + " ≥ 90% of the health-Check ceiling", max.rpc(rpc).share(), CEILING_SHARE_MEMORY,
                                Targets::share, phaseEvidence(max.rpc(rpc), report.profile())));
            }
            for (String rpc : MaxScenario.OPEN_LOOP_RPCS) {
                Optional<MaxScenario.OpenLoopPair> open = max == null ? Optional.empty() : max.openLoop(rpc);
                checks.add(open.isEmpty() ? TargetCheck.notMeasured(rpc + " p99 ≤ 2 ms at half its max rate", "max did not run")
                        : TargetCheck.atMost(rpc + " p99 ≤ 2 ms at half its max rate (open loop, "
                                + String.format(Locale.ROOT, "%,.0f/s", open.get().rpc().requestedPerSecond()) + ")",
                                open.get().rpc().load().latency().p99Micros(), OPEN_LOOP_P99_MICROS, Targets::micros,
                                openLoopEvidence(open.get())));
            }
        }
        if (memory || redis) {
            double threshold = memory ? BATCH_RENEWALS_MEMORY : BATCH_RENEWALS_REDIS;
            String target = String.format(Locale.ROOT, "HeartbeatAgents ≥ %,.0f agent renewals/s", threshold);
            checks.add(max == null ? TargetCheck.notMeasured(target, "max did not run")
                    : TargetCheck.atLeast(target, max.rpc(MaxScenario.HEARTBEAT_AGENTS).rpc().unitsPerSecond(), threshold, Targets::rate,
                            phaseEvidence(max.rpc(MaxScenario.HEARTBEAT_AGENTS), report.profile())));
        }
        if (redis) {
            Optional<MaxScenario.RawComparison> raw = max == null ? Optional.empty() : max.raw(RawRedisBaseline.HEARTBEAT);
            String target = "HeartbeatAgent ≥ 50% of the raw Jedis baseline";
            checks.add(raw.isEmpty() ? TargetCheck.notMeasured(target, "max did not run")
                    : TargetCheck.atLeast(target, raw.get().share(), RAW_SHARE_REDIS, Targets::share, String.format(Locale.ROOT,
                            "registry %,.0f calls/s (%s; registry CPU per call %.1f µs), raw %,.0f calls/s (%s), in the same rounds",
                            raw.get().rpc().callsPerSecond(), cpu(raw.get().rpc().cpu()), raw.get().rpc().registryCpuMicrosPerCall(),
                            raw.get().raw().callsPerSecond(), cpu(raw.get().raw().cpu()))));
        }
        checks.addAll(jmhScalingChecks(report.jmh()));
        if (memory && report.scale() != null) {
            checks.addAll(endToEndScalingChecks(report.scale()));
        }
        HeapMeasurement.Result heap = report.heap();
        checks.add(heap == null ? TargetCheck.notMeasured("memory backend heap ≤ 300 bytes per placed agent", "heap did not run")
                : TargetCheck.atMost(String.format(Locale.ROOT, "memory backend heap ≤ 300 bytes per placed agent (%,d agents on %,d relays)",
                        heap.agents(), heap.relays()), heap.bytesPerAgent(), HEAP_BYTES_PER_AGENT,
                        value -> String.format(Locale.ROOT, "%.0f B", value),
                        String.format(Locale.ROOT, "%.0f B per agent without the relays; %s", heap.agentBytesPerAgent(), heap.jvm())));
        FleetScenario.Result fleet = report.fleet();
        String fleetTarget = fleet == null ? "fleet: zero false expiries"
                : String.format(Locale.ROOT, "fleet %,d relays × %,d agents every %s for %s: zero false expiries",
                        fleet.settings().relays(), fleet.settings().agentsPerRelay(), fleet.settings().interval().toSeconds() + " s",
                        fleet.settings().duration().toSeconds() + " s");
        checks.add(fleet == null ? TargetCheck.notMeasured(fleetTarget, "fleet did not run")
                : TargetCheck.atMost(fleetTarget, fleet.falseExpiries() + fleet.falseRelayExpiries(), 0,
                        value -> String.format(Locale.ROOT, "%.0f", value),
                        String.format(Locale.ROOT, "%d agent and %d relay false expiries, %d late sends, errors %s; %s",
                                fleet.falseExpiries(), fleet.falseRelayExpiries(), fleet.lateSends(), fleet.errors(), cpu(fleet.cpu()))));
        if (fleet != null) {
            long errorCount = fleet.errors().values().stream().mapToLong(Long::longValue).sum();
            checks.add(TargetCheck.atMost(fleetTarget.replace("zero false expiries", "sustained: every send made and answered"),
                    fleet.notSent() + errorCount, 0, value -> String.format(Locale.ROOT, "%,.0f", value),
                    String.format(Locale.ROOT, "%,d sends skipped at %,d calls in flight, %,d errors %s; %,.0f heartbeat calls/s",
                            fleet.notSent(), FleetScenario.MAX_IN_FLIGHT, errorCount, fleet.errors(),
                            fleet.heartbeatCalls() / fleet.seconds())));
        }
        if (fleet != null && FLEET_WINDOW_P99_MICROS.containsKey(report.backend())) {
            double bound = FLEET_WINDOW_P99_MICROS.get(report.backend());
            double worst = fleet.windows().stream().filter(window -> window.startSecond() >= 0)
                    .mapToDouble(FleetScenario.Window::p99Micros).max().orElse(Double.NaN);
            String target = "fleet p99 ≤ " + micros(bound) + " in every 10 s window of the steady run (issue 17)";
            checks.add(Double.isNaN(worst) ? TargetCheck.notMeasured(target, "no full window in the steady run")
                    : TargetCheck.atMost(target, worst, bound, Targets::micros, String.format(Locale.ROOT,
                            "worst window's p99 %s; p99 of the whole run %s (heartbeats), %s (lookups)", micros(worst),
                            micros(fleet.heartbeatLatency().p99Micros()), micros(fleet.lookupLatency().p99Micros()))));
        }
        FleetScenario.Result restart = report.restart();
        if (restart != null && restart.restart() != null) {
            FleetScenario.RestartResult outcome = restart.restart();
            String target = "storage restart under the per-agent fleet: every agent placed again, 0 false expiries (issue 11)";
            long shortfall = restart.settings().agents() - outcome.agentsPlacedAgain() + restart.falseExpiries() + restart.falseRelayExpiries();
            checks.add(TargetCheck.atMost(target, shortfall, 0, value -> String.format(Locale.ROOT, "%,.0f", value),
                    String.format(Locale.ROOT, "%,d of %,d agents placed again %s after the storage answered; peak %,d call attempts/s "
                            + "(steady %,.0f); %d / %d false expiries", outcome.agentsPlacedAgain(), restart.settings().agents(),
                            outcome.secondsUntilPlaced() < 0 ? "(not all within the run)"
                                    : String.format(Locale.ROOT, "%.1f s", outcome.secondsUntilPlaced()),
                            outcome.peakAttemptsPerSecond(), outcome.attemptsPerSecondBefore(), restart.falseExpiries(),
                            restart.falseRelayExpiries())));
        }
        FleetScenario.Result big = report.bigFleet();
        if (big != null) {
            checks.add(TargetCheck.atMost(String.format(Locale.ROOT, "%,d-agent per-agent fleet sustained (issue 10: tried and reported)",
                    big.settings().agents()), big.notSent() + big.errors().values().stream().mapToLong(Long::longValue).sum()
                    + big.falseExpiries() + big.falseRelayExpiries(), 0, value -> String.format(Locale.ROOT, "%,.0f", value),
                    BackendRow.fleetCell(big) + String.format(Locale.ROOT, "; %,.0f renewals/s; %s", big.renewalsPerSecond(), cpu(big.cpu()))));
        }
        return checks;
    }

    /** Issue 10: lone calls no slower with coalescing; on Redis, HeartbeatAgent against a memory registry. */
    private static List<TargetCheck> compareChecks(CompareScenario.Result compare, boolean redis) {
        List<TargetCheck> checks = new ArrayList<>();
        for (String rpc : List.of(CompareScenario.HEARTBEAT_AGENT, CompareScenario.GET_AGENT_PLACEMENT)) {
            String target = "lone-call " + rpc + " p50 with coalescing ≤ 1.05× without (issue 10)";
            Optional<CompareScenario.Comparison> lone = compare == null ? Optional.empty()
                    : compare.lone().stream().filter(comparison -> comparison.rpc().equals(rpc)).findFirst();
            checks.add(lone.isEmpty() ? TargetCheck.notMeasured(target, "compare did not run")
                    : TargetCheck.atMost(target, lone.get().p50Ratio(), LONE_CALL_P50_FACTOR, Targets::factor, String.format(Locale.ROOT,
                            "p50 %s with, %s without; p99 %s with, %s without; one caller, alternating rounds",
                            micros(lone.get().subjectLoad().latency().p50Micros()), micros(lone.get().referenceLoad().latency().p50Micros()),
                            micros(lone.get().subjectLoad().latency().p99Micros()),
                            micros(lone.get().referenceLoad().latency().p99Micros()))));
        }
        if (redis) {
            String target = "HeartbeatAgent ≥ 60% of the memory backend's rate in the same run (issue 10)";
            Optional<CompareScenario.Comparison> against = compare == null ? Optional.empty() : compare.againstMemory().stream().findFirst();
            checks.add(against.isEmpty() ? TargetCheck.notMeasured(target, "compare did not run")
                    : TargetCheck.atLeast(target, against.get().rateRatio(), REDIS_SHARE_OF_MEMORY, Targets::share, String.format(Locale.ROOT,
                            "%,.0f calls/s on Redis (%s), %,.0f calls/s on memory (%s), alternating rounds",
                            against.get().subjectLoad().callsPerSecond(), cpu(against.get().subjectLoad().cpu()),
                            against.get().referenceLoad().callsPerSecond(), cpu(against.get().referenceLoad().cpu()))));
        }
        return checks;
    }

    /** Issue 17's bound on the per-agent fleet's p99 in every 10 s window, by backend. */
    static final java.util.Map<String, Double> FLEET_WINDOW_P99_MICROS = java.util.Map.of("redis", 10_000.0, "postgres", 50_000.0,
            "etcd", 100_000.0);

    /** Registry processor time per call at the large size over the small one, over gRPC. */
    private static List<TargetCheck> endToEndScalingChecks(ScaleScenario.Result scale) {
        List<TargetCheck> checks = new ArrayList<>();
        for (ScaleScenario.RpcScaling rpc : scale.rpcs()) {
                String sizes = String.format(Locale.ROOT, "%,d vs %,d agents", scale.settings().largeAgents(), scale.settings().smallAgents());
                checks.add(TargetCheck.atMost("end to end " + rpc.rpc() + " registry CPU per call ≤ 1.2× (" + sizes + ")",
                        rpc.cpuRatio(), SCALING_FACTOR, Targets::factor,
                        String.format(Locale.ROOT, "%.1f µs vs %.1f µs per call; throughput ratio %.2f× (%,.0f vs %,.0f calls/s)",
                                rpc.largeCpuMicros(), rpc.smallCpuMicros(), rpc.throughputRatio(), rpc.largeCallsPerSecond(),
                                rpc.smallCallsPerSecond())));
        }
        return checks;
    }

    /** Memory backend cost per operation through the SPI at the largest size over the smallest. */
    private static List<TargetCheck> jmhScalingChecks(List<JmhRunner.Score> scores) {
        List<TargetCheck> checks = new ArrayList<>();
        if (scores == null) {
            return checks;
        }
        List<String> benchmarks = scores.stream().filter(s -> s.backend().equals("memory")).map(JmhRunner.Score::benchmark)
                .distinct().sorted().toList();
        for (String benchmark : benchmarks) {
            List<JmhRunner.Score> sizes = scores.stream().filter(s -> s.backend().equals("memory") && s.benchmark().equals(benchmark))
                    .sorted((a, b) -> Integer.compare(a.agents(), b.agents())).toList();
            if (sizes.size() < 2) {
                continue;
            }
            JmhRunner.Score small = sizes.get(0);
            JmhRunner.Score large = sizes.get(sizes.size() - 1);
            checks.add(TargetCheck.atMost(String.format(Locale.ROOT, "memory SPI %s cost ≤ 1.2× (%,d vs %,d agents)", benchmark,
                    large.agents(), small.agents()), large.nanosPerOp() / small.nanosPerOp(), SCALING_FACTOR, Targets::factor,
                    String.format(Locale.ROOT, "%,.0f ns vs %,.0f ns per operation (JMH median, one thread)", large.nanosPerOp(),
                            small.nanosPerOp())));
        }
        return checks;
    }

    private static String phaseEvidence(MaxScenario.RpcMax max, JfrProfile profile) {
        LoadResult phase = max.rpc();
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%,.0f calls/s vs Check %,.0f calls/s; %s",
                phase.callsPerSecond(), max.ceiling().callsPerSecond(), cpu(phase.cpu())));
        if (!Double.isNaN(phase.registryCpuMicrosPerCall())) {
            text.append(String.format(Locale.ROOT, "; registry CPU per call %.1f µs vs Check %.1f µs", phase.registryCpuMicrosPerCall(),
                    max.ceiling().registryCpuMicrosPerCall()));
        }
        if (profile != null) {
            profile.phases().stream().filter(p -> p.phase().equals(phase.name())).findFirst().ifPresent(p -> text.append(String.format(
                    Locale.ROOT, "; %.0f%% of registry samples in the backend", p.backendShare() * 100)));
        }
        return text.toString();
    }

    private static String openLoopEvidence(MaxScenario.OpenLoopPair pair) {
        OpenLoopResult open = pair.rpc();
        Latency latency = open.load().latency();
        return String.format(Locale.ROOT, "Check at the same rate: p99 %s; achieved %,.0f/s, p50 %s, p999 %s, max %s, %d not sent; %s",
                micros(pair.check().load().latency().p99Micros()), open.load().callsPerSecond(), micros(latency.p50Micros()),
                micros(latency.p999Micros()), micros(latency.maxMicros()), open.notSent(), cpu(open.load().cpu()));
    }

    static String cpu(CpuUse cpu) {
        if (cpu == null) {
            return "CPU not measured";
        }
        return String.format(Locale.ROOT, "cores busy: registry %.2f, load generator %.2f, storage %.2f, others %.2f",
                cpu.registryCores(), cpu.loadGeneratorCores(), cpu.storageCores(), cpu.otherCores());
    }

    static String share(double value) {
        return String.format(Locale.ROOT, "%.1f%%", value * 100);
    }

    static String rate(double value) {
        return String.format(Locale.ROOT, "%,.0f/s", value);
    }

    static String micros(double value) {
        return value >= 1000 ? String.format(Locale.ROOT, "%.2f ms", value / 1000) : String.format(Locale.ROOT, "%.0f µs", value);
    }

    static String factor(double value) {
        return String.format(Locale.ROOT, "%.2f×", value);
    }
}
