package io.aeroarc.registry.bench;

import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.tck.StorageControl;
import io.aeroarc.registry.testsupport.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The whole suite on one backend: starts the storage servers and registry servers it needs, runs
 * the max, scale and fleet scenarios over gRPC, the raw baseline, JMH through the SPI and the heap
 * measurement, and writes {@code report.md} and {@code report.json} into {@code out}.
 */
final class BenchSuite {

    /** The parts of the suite, in the order they run. */
    static final List<String> PARTS = List.of("max", "compare", "scale", "fleet", "restart", "fleet-1m", "jmh", "heap");

    /** TTLs of the registries that must not expire anything while measuring. */
    private static final Duration LONG_TTL = Duration.ofHours(1);
    private static final int JMH_FILL_THREADS = 16;

    /**
     * @param classPath this process' class path, for the heap measurement's JVM (and the registry without a jar)
     * @param parts which of {@link #PARTS} to run
     * @param jfr whether the max registry records a flight recording for the profile section
     */
    record Settings(BenchBackend backend, SuiteProfile profile, Path out, RegistryLauncher launcher, String classPath, String label,
            Set<String> parts, boolean jfr) {}

    private final Settings settings;
    private final Progress progress;

    private BenchSuite(Settings settings, Progress progress) {
        this.settings = settings;
        this.progress = progress;
    }

    static SuiteReport run(Settings settings, Progress progress) throws IOException, InterruptedException {
        return new BenchSuite(settings, progress).run();
    }

    private SuiteReport run() throws IOException, InterruptedException {
        Files.createDirectories(settings.out());
        Instant started = Instant.now();
        MachineFacts machine = MachineFacts.collect();
        BenchBackend backend = settings.backend();
        SuiteProfile profile = settings.profile();
        progress.say("suite: backend " + backend.name() + ", " + profile.name() + " run, results in " + settings.out());

        MaxScenario.Result max = null;
        JfrProfile jfr = null;
        String storageDescription = backend.inProcess() ? "inside the registry process" : "a fresh server for each scenario and JMH size";
        if (settings.parts().contains("max")) {
            Optional<Path> recording = settings.jfr() ? Optional.of(settings.out().resolve("registry-max.jfr")) : Optional.empty();
            try (TestServer storage = backend.storage().start()) {
                if (!backend.inProcess()) {
                    storageDescription += "; for max: " + storage.description();
                }
                try (RegistryProcess registry = startRegistry("max", storage, LONG_TTL, recording);
                        RegistryClient client = connect(registry);
                        RawLoops raw = backend.baseline().open(storage, profile.max().agents(), profile.max().agentsPerRelay(),
                                profile.max().rawThreads())) {
                    RegistryClient.Target target = new RegistryClient.Target("127.0.0.1", registry.port());
                    LeanLoad lean = new LeanLoad(target, SuiteProfile.LEAN);
                    try {
                        max = MaxScenario.run(client, lean, target, profile.clientProof(), profile.max(), new CpuMeter(registry.pid()), raw,
                                progress);
                    } finally {
                        lean.close();
                    }
                }
            }
            if (recording.isPresent()) {
                List<JfrProfile.Phase> phases = new ArrayList<>();
                List<LoadResult.Window> checkWindows = new ArrayList<>();
                max.rpcs().forEach(rpc -> checkWindows.addAll(rpc.ceiling().windows()));
                checkWindows.addAll(max.client().lean().windows());
                phases.add(new JfrProfile.Phase(MaxScenario.CHECK, checkWindows));
                max.rpcs().forEach(rpc -> phases.add(JfrProfile.Phase.of(rpc.rpc(), rpc.rpc().name())));
                max.raw().forEach(raw -> phases.add(JfrProfile.Phase.of(raw.rpc(), raw.rpc().name() + " (next to raw)")));
                max.openLoops().forEach(pair -> {
                    phases.add(JfrProfile.Phase.of(pair.check().load(), "Check (open loop)"));
                    phases.add(JfrProfile.Phase.of(pair.rpc().load(), pair.rpc().load().name() + " (open loop)"));
                });
                jfr = JfrProfile.read(recording.get(), phases, 10);
            }
        }

        CompareScenario.Result compare = null;
        if (settings.parts().contains("compare")) {
            compare = compare(backend, profile);
        }

        ScaleScenario.Result scale = null;
        if (settings.parts().contains("scale")) {
            try (TestServer smallStorage = backend.storage().start();
                    TestServer largeStorage = backend.storage().start();
                    RegistryProcess small = startRegistry("scale-small", smallStorage, LONG_TTL, Optional.empty());
                    RegistryProcess large = startRegistry("scale-large", largeStorage, LONG_TTL, Optional.empty());
                    RegistryClient smallClient = connect(small);
                    RegistryClient largeClient = connect(large)) {
                scale = ScaleScenario.run(new ScaleScenario.Side(smallClient, new CpuMeter(small.pid())),
                        new ScaleScenario.Side(largeClient, new CpuMeter(large.pid())), profile.scale(), progress);
            }
        }

        FleetScenario.Result fleet = null;
        long fleetResident = -1;
        if (settings.parts().contains("fleet")) {
            FleetScenario.Settings fleetSettings = profile.fleet();
            // The lean client, so the fleet's latencies and CPU are the registry's, not grpc-java's in this JVM.
            try (TestServer storage = backend.storage().start();
                    RegistryProcess registry = settings.launcher().start("fleet", backend.name(), storage.backendOptions(),
                            fleetSettings.relayTtl(), fleetSettings.agentTtl(), settings.out(), Optional.empty());
                    LeanChannel lean = new LeanChannel(new RegistryClient.Target("127.0.0.1", registry.port()),
                            SuiteProfile.LEAN.connections(), SuiteProfile.LEAN.threads(), SuiteProfile.CALL_DEADLINE)) {
                fleet = FleetScenario.run(FleetCalls.of(lean), fleetSettings, new CpuMeter(registry.pid()), progress, null);
                fleetResident = registry.residentBytes();
            }
        }

        List<String> notRun = new ArrayList<>();
        FleetScenario.Result restart = null;
        if (settings.parts().contains("restart")) {
            if (backend.name().equals("redis")) {
                restart = restartRun(backend, profile);
            } else {
                notRun.add("restart: the storage restart with its state lost is Redis' case (issue 11); "
                        + (backend.inProcess() ? "the memory backend has no storage server" : backend.name() + " keeps its data on disk"));
            }
        }
        FleetScenario.Result bigFleet = null;
        if (settings.parts().contains("fleet-1m")) {
            if (backend.name().equals("memory")) {
                FleetScenario.Settings big = profile.bigFleet();
                progress.say("fleet-1m: " + big.agents() + " agents, per-agent heartbeats");
                // 100,000 calls/s: more than grpc-java's stubs send from this JVM, so the lean client sends them.
                try (TestServer storage = backend.storage().start();
                        RegistryProcess registry = settings.launcher().start("fleet-1m", backend.name(), storage.backendOptions(),
                                big.relayTtl(), big.agentTtl(), settings.out(), Optional.empty());
                        LeanChannel lean = new LeanChannel(new RegistryClient.Target("127.0.0.1", registry.port()),
                                SuiteProfile.LEAN.connections(), SuiteProfile.LEAN.threads(), SuiteProfile.CALL_DEADLINE)) {
                    bigFleet = FleetScenario.run(FleetCalls.of(lean), big, new CpuMeter(registry.pid()), progress, null);
                }
            } else {
                notRun.add("fleet-1m: the million-agent fleet is the memory backend's target (issue 10)");
            }
        }

        List<JmhRunner.Score> jmh = null;
        if (settings.parts().contains("jmh")) {
            jmh = new ArrayList<>();
            Set<BenchBackend> jmhBackends = new LinkedHashSet<>(List.of(BenchBackends.named("memory"), backend));
            for (BenchBackend jmhBackend : jmhBackends) {
                for (int agents : profile.jmhSizes()) {
                    jmh.addAll(jmh(jmhBackend, agents));
                }
            }
        }

        HeapMeasurement.Result heap = null;
        if (settings.parts().contains("heap")) {
            progress.say("heap: " + profile.heapAgents() + " agents in the memory backend, in a JVM of its own");
            heap = HeapMeasurement.inNewJvm(settings.classPath(), profile.heapAgents(), profile.heapJvmHeap());
        }

        double minutes = Duration.between(started, Instant.now()).toMillis() / 60_000.0;
        SuiteReport report = new SuiteReport(backend.name(), profile.name(), started.truncatedTo(ChronoUnit.SECONDS).toString(), minutes,
                settings.label(), machine, MachineFacts.currentLoadAverage(), settings.launcher().describe(), storageDescription, profile.sizing(), max,
                compare, scale, fleet, fleetResident, restart, bigFleet, List.copyOf(notRun), jmh, heap, jfr, List.of());
        report = report.withTargets(Targets.evaluate(report));
        Files.writeString(settings.out().resolve("report.md"), MarkdownReport.render(report), StandardCharsets.UTF_8);
        Files.writeString(settings.out().resolve("report.json"), JsonReport.render(report), StandardCharsets.UTF_8);
        progress.say("suite: done in " + String.format("%.1f", minutes) + " minutes: " + settings.out().resolve("report.md"));
        return report;
    }

    /** The per-agent fleet with its storage stopped and started again (all state lost) during the steady run. */
    private FleetScenario.Result restartRun(BenchBackend backend, SuiteProfile profile) throws InterruptedException {
        FleetScenario.Settings fleetSettings = profile.restartFleet();
        progress.say("restart: the per-agent fleet, " + backend.name() + " restarted " + profile.restartAfter().toSeconds()
                + " s into the steady run");
        try (TestServer storage = backend.storage().start()) {
            StorageControl control = storage.control().orElseThrow(() -> new IllegalStateException(
                    "restart needs a storage server the bench started itself, not " + storage.description()));
            long seconds = fleetSettings.duration().toSeconds() + (long) fleetSettings.registrationWaves()
                    * fleetSettings.interval().toSeconds() + 120;
            CallAttempts attempts = new CallAttempts((int) seconds);
            try (RegistryProcess registry = settings.launcher().start("restart", backend.name(), storage.backendOptions(),
                    fleetSettings.relayTtl(), fleetSettings.agentTtl(), settings.out(), Optional.empty());
                    RegistryClient client = RegistryClient.connect(new RegistryClient.Target("127.0.0.1", registry.port()),
                            SuiteProfile.CONNECTIONS, SuiteProfile.CALL_DEADLINE, List.of(attempts))) {
                return FleetScenario.run(FleetCalls.of(client), fleetSettings, new CpuMeter(registry.pid()), progress,
                        new FleetScenario.Restart(control, profile.restartAfter(), attempts));
            }
        }
    }

    /** This backend's registry with and without coalescing on one storage server, and a memory registry beside them. */
    private CompareScenario.Result compare(BenchBackend backend, SuiteProfile profile) throws InterruptedException {
        BenchBackend memory = BenchBackends.named("memory");
        try (TestServer storage = backend.storage().start();
                TestServer memoryStorage = memory.storage().start();
                RegistryProcess coalescing = startRegistry("compare-coalescing", storage, LONG_TTL, Optional.empty());
                RegistryProcess plain = settings.launcher().start("compare-plain", backend.name(), storage.backendOptions(), LONG_TTL,
                        LONG_TTL, settings.out(), Optional.empty(), List.of("--coalesce-batch-size", "0"));
                RegistryProcess memoryRegistry = backend.inProcess() ? null : settings.launcher().start("compare-memory", memory.name(),
                        memoryStorage.backendOptions(), LONG_TTL, LONG_TTL, settings.out(), Optional.empty());
                RegistryClient coalescingClient = connect(coalescing);
                RegistryClient plainClient = connect(plain);
                RegistryClient memoryClient = memoryRegistry == null ? null : connect(memoryRegistry)) {
            return CompareScenario.run(profile.compare(), side(backend.name() + " (coalescing)", coalescing, coalescingClient),
                    side(backend.name() + " (coalescing off)", plain, plainClient),
                    memoryRegistry == null ? null : side("memory", memoryRegistry, memoryClient), progress);
        }
    }

    private static CompareScenario.Side side(String label, RegistryProcess registry, RegistryClient client) {
        return new CompareScenario.Side(label, client, new RegistryClient.Target("127.0.0.1", registry.port()), new CpuMeter(registry.pid()));
    }

    private RegistryProcess startRegistry(String name, TestServer storage, Duration ttl, Optional<Path> recording) {
        progress.say("registry " + name + ": starting on " + settings.backend().name() + " (storage " + storage.description() + ")");
        return settings.launcher().start(name, settings.backend().name(), storage.backendOptions(), ttl, ttl, settings.out(), recording);
    }

    private static RegistryClient connect(RegistryProcess registry) {
        return RegistryClient.connect(new RegistryClient.Target("127.0.0.1", registry.port()), SuiteProfile.CONNECTIONS,
                SuiteProfile.CALL_DEADLINE);
    }

    /**
     * One JMH run of every benchmark at one size. An in-process backend fills itself in each trial;
     * a storage server is filled once here, through the SPI, and shared by the benchmarks' forks.
     */
    private List<JmhRunner.Score> jmh(BenchBackend backend, int agents) throws InterruptedException {
        Path log = settings.out().resolve("jmh-" + backend.name() + "-" + agents + ".log");
        progress.say("jmh: " + backend.name() + " at " + agents + " agents (log " + log.getFileName() + ")");
        if (backend.inProcess()) {
            return JmhRunner.run(backend.name(), agents, java.util.Map.of(), true, settings.profile().jmh(), log);
        }
        try (TestServer storage = backend.storage().start()) {
            try (RegistryBackend filling = SpiDataset.open(backend.name(), storage.backendOptions())) {
                SpiDataset.fill(filling, agents, JMH_FILL_THREADS);
            }
            return JmhRunner.run(backend.name(), agents, storage.backendOptions(), false, settings.profile().jmh(), log);
        }
    }
}
