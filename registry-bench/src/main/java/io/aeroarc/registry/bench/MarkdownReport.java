package io.aeroarc.registry.bench;

import io.aeroarc.registry.core.GoDurations;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** {@code report.md}: the figures of one run as tables, targets first. */
final class MarkdownReport {

    private final StringBuilder out = new StringBuilder();

    private MarkdownReport() {}

    static String render(SuiteReport report) {
        MarkdownReport markdown = new MarkdownReport();
        markdown.write(report);
        return markdown.out.toString();
    }

    private void write(SuiteReport report) {
        line("# relay-registry benchmark: `" + report.backend() + "` backend, " + report.mode() + " run");
        line();
        line(report.startedAtUtc() + " · " + String.format(Locale.ROOT, "%.1f minutes", report.minutes())
                + (report.label().isEmpty() ? "" : " · " + report.label()));
        line();
        line("> The load generator and the registry (and its storage server) run on the same machine and share its "
                + report.machine().cores() + " cores; other work on the machine (see the load averages) depresses the absolute "
                + "figures further. The headline numbers are ratios against baselines measured in the same run: the health-Check "
                + "ceiling of the same gRPC server, and the raw storage client.");
        line();
        machine(report);
        backendRow(report);
        if (!report.notRun().isEmpty()) {
            line("## Parts that do not apply to this backend");
            line();
            for (String note : report.notRun()) {
                line("- " + note);
            }
            line();
        }
        if (!report.sizing().isEmpty()) {
            line("## Sized down on this backend");
            line();
            for (String note : report.sizing()) {
                line("- " + note);
            }
            line();
        }
        targets(report.targets());
        if (report.max() != null) {
            max(report.max());
        }
        if (report.max() != null && !report.max().raw().isEmpty()) {
            raw(report.max());
        }
        if (report.compare() != null) {
            compare(report.compare());
        }
        if (report.scale() != null) {
            scale(report.scale());
        }
        if (report.jmh() != null) {
            jmh(report.jmh());
        }
        if (report.heap() != null) {
            heap(report.heap());
        }
        if (report.fleet() != null) {
            fleet("Fleet", report.fleet(), report.fleetRegistryResidentBytes());
        }
        if (report.restart() != null) {
            fleet("Fleet through a storage restart (state lost)", report.restart(), -1);
        }
        if (report.bigFleet() != null) {
            fleet("Million-agent fleet", report.bigFleet(), -1);
        }
        if (report.profile() != null) {
            profile(report.profile());
        }
        reading();
    }

    private void machine(SuiteReport report) {
        MachineFacts machine = report.machine();
        line("## Machine");
        line();
        table(List.of("", ""), List.of(
                List.of("CPU", machine.cpuModel() + ", " + machine.cores() + " cores"),
                List.of("Memory", String.format(Locale.ROOT, "%.1f GiB", machine.memoryBytes() / (double) (1L << 30))),
                List.of("OS", machine.os() + " (" + machine.kernel() + ")"),
                List.of("JDK", machine.jdk()),
                List.of("Load average before (1, 5, 15 min)", loads(machine.loadAverage())),
                List.of("Load average after", loads(report.loadAverageAfter())),
                List.of("Registry", "`" + report.registry() + "`"),
                List.of("Storage", report.storage())));
    }

    private void targets(List<TargetCheck> targets) {
        line("## Targets");
        line();
        List<List<String>> rows = new ArrayList<>();
        for (TargetCheck target : targets) {
            rows.add(List.of(target.target(), target.measured(), switch (target.verdict()) {
                case MET -> "met";
                case MISSED -> "**missed**";
                case NOT_MEASURED -> "not measured";
            }, target.margin(), target.evidence()));
        }
        table(List.of("target", "measured", "verdict", "margin", "evidence"), rows);
    }

    private void max(MaxScenario.Result max) {
        MaxScenario.Settings settings = max.settings();
        line("## Max throughput (closed loop)");
        line();
        clientProof(max.client());
        LeanLoad.Settings lean = max.client().leanSettings();
        line(String.format(Locale.ROOT, "%,d relays × %,d agents registered through the API in %.1f s. The bench's lean client, %d "
                + "calls in flight over %d connections, one RPC at a time, each call on a random relay or agent (requests serialized "
                + "before the run; a call counts by its grpc-status alone). Per RPC: %s of warm-up, then %d round(s) of the standard "
                + "health `Check` on the same server (the ceiling) and the RPC, each %s warm-up and %s measured; the share is the RPC's "
                + "rate over Check's in the same rounds.", settings.relays(), settings.agentsPerRelay(), max.setupSeconds(),
                lean.concurrency(), lean.connections(), seconds(settings.firstWarmup()), settings.rounds(),
                seconds(settings.round().warmup()), seconds(settings.round().measure())));
        line();
        List<List<String>> rows = new ArrayList<>();
        for (MaxScenario.RpcMax rpc : max.rpcs()) {
            LoadResult load = rpc.rpc();
            rows.add(loadRow(load.name() + (load.unitsPerCall() > 1 ? " (" + load.unitsPerCall() + " per call)" : ""), load,
                    Targets.share(rpc.share())));
            rows.add(loadRow("Check, same rounds", rpc.ceiling(), ""));
        }
        table(List.of("RPC", "calls/s", "items/s", "of ceiling", "p50", "p99", "p99.9", "registry CPU/call",
                "cores: registry / loadgen / storage / others", "errors"), rows);
        line("ListAgents asks for the first page of " + settings.listPageSize() + " of a random relay; RegisterAgent moves a random "
                + "agent to the next relay (a new epoch: the expensive path); HeartbeatAgent sends the relay and epoch as a fence.");
        line();
        line("### Open loop at half the max rate");
        line();
        line(String.format(Locale.ROOT, "Calls due at a fixed rate; latency counts from when each call was due. Each RPC runs next to "
                + "`Check` at the same rate, whose latency is what gRPC on this machine allows. %s warm-up, %s measured, at most "
                + "%,d calls in flight.", seconds(settings.openLoop().warmup()), seconds(settings.openLoop().measure()),
                settings.maxInFlight()));
        line();
        List<List<String>> openRows = new ArrayList<>();
        for (MaxScenario.OpenLoopPair pair : max.openLoops()) {
            openRows.add(openLoopRow(pair.rpc()));
            openRows.add(openLoopRow(pair.check()));
        }
        table(List.of("RPC", "requested/s", "achieved/s", "p50", "p99", "p99.9", "max", "not sent", "errors",
                "cores: registry / loadgen / storage / others"), openRows);
    }

    /** The h2load comparison: whether the rates of this report are the registry's or the client's. */
    private void clientProof(ClientProof.Result client) {
        line("### The load generator is not the bottleneck");
        line();
        LeanLoad.Settings lean = client.leanSettings();
        H2Load.Settings h2load = client.h2loadSettings();
        if (client.h2load() == null) {
            line("h2load (apt package nghttp2-client) was not installed: the bench client's own Check rate is "
                    + number(client.lean().callsPerSecond()) + " calls/s, not compared with anything. **Not proven.**");
            line();
            return;
        }
        line(String.format(Locale.ROOT, "The standard health `Check` from h2load (nghttp2's C load generator; %d connections × %d "
                + "streams, %d threads) and from the bench's lean client (%d connections × %d streams, %d %s event loop threads), in "
                + "%d alternating rounds on the same registry.", h2load.connections(), h2load.streams(), h2load.threads(),
                lean.connections(), lean.streams(), lean.threads(), client.transport(), client.lean().windows().size()));
        line();
        table(List.of("client", "Check calls/s", "p50", "p99", "errors"), List.of(
                List.of("h2load", number(client.h2load().callsPerSecond()), "–", "–", errors(client.h2load().errors())),
                List.of("bench (lean client)", number(client.lean().callsPerSecond()), Targets.micros(client.lean().latency().p50Micros()),
                        Targets.micros(client.lean().latency().p99Micros()), errors(client.lean().errors()))));
        line(String.format(Locale.ROOT, "The bench client reaches **%.1f%%** of h2load's rate (needs %.0f%%): %s", client.share() * 100,
                ClientProof.REQUIRED_SHARE * 100, client.proven() ? "**proven not the bottleneck**; the rates below are the registry's."
                        : "**not proven**; the rates below may be the client's."));
        line();
    }

    private void compare(CompareScenario.Result compare) {
        CompareScenario.Settings settings = compare.settings();
        line("## Lone calls, and against memory");
        line();
        line(String.format(Locale.ROOT, "Two registries in %d alternating rounds of %s each, after %s of warm-up on each, %,d agents on "
                + "%,d relays registered on both. Lone call: one caller with one call in flight (the lean client, one connection, "
                + "one stream), with coalescing on and off (`--coalesce-batch-size 0`) on the same storage server. Against "
                + "memory: HeartbeatAgent at its max (%d connections × %d streams) here and on a memory registry.", settings.rounds(),
                GoDurations.format(settings.round().measure()), GoDurations.format(settings.warmup()), settings.agents(), settings.relays(),
                SuiteProfile.LEAN.connections(), SuiteProfile.LEAN.streams()));
        line();
        List<List<String>> rows = new ArrayList<>();
        List<CompareScenario.Comparison> all = new ArrayList<>(compare.lone());
        all.addAll(compare.againstMemory());
        for (CompareScenario.Comparison comparison : all) {
            for (boolean subject : new boolean[] {true, false}) {
                LoadResult load = subject ? comparison.subjectLoad() : comparison.referenceLoad();
                rows.add(List.of(comparison.rpc(), subject ? comparison.subject() : comparison.reference(), number(load.callsPerSecond()),
                        Targets.micros(load.latency().p50Micros()), Targets.micros(load.latency().p99Micros()), errors(load.errors()),
                        cores(load.cpu())));
            }
        }
        table(List.of("RPC", "registry", "calls/s", "p50", "p99", "errors", "cores"), rows);
    }

    private static List<String> openLoopRow(OpenLoopResult open) {
        Latency latency = open.load().latency();
        return List.of(open.load().name(), number(open.requestedPerSecond()), number(open.load().callsPerSecond()),
                Targets.micros(latency.p50Micros()), Targets.micros(latency.p99Micros()), Targets.micros(latency.p999Micros()),
                Targets.micros(latency.maxMicros()), Long.toString(open.notSent()), errors(open.load().errors()), cores(open.load().cpu()));
    }

    private void raw(MaxScenario.Result max) {
        line("## Raw storage baseline");
        line();
        line("The storage work of one registry call, sent straight to the storage server from this process by " + max.settings().rawThreads()
                + " blocking threads (one connection each), alternating in rounds with the registry RPC it stands for. The "
                + "registry's rate over it is its efficiency over its storage.");
        line();
        List<List<String>> rows = new ArrayList<>();
        for (MaxScenario.RawComparison comparison : max.raw()) {
            rows.add(loadRow(comparison.raw().name() + ": " + comparison.description(), comparison.raw(), ""));
            rows.add(loadRow(comparison.rpc().name() + ", same rounds", comparison.rpc(), Targets.share(comparison.share())));
        }
        table(List.of("loop", "calls/s", "items/s", "of raw", "p50", "p99", "p99.9", "registry CPU/call",
                "cores: registry / loadgen / storage / others", "errors"), rows);
    }

    private void scale(ScaleScenario.Result scale) {
        ScaleScenario.Settings settings = scale.settings();
        line("## Scaling end to end (gRPC)");
        line();
        line(String.format(Locale.ROOT, "Two registries, one with %,d and one with %,d placements (%d per relay; the large one "
                + "registered in %.0f s), loaded alternately, %d round(s) each, %d callers, %s warm-up and %s measured per round. "
                + "Agents picked uniformly at random among all placements. Medians over the rounds.", settings.smallAgents(),
                settings.largeAgents(), ScaleScenario.AGENTS_PER_RELAY, scale.largeSetupSeconds(), settings.rounds(),
                settings.concurrency(), seconds(settings.phases().warmup()), seconds(settings.phases().measure())));
        line();
        List<List<String>> rows = new ArrayList<>();
        for (ScaleScenario.RpcScaling rpc : scale.rpcs()) {
            rows.add(List.of(rpc.rpc(), number(rpc.smallCallsPerSecond()), number(rpc.largeCallsPerSecond()),
                    Targets.factor(rpc.throughputRatio()), String.format(Locale.ROOT, "%.1f µs", rpc.smallCpuMicros()),
                    String.format(Locale.ROOT, "%.1f µs", rpc.largeCpuMicros()), Targets.factor(rpc.cpuRatio())));
        }
        table(List.of("RPC", String.format(Locale.ROOT, "calls/s at %,d", settings.smallAgents()),
                String.format(Locale.ROOT, "calls/s at %,d", settings.largeAgents()), "cost growth (throughput)",
                "registry CPU/call small", "registry CPU/call large", "cost growth (CPU)"), rows);
    }

    private void jmh(List<JmhRunner.Score> scores) {
        line("## Backend operations through the SPI (JMH)");
        line();
        line("Time per operation, one thread, `SpiBenchmarks` (see the bench README for the access pattern): the median of the "
                + "measurement iterations, and in brackets JMH's mean ± its 99.9% confidence interval. `heartbeatAgents100` renews "
                + "100 agents per operation; `registerAgentMove` is per move.");
        line();
        TreeSet<Integer> sizes = scores.stream().map(JmhRunner.Score::agents).collect(Collectors.toCollection(TreeSet::new));
        Map<String, Map<Integer, JmhRunner.Score>> byRow = new TreeMap<>();
        for (JmhRunner.Score score : scores) {
            byRow.computeIfAbsent(score.backend() + " " + score.benchmark(), key -> new TreeMap<>()).put(score.agents(), score);
        }
        List<String> header = new ArrayList<>(List.of("backend", "operation"));
        sizes.forEach(size -> header.add(String.format(Locale.ROOT, "%,d agents", size)));
        header.add(String.format(Locale.ROOT, "%,d ÷ %,d", sizes.last(), sizes.first()));
        List<List<String>> rows = new ArrayList<>();
        byRow.forEach((key, bySize) -> {
            List<String> row = new ArrayList<>(Arrays.asList(key.split(" ", 2)));
            for (int size : sizes) {
                JmhRunner.Score score = bySize.get(size);
                row.add(score == null ? "-" : nanos(score.nanosPerOp()) + " (" + nanos(score.meanNanos())
                        + (Double.isNaN(score.errorNanos()) ? "" : " ± " + nanos(score.errorNanos())) + ")");
            }
            JmhRunner.Score small = bySize.get(sizes.first());
            JmhRunner.Score large = bySize.get(sizes.last());
            row.add(small == null || large == null ? "-" : Targets.factor(large.nanosPerOp() / small.nanosPerOp()));
            rows.add(row);
        });
        table(header, rows);
    }

    private void heap(HeapMeasurement.Result heap) {
        line("## Heap of the memory backend");
        line();
        line(String.format(Locale.ROOT, "Live heap after full collections in a JVM of its own: %,d agents on %,d relays (%s). "
                + "Empty backend %,.1f MiB, with the relays %,.1f MiB, with the agents %,.1f MiB: **%.0f bytes per placed agent** "
                + "(%.0f without the relays' share). %s.", heap.agents(), heap.relays(), heap.idShape(), mib(heap.emptyBytes()),
                mib(heap.withRelaysBytes()), mib(heap.fullBytes()), heap.bytesPerAgent(), heap.agentBytesPerAgent(), heap.jvm()));
        line();
    }

    /** This backend's row of issue 17's table: max rates as shares of Check, and the per-agent fleet's verdict. */
    private void backendRow(SuiteReport report) {
        line("## Summary");
        line();
        table(BackendRow.HEADER, List.of(BackendRow.of(report)));
    }

    private void fleet(String title, FleetScenario.Result fleet, long residentBytes) {
        FleetScenario.Settings settings = fleet.settings();
        line("## " + title);
        line();
        line(String.format(Locale.ROOT, "%,d relays × %,d agents, %s heartbeats every %s, %,.0f lookups/s (GetAgentPlacement of random "
                + "agents), for %s after %d interval(s) in which the agents register, a share of the relays in each; TTLs %s (agents) "
                + "and %s (relays). Every send is due at a fixed slot, spread evenly over the interval.", settings.relays(),
                settings.agentsPerRelay(), settings.batched() ? "batched (one HeartbeatAgents per relay)" : "per-agent (one HeartbeatAgent per agent)",
                seconds(settings.interval()), settings.lookupsPerSecond(), seconds(settings.duration()), settings.registrationWaves(),
                seconds(settings.agentTtl()), seconds(settings.relayTtl())));
        line();
        table(List.of("", ""), List.of(
                List.of("false expiries (agents / relays)", "**" + fleet.falseExpiries() + " / " + fleet.falseRelayExpiries() + "**"),
                List.of("expected expiries (client late by a TTL)", Long.toString(fleet.expectedExpiries())),
                List.of("agents registered / registered again", number(fleet.agentsRegistered()) + " / " + fleet.reRegistrations()),
                List.of("heartbeat calls/s", number(fleet.heartbeatCalls() / fleet.seconds())),
                List.of("agent renewals/s", number(fleet.renewalsPerSecond())),
                List.of("relay heartbeats", number(fleet.relayHeartbeats())),
                List.of("lookups/s", number(fleet.lookups() / fleet.seconds())),
                List.of("errors", errors(fleet.errors())),
                List.of("heartbeat latency from slot p50 / p99 / p99.9 / max", latencies(fleet.heartbeatLatency())),
                List.of("lookup latency from slot p50 / p99 / p99.9 / max", latencies(fleet.lookupLatency())),
                List.of("load generator lag behind slots p99 / max; late (> 1 s) sends", Targets.micros(fleet.senderLag().p99Micros()) + " / "
                        + Targets.micros(fleet.senderLag().maxMicros()) + "; " + fleet.lateSends()),
                List.of("sends skipped at " + number(FleetScenario.MAX_IN_FLIGHT) + " calls in flight (registry not keeping up)",
                        number(fleet.notSent())),
                List.of("CPU (cores busy)", fleet.cpu() == null ? "-" : String.format(Locale.ROOT,
                        "registry %.2f, load generator %.2f, storage %.2f, others %.2f, whole machine %.2f",
                        fleet.cpu().registryCores(), fleet.cpu().loadGeneratorCores(), fleet.cpu().storageCores(),
                        fleet.cpu().otherCores(), fleet.cpu().machineCores())),
                List.of("registry resident memory at the end", residentBytes < 0 ? "-" : String.format(Locale.ROOT, "%.0f MiB",
                        mib(residentBytes)))));
        if (fleet.restart() != null) {
            FleetScenario.RestartResult restart = fleet.restart();
            line(String.format(Locale.ROOT, "The storage was stopped %.0f s into the steady run and started again at once, empty. Relays "
                    + "re-register lost agents after a jittered wait (uniform from 0 to 0.5 s, doubling per failed try, up to 20 s), and "
                    + "their calls retry UNAVAILABLE and RESOURCE_EXHAUSTED as `docs/retry-service-config.json` says.", restart.afterSeconds()));
            line();
            table(List.of("", ""), List.of(
                    List.of("storage down (stop and start)", String.format(Locale.ROOT, "%.1f s", restart.stoppedSeconds())),
                    List.of("until every agent is placed again (from the storage answering)", restart.secondsUntilPlaced() < 0
                            ? "**not within the run**: " + number(restart.agentsPlacedAgain()) + " of " + number(settings.agents()) + " placed"
                            : String.format(Locale.ROOT, "**%.1f s**", restart.secondsUntilPlaced())),
                    List.of("call attempts/s the registry saw: steady before / peak after", String.format(Locale.ROOT, "%,.0f / **%,d**",
                            restart.attemptsPerSecondBefore(), restart.peakAttemptsPerSecond())),
                    List.of("reports of agents or relays missing, last renewed before the storage came back (expected)", number(restart.lostWithStorage())),
                    List.of("false expiries after the restart (agents / relays)", "**" + fleet.falseExpiries() + " / "
                            + fleet.falseRelayExpiries() + "**"),
                    List.of("failed calls from the stop until every agent was placed again (not in the errors above; NOT_FOUND: an agent's relay not registered again yet)", errors(restart.errors()))));
        }
        windows(fleet.windows());
        if (!fleet.examples().isEmpty()) {
            line("False expiries seen:");
            line();
            fleet.examples().forEach(example -> line("- " + example));
            line();
        }
    }

    /** Latency per window: a stall shows in its window rather than averaging away over the run. */
    private void windows(List<FleetScenario.Window> windows) {
        if (windows.isEmpty()) {
            return;
        }
        line(String.format(Locale.ROOT, "Every heartbeat and lookup answered OK, per %d s window (from its slot; negative windows are the "
                + "start-up, while the agents register):", FleetScenario.WINDOW_SECONDS));
        line();
        List<List<String>> rows = new ArrayList<>();
        for (FleetScenario.Window window : windows) {
            rows.add(List.of(window.startSecond() + " s", number(window.calls()), Targets.micros(window.p50Micros()),
                    Targets.micros(window.p99Micros()), Targets.micros(window.p999Micros()), Targets.micros(window.maxMicros()),
                    number(window.failures()), number(window.reRegistrations())));
        }
        table(List.of("window", "calls", "p50", "p99", "p99.9", "max", "failed or missing", "re-registered"), rows);
    }

    private void profile(JfrProfile profile) {
        line("## Where the registry spends its time (JFR)");
        line();
        line("From the flight recording of the max registry (`" + profile.recording() + "`, JFR default settings). Share of the "
                + "execution samples in each phase by the method on top of the stack, and the share of samples with a backend frame "
                + "anywhere on the stack.");
        line();
        List<List<String>> rows = new ArrayList<>();
        for (JfrProfile.PhaseProfile phase : profile.phases()) {
            rows.add(List.of(phase.phase(), Long.toString(phase.samples()), Targets.share(phase.backendShare()),
                    phase.topFrames().stream().limit(6).map(hot -> "`" + hot.frame() + "` " + Targets.share(hot.share()))
                            .collect(Collectors.joining(", "))));
        }
        table(List.of("phase", "samples", "in backend", "top frames (self)"), rows);
        line("Allocations during the phases by class (sampled weight): " + profile.allocations().stream()
                .map(hot -> "`" + hot.frame() + "` " + Targets.share(hot.share())).collect(Collectors.joining(", ")) + ".");
        line();
    }

    private void reading() {
        line("## Reading this report");
        line();
        line("- **of ceiling**: the RPC's calls/s over the health-Check calls/s of the same server with the same callers: the share "
                + "of what gRPC itself allows on this machine that the registry keeps. Robust to a busy machine, since both suffer.");
        line("- **registry CPU/call**: processor time of the registry process per call (all its threads, gRPC included).");
        line("- **cores**: who used the cores during the phase: the registry, this load generator, the storage server, and "
                + "everything else on the machine (other people's builds).");
        line("- Open-loop latencies count from when a call was due, so a stall shows up instead of being hidden.");
        line("- A fleet **false expiry** is an agent reported missing although its last good heartbeat was sent less than a "
                + "TTL before the answer arrived.");
        line();
    }

    private static List<String> loadRow(String name, LoadResult load, String share) {
        Latency latency = load.latency();
        return List.of(name, number(load.callsPerSecond()), number(load.unitsPerSecond()), share,
                Targets.micros(latency.p50Micros()), Targets.micros(latency.p99Micros()), Targets.micros(latency.p999Micros()),
                Double.isNaN(load.registryCpuMicrosPerCall()) ? "-" : String.format(Locale.ROOT, "%.1f µs", load.registryCpuMicrosPerCall()),
                cores(load.cpu()), errors(load.errors()));
    }

    private static String cores(CpuUse cpu) {
        return cpu == null ? "-" : String.format(Locale.ROOT, "%.2f / %.2f / %.2f / %.2f", cpu.registryCores(), cpu.loadGeneratorCores(),
                cpu.storageCores(), cpu.otherCores());
    }

    private static String errors(Map<String, Long> errors) {
        return errors.isEmpty() ? "0" : errors.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    private static String latencies(Latency latency) {
        return Targets.micros(latency.p50Micros()) + " / " + Targets.micros(latency.p99Micros()) + " / "
                + Targets.micros(latency.p999Micros()) + " / " + Targets.micros(latency.maxMicros());
    }

    private static String nanos(double value) {
        return value >= 10_000 ? String.format(Locale.ROOT, "%,.1f µs", value / 1000) : String.format(Locale.ROOT, "%,.0f ns", value);
    }

    private static String number(double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%,.0f", value);
    }

    private static String seconds(java.time.Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
    }

    private static double mib(long bytes) {
        return bytes / (double) (1L << 20);
    }

    private static String loads(double[] loads) {
        return loads == null || loads.length == 0 ? "-" : Arrays.stream(loads).mapToObj(load -> String.format(Locale.ROOT, "%.2f", load))
                .collect(Collectors.joining(", "));
    }

    private void table(List<String> header, List<List<String>> rows) {
        line("| " + String.join(" | ", header) + " |");
        line("|" + " --- |".repeat(header.size()));
        for (List<String> row : rows) {
            line("| " + row.stream().map(cell -> cell.replace("|", "\\|")).collect(Collectors.joining(" | ")) + " |");
        }
        line();
    }

    private void line(String text) {
        out.append(text).append('\n');
    }

    private void line() {
        out.append('\n');
    }
}
