package io.aeroarc.registry.bench;

import com.google.gson.Gson;
import com.sun.management.HotSpotDiagnosticMXBean;
import io.aeroarc.registry.spi.RegistryBackend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Live heap of the memory backend holding {@code agents} placements on {@code agents / 100}
 * relays (ids {@code drone-000123456} and {@code relay-00042}, two labels per relay), measured
 * after full collections in a JVM of its own, so nothing else lives in its heap.
 */
final class HeapMeasurement {

    /** The line the measuring JVM prints its result on. */
    static final String RESULT_PREFIX = "HEAP-RESULT ";
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    /**
     * @param bytesPerAgent (heap with relays and agents − heap of the empty backend) / agents
     * @param agentBytesPerAgent (heap with relays and agents − heap with the relays only) / agents
     * @param jvm the measuring JVM's flags that decide object sizes
     */
    record Result(int agents, int relays, long emptyBytes, long withRelaysBytes, long fullBytes, double bytesPerAgent,
            double agentBytesPerAgent, String jvm, String idShape) {}

    private HeapMeasurement() {}

    /** Runs the measurement here and returns it; call it in a fresh JVM ({@link #inNewJvm}). */
    static Result measureHere(int agents) throws InterruptedException {
        try (RegistryBackend backend = SpiDataset.open("memory", Map.of())) {
            long empty = liveHeap();
            int relays = SpiDataset.relaysFor(agents);
            for (int r = 0; r < relays; r++) {
                backend.registerRelay(SpiDataset.relay(r), SpiDataset.TTL);
            }
            long withRelays = liveHeap();
            for (int i = 0; i < agents; i++) {
                backend.registerAgent(Ids.agent(i), Ids.relay(i / SpiDataset.AGENTS_PER_RELAY), SpiDataset.TTL).orElseThrow();
            }
            long full = liveHeap();
            Reference.reachabilityFence(backend);
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            String jvm = "Java " + Runtime.version() + ", " + ManagementFactory.getGarbageCollectorMXBeans().get(0).getName()
                    + " GC, UseCompressedOops=" + hotspot.getVMOption("UseCompressedOops").getValue()
                    + ", ObjectAlignmentInBytes=" + hotspot.getVMOption("ObjectAlignmentInBytes").getValue();
            return new Result(agents, relays, empty, withRelays, full, (full - empty) / (double) agents,
                    (full - withRelays) / (double) agents, jvm, "agent ids like " + Ids.agent(123456) + " ("
                            + Ids.agent(123456).length() + " bytes), relay ids like " + Ids.relay(42));
        }
    }

    /** Runs {@code BenchCli heap} in a new JVM on {@code classPath} and reads its result line. */
    static Result inNewJvm(String classPath, int agents, String heap) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "-Xms" + heap, "-cp", classPath, BenchCli.class.getName(), "heap", "--agents", Integer.toString(agents)));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String result = null;
            StringBuilder output = new StringBuilder();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    output.append(line).append('\n');
                    if (line.startsWith(RESULT_PREFIX)) {
                        result = line.substring(RESULT_PREFIX.length());
                    }
                }
            }
            if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("the heap measurement did not finish within " + TIMEOUT);
            }
            if (process.exitValue() != 0 || result == null) {
                throw new IllegalStateException("the heap measurement failed (exit " + process.exitValue() + "):\n" + output);
            }
            return new Gson().fromJson(result, Result.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run the heap measurement: " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Used heap after collections have freed all garbage: collect until two readings agree. */
    private static long liveHeap() throws InterruptedException {
        long previous = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 10; attempt++) {
            System.gc();
            Thread.sleep(100);
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (Math.abs(previous - used) < 64 * 1024) {
                return Math.min(previous, used);
            }
            previous = used;
        }
        return previous;
    }
}
