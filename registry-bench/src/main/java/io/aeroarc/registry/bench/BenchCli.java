package io.aeroarc.registry.bench;

import com.google.gson.Gson;
import io.aeroarc.registry.core.GoDurations;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code java -jar registry-bench.jar COMMAND [flags]}: the suite, or one load scenario against a
 * registry that is already running. Exit 0 when it ran (a missed target is in the report, not in
 * the exit status), 2 for bad flags, 1 when it could not run.
 */
public final class BenchCli {

    static final String USAGE = """
            usage: registry-bench COMMAND [flags]

              suite      the whole suite on one backend; starts the registry and storage servers it needs
                         --backend memory|redis|etcd|postgres   (memory)
                         --quick                  everything briefly: smoke runs and trying things
                         --out DIR                (bench-results/<UTC time>-<backend>)
                         --registry-jar PATH      run the registry as java -jar PATH (else from this class path)
                         --registry-heap SIZE     heap of each registry JVM (1g)
                         --registry-flags "FLAGS" more flags for every registry, such as "--call-threads 64"
                         --only PARTS             some of max,compare,scale,fleet,restart,fleet-1m,jmh,heap (all; restart
                                                  runs on redis, fleet-1m on memory, the report says so elsewhere)
                         --fleet-batched          fleet renews agents with one HeartbeatAgents per relay
                         --fleet-duration D       fleet run time (5m; quick 3s)
                         --fleet-waves N          intervals over which the fleet first registers its agents (6; quick 1)
                         --no-jfr                 no flight recording of the max registry
                         --label TEXT             what is measured, such as the git commit, for the report

              max        closed loop per RPC in rounds with the health-Check ceiling, against --target HOST:PORT
                         --relays 100 --agents-per-relay 1000 --concurrency 32 --connections 2 --rounds 3 --round 4s

              client-check  h2load's Check against the bench client's, alternating rounds, against --target HOST:PORT
                         --connections 4 --streams 16 --threads 1 --rounds 3 --round 4s (the bench client's)

              open-loop  one RPC at a fixed rate, against --target HOST:PORT
                         --rpc Check|HeartbeatAgent|GetAgentPlacement --rate N --agents 10000 --warmup 3s --duration 20s

              fleet      relays and agents heartbeating on schedule, counting false expiries, against --target HOST:PORT
                         --relays 1000 --agents-per-relay 100 --interval 10s --batched --lookups 1000 --duration 5m --waves 6
                         --agent-ttl 30s --relay-ttl 30s (the registry's, to judge expiries)
                         --client lean|stubs (lean: the lean HTTP/2 client; stubs: grpc-java with the retry config)

              table      issue 17's backend table from reports: registry-bench table DIR|report.md ...

              metrics-cost  HeartbeatAgent at its max on two memory registries, with and without
                         --metrics-listen-address, in alternating rounds; prints the on/off ratio
                         --registry-jar PATH --rounds 6 --round 4s --relays 10 --agents-per-relay 1000 --out DIR

              watch      issue 14's watch targets on one backend, with the per-agent fleet running: event latency
                         from a move's answer to its MOVED, expiry lag of never-renewed agents, and registry CPU
                         per delivered event at two watcher counts (fan-out)
                         --backend memory|redis|etcd|postgres --registry-jar PATH --moves 100 --window 20s
                         --fan-out 100,1000 --expiry-probes 200 --no-fleet --fleet-duration 3m --out DIR

              jar-compare  HeartbeatAgent and GetAgentPlacement at their max on registries from two jars (A, B) over one
                         storage server, in alternating rounds; prints rate and CPU per call of each and the B/A ratios
                         --jar-a PATH --jar-b PATH --backend memory|redis|etcd|postgres --rounds 4 --round 5s --relays 10
                         --agents-per-relay 1000 --registry-flags "FLAGS" --out DIR
                         --lone: one caller with one call in flight (lone-call latency) instead of the max

              heap       live heap of the memory backend per placed agent, in this JVM: --agents 1000000

            Durations as in Go: 500ms, 20s, 5m.
            """;

    private BenchCli() {}

    public static void main(String[] args) {
        int status = run(Arrays.asList(args), System.out, System.err);
        // gRPC and JMH leave non-daemon threads behind; the result is all that matters now.
        System.exit(status);
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("help")) {
            out.print(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        String command = args.get(0);
        List<String> rest = args.subList(1, args.size());
        Progress progress = new Progress(out);
        try {
            switch (command) {
                case "suite" -> suite(rest, progress);
                case "max" -> max(rest, out, progress);
                case "client-check" -> clientCheck(rest, out, progress);
                case "table" -> table(rest, out);
                case "open-loop" -> openLoop(rest, out, progress);
                case "fleet" -> fleet(rest, out, progress);
                case "heap" -> heap(rest, out);
                case "metrics-cost" -> metricsCost(rest, out, progress);
                case "jar-compare" -> jarCompare(rest, out, progress);
                case "watch" -> watch(rest, out, progress);
                default -> throw new IllegalArgumentException("unknown command '" + command + "'");
            }
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("registry-bench: " + e.getMessage());
            err.println("registry-bench --help lists the commands and flags");
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("registry-bench: interrupted");
            return 1;
        } catch (Exception e) {
            err.println("registry-bench: " + command + " failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    private static void suite(List<String> args, Progress progress) throws Exception {
        Flags flags = Flags.parse(args, Set.of("backend", "out", "registry-jar", "registry-heap", "registry-flags", "only", "fleet-duration", "fleet-waves",
                "label"),
                Set.of("quick", "fleet-batched", "no-jfr"));
        BenchBackend backend = BenchBackends.named(flags.get("backend", "memory"));
        SuiteProfile profile = (flags.isOn("quick") ? SuiteProfile.QUICK : SuiteProfile.FULL).forBackend(backend.name());
        FleetScenario.Settings fleet = profile.fleet();
        profile = profile.withFleet(new FleetScenario.Settings(fleet.relays(), fleet.agentsPerRelay(), fleet.interval(),
                flags.isOn("fleet-batched"), fleet.lookupsPerSecond(), flags.getDuration("fleet-duration", fleet.duration()),
                fleet.agentTtl(), fleet.relayTtl(), flags.getInt("fleet-waves", fleet.registrationWaves())));
        Set<String> parts = new LinkedHashSet<>(BenchSuite.PARTS);
        if (flags.has("only")) {
            parts = new LinkedHashSet<>(Arrays.asList(flags.get("only", "").split(",")));
            for (String part : parts) {
                if (!BenchSuite.PARTS.contains(part)) {
                    throw new IllegalArgumentException("--only takes some of " + String.join(",", BenchSuite.PARTS) + "; not '" + part + "'");
                }
            }
        }
        Path out = Path.of(flags.get("out", "bench-results/"
                + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")) + "-" + backend.name()));
        Optional<Path> jar = flags.has("registry-jar") ? Optional.of(Path.of(flags.require("registry-jar"))) : Optional.empty();
        if (jar.isPresent() && !jar.get().toFile().isFile()) {
            throw new IllegalArgumentException("--registry-jar " + jar.get() + " does not exist; build it first (mvn -pl registry-server -am package)");
        }
        String heap = flags.get("registry-heap", "1g");
        List<String> registryFlags = flags.get("registry-flags", "").isBlank() ? List.of()
                : List.of(flags.get("registry-flags", "").trim().split("\\s+"));
        RegistryLauncher launcher = new RegistryLauncher(jar, System.getProperty("java.class.path"), List.of("-Xms" + heap, "-Xmx" + heap),
                registryFlags);
        BenchSuite.run(new BenchSuite.Settings(backend, profile, out, launcher, System.getProperty("java.class.path"),
                flags.get("label", ""), parts, !flags.isOn("no-jfr")), progress);
    }

    private static void max(List<String> args, PrintStream out, Progress progress) throws InterruptedException {
        Flags flags = Flags.parse(args, Set.of("target", "relays", "agents-per-relay", "concurrency", "connections", "rounds", "round"),
                Set.of());
        MaxScenario.Settings full = SuiteProfile.FULL.max();
        MaxScenario.Settings settings = new MaxScenario.Settings(flags.getInt("relays", full.relays()),
                flags.getInt("agents-per-relay", full.agentsPerRelay()), flags.getInt("concurrency", full.concurrency()), full.firstWarmup(),
                flags.getInt("rounds", full.rounds()), new Phases(full.round().warmup(), flags.getDuration("round", full.round().measure())),
                full.openLoop(), full.listPageSize(), full.maxInFlight(), full.rawThreads());
        RegistryClient.Target target = RegistryClient.Target.parse(flags.require("target"));
        LeanLoad lean = new LeanLoad(target, SuiteProfile.LEAN);
        try (RegistryClient client = connect(flags)) {
            out.println(JsonReport.gson().toJson(MaxScenario.run(client, lean, target, SuiteProfile.FULL.clientProof(), settings,
                    CpuMeter.withoutRegistry(), RawLoops.NONE, progress)));
        } finally {
            lean.close();
        }
    }

    private static void clientCheck(List<String> args, PrintStream out, Progress progress) throws InterruptedException {
        Flags flags = Flags.parse(args, Set.of("target", "connections", "streams", "threads", "rounds", "round"), Set.of());
        LeanLoad lean = new LeanLoad(RegistryClient.Target.parse(flags.require("target")), new LeanLoad.Settings(
                flags.getInt("connections", SuiteProfile.LEAN.connections()), flags.getInt("streams", SuiteProfile.LEAN.streams()),
                flags.getInt("threads", SuiteProfile.LEAN.threads())));
        try {
            ClientProof.Settings settings = new ClientProof.Settings(new H2Load.Settings(SuiteProfile.H2LOAD.connections(),
                    SuiteProfile.H2LOAD.streams(), flags.getInt("threads", SuiteProfile.LEAN.threads())), java.time.Duration.ofSeconds(5),
                    flags.getInt("rounds", 3),
                    new Phases(java.time.Duration.ofSeconds(1), flags.getDuration("round", java.time.Duration.ofSeconds(4))));
            out.println(JsonReport.gson().toJson(ClientProof.run(RegistryClient.Target.parse(flags.require("target")), lean, settings,
                    CpuMeter.withoutRegistry(), progress)));
        } finally {
            lean.close();
        }
    }

    /** Prints the header and each report's Summary row as one markdown table. */
    private static void table(List<String> args, PrintStream out) throws java.io.IOException {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("table takes report directories or report.md files");
        }
        out.println("| " + String.join(" | ", BackendRow.HEADER) + " |");
        out.println("|" + " --- |".repeat(BackendRow.HEADER.size()));
        for (String arg : args) {
            Path report = Path.of(arg);
            if (java.nio.file.Files.isDirectory(report)) {
                report = report.resolve("report.md");
            }
            List<String> lines = java.nio.file.Files.readAllLines(report);
            int summary = lines.indexOf("## Summary");
            if (summary < 0 || summary + 4 >= lines.size()) {
                throw new IllegalArgumentException(report + " has no Summary section; it is older than the table");
            }
            out.println(lines.get(summary + 4));
        }
    }

    private static void openLoop(List<String> args, PrintStream out, Progress progress) throws InterruptedException {
        Flags flags = Flags.parse(args, Set.of("target", "rpc", "rate", "agents", "warmup", "duration", "connections"), Set.of());
        String rpc = flags.get("rpc", MaxScenario.HEARTBEAT_AGENT);
        double rate = flags.getDouble("rate", 1000);
        int agents = flags.getInt("agents", 10_000);
        Phases phases = new Phases(flags.getDuration("warmup", Duration.ofSeconds(3)), flags.getDuration("duration", Duration.ofSeconds(20)));
        try (RegistryClient client = connect(flags)) {
            CallSource source = switch (rpc) {
                case MaxScenario.CHECK -> () -> client.health().check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance());
                case MaxScenario.HEARTBEAT_AGENT -> () -> ScaleScenario.heartbeat(client, agents);
                case MaxScenario.GET_AGENT_PLACEMENT -> () -> ScaleScenario.lookup(client, agents);
                default -> throw new IllegalArgumentException("--rpc takes Check, HeartbeatAgent or GetAgentPlacement, not '" + rpc + "'");
            };
            if (!rpc.equals(MaxScenario.CHECK)) {
                progress.say("open-loop: registering " + agents + " agents");
                ScaleScenario.register(client, agents);
            }
            progress.say(String.format("open-loop: %s at %.0f/s", rpc, rate));
            out.println(JsonReport.gson().toJson(OpenLoop.run(rpc, 1, source, rate, phases, 20_000, CpuMeter.withoutRegistry())));
        }
    }

    private static void fleet(List<String> args, PrintStream out, Progress progress) throws InterruptedException {
        Flags flags = Flags.parse(args, Set.of("target", "relays", "agents-per-relay", "interval", "lookups", "duration", "agent-ttl",
                "relay-ttl", "connections", "waves", "client"), Set.of("batched"));
        FleetScenario.Settings settings = new FleetScenario.Settings(flags.getInt("relays", 1000), flags.getInt("agents-per-relay", 100),
                flags.getDuration("interval", Duration.ofSeconds(10)), flags.isOn("batched"), flags.getDouble("lookups", 1000),
                flags.getDuration("duration", Duration.ofMinutes(5)), flags.getDuration("agent-ttl", SuiteProfile.FLEET_TTL),
                flags.getDuration("relay-ttl", SuiteProfile.FLEET_TTL), flags.getInt("waves", SuiteProfile.FLEET_WAVES));
        String clientKind = flags.get("client", "lean");
        if (!clientKind.equals("lean") && !clientKind.equals("stubs")) {
            throw new IllegalArgumentException("--client takes lean or stubs, not '" + clientKind + "'");
        }
        RegistryClient.Target target = RegistryClient.Target.parse(flags.require("target"));
        try (RegistryClient client = connect(flags);
                LeanChannel lean = new LeanChannel(target, SuiteProfile.LEAN.connections(), SuiteProfile.LEAN.threads(),
                        SuiteProfile.CALL_DEADLINE)) {
            FleetCalls calls = clientKind.equals("lean") ? FleetCalls.of(lean) : FleetCalls.of(client);
            FleetScenario.Result result = FleetScenario.run(calls, settings, CpuMeter.withoutRegistry(), progress, null);
            out.println(JsonReport.gson().toJson(result));
            progress.say("fleet: " + result.falseExpiries() + " false agent expiries, " + result.falseRelayExpiries()
                    + " false relay expiries over " + GoDurations.format(settings.duration()));
        }
    }

    private static void heap(List<String> args, PrintStream out) throws InterruptedException {
        Flags flags = Flags.parse(args, Set.of("agents"), Set.of());
        HeapMeasurement.Result result = HeapMeasurement.measureHere(flags.getInt("agents", 1_000_000));
        out.println(HeapMeasurement.RESULT_PREFIX + new Gson().toJson(result));
    }

    private static void metricsCost(List<String> args, PrintStream out, Progress progress) throws Exception {
        Flags flags = Flags.parse(args, Set.of("registry-jar", "rounds", "round", "relays", "agents-per-relay", "out"), Set.of());
        Optional<Path> jar = flags.has("registry-jar") ? Optional.of(Path.of(flags.require("registry-jar"))) : Optional.empty();
        RegistryLauncher launcher = new RegistryLauncher(jar, System.getProperty("java.class.path"), List.of("-Xms512m", "-Xmx512m"));
        Path dir = Path.of(flags.get("out", "bench-results/" + ZonedDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")) + "-metrics-cost"));
        java.nio.file.Files.createDirectories(dir);
        MetricsCost.Settings settings = new MetricsCost.Settings(flags.getInt("relays", 10), flags.getInt("agents-per-relay", 1000),
                flags.getInt("rounds", 6), new Phases(java.time.Duration.ofSeconds(1), flags.getDuration("round", java.time.Duration.ofSeconds(4))));
        out.println(JsonReport.gson().toJson(MetricsCost.run(launcher, dir, settings, progress)));
    }

    private static void jarCompare(List<String> args, PrintStream out, Progress progress) throws Exception {
        Flags flags = Flags.parse(args, Set.of("jar-a", "jar-b", "backend", "rounds", "round", "relays", "agents-per-relay", "registry-flags",
                "out"), Set.of("lone"));
        String backend = flags.get("backend", "postgres");
        Path dir = Path.of(flags.get("out", "bench-results/" + ZonedDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")) + "-jar-compare-" + backend));
        java.nio.file.Files.createDirectories(dir);
        List<String> registryFlags = flags.get("registry-flags", "").isBlank() ? List.of()
                : List.of(flags.get("registry-flags", "").trim().split("\\s+"));
        JarCompare.Settings settings = new JarCompare.Settings(backend, flags.require("jar-a"), flags.require("jar-b"),
                flags.getInt("relays", 10), flags.getInt("agents-per-relay", 1000), flags.getInt("rounds", 4),
                new Phases(java.time.Duration.ofSeconds(1), flags.getDuration("round", java.time.Duration.ofSeconds(5))), registryFlags,
                flags.isOn("lone"));
        out.println(JsonReport.gson().toJson(JarCompare.run(settings, dir, progress)));
    }

    private static void watch(List<String> args, PrintStream out, Progress progress) throws Exception {
        Flags flags = Flags.parse(args, Set.of("backend", "registry-jar", "moves", "window", "fan-out", "expiry-probes", "fleet-duration",
                "out"), Set.of("no-fleet"));
        Optional<Path> jar = flags.has("registry-jar") ? Optional.of(Path.of(flags.require("registry-jar"))) : Optional.empty();
        RegistryLauncher launcher = new RegistryLauncher(jar, System.getProperty("java.class.path"), List.of());
        BenchBackend backend = BenchBackends.named(flags.get("backend", "memory"));
        Path dir = Path.of(flags.get("out", "bench-results/" + ZonedDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")) + "-watch-" + backend.name()));
        java.nio.file.Files.createDirectories(dir);
        java.time.Duration window = flags.getDuration("window", java.time.Duration.ofSeconds(20));
        FleetScenario.Settings fleet = null;
        if (!flags.has("no-fleet")) {
            FleetScenario.Settings standard = SuiteProfile.FULL.fleet();
            // Long enough to cover the latency phase, five fan-out windows and the expiry wait.
            java.time.Duration duration = flags.getDuration("fleet-duration", window.multipliedBy(7).plusSeconds(60));
            fleet = new FleetScenario.Settings(standard.relays(), standard.agentsPerRelay(), standard.interval(), standard.batched(),
                    standard.lookupsPerSecond(), duration, standard.agentTtl(), standard.relayTtl(), standard.registrationWaves());
        }
        List<Integer> fanOut = new java.util.ArrayList<>();
        for (String count : flags.get("fan-out", "100,1000").split(",")) {
            fanOut.add(Integer.parseInt(count.trim()));
        }
        if (fanOut.size() != 2) {
            throw new IllegalArgumentException("--fan-out takes two watcher counts, such as 10,1000");
        }
        WatchBench.Settings settings = new WatchBench.Settings(fleet, flags.getInt("moves", 100), 100, flags.getInt("expiry-probes", 200),
                window, fanOut);
        WatchBench.Result result = WatchBench.run(launcher, backend, dir, settings, progress);
        String json = JsonReport.gson().toJson(result);
        java.nio.file.Files.writeString(dir.resolve("watch.json"), json);
        out.println(json);
        progress.say(WatchBench.summary(result));
    }

    private static RegistryClient connect(Flags flags) {
        return RegistryClient.connect(RegistryClient.Target.parse(flags.require("target")), flags.getInt("connections", SuiteProfile.CONNECTIONS),
                SuiteProfile.CALL_DEADLINE);
    }
}
