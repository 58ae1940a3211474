package io.aeroarc.registry.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * h2load (nghttp2's C HTTP/2 load generator) calling the standard health Check of a registry: the
 * independent yardstick the bench's own client is held against. It sends the same bytes as a gRPC
 * client (an empty request with its 5-byte prefix, {@code content-type: application/grpc}) and
 * counts HTTP 200 answers, which for Check are successful calls.
 */
final class H2Load {

    static final String BINARY = "h2load";
    private static final Pattern FINISHED = Pattern.compile("finished in ([0-9.]+)(m?s), ([0-9.]+) req/s");
    private static final Pattern REQUESTS = Pattern.compile(
            "requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored");
    private static final Pattern STATUS = Pattern.compile("status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx, (\\d+) 5xx");

    /** @param threads h2load's own threads; 1 keeps it from competing with the registry for the 2 cores */
    record Settings(int connections, int streams, int threads) {}

    private H2Load() {}

    static boolean available() {
        try {
            Process process = new ProcessBuilder(BINARY, "--version").redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** h2load's Check loop for {@code phases}: its own warm-up, then the measured duration. */
    static LoadResult.Measured check(RegistryClient.Target target, Settings settings, Phases phases, CpuMeter cpu)
            throws InterruptedException {
        Path body = emptyGrpcMessage();
        try {
            List<String> command = List.of(BINARY, "-c", Integer.toString(settings.connections()),
                    "-m", Integer.toString(settings.streams()), "-t", Integer.toString(settings.threads()),
                    "--warm-up-time=" + seconds(phases.warmup().toMillis()), "-D", seconds(phases.measure().toMillis()),
                    "-d", body.toString(), "-H", "content-type: application/grpc", "-H", "te: trailers",
                    "http://" + target + "/grpc.health.v1.Health/Check");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            Phases.sleep(phases.warmup());
            CpuMeter.Sample cpuStart = cpu.sample();
            long startEpochMs = System.currentTimeMillis();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(phases.measure().toMillis() + 60_000, TimeUnit.MILLISECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("h2load failed: " + output);
            }
            CpuUse cpuUse = cpu.since(cpuStart);
            long endEpochMs = System.currentTimeMillis();
            return parse(output, cpuUse, new LoadResult.Window(startEpochMs, endEpochMs));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                Files.deleteIfExists(body);
            } catch (IOException e) {
                // a temporary file of 5 bytes
            }
        }
    }

    /** A result from h2load's summary; it prints no percentiles, so the latency is empty. */
    static LoadResult.Measured parse(String output, CpuUse cpu, LoadResult.Window window) {
        Matcher finished = FINISHED.matcher(output);
        Matcher requests = REQUESTS.matcher(output);
        Matcher status = STATUS.matcher(output);
        if (!finished.find() || !requests.find() || !status.find()) {
            throw new IllegalStateException("cannot read h2load's summary: " + output);
        }
        double seconds = Double.parseDouble(finished.group(1)) / (finished.group(2).equals("ms") ? 1000 : 1);
        long ok = Long.parseLong(status.group(1));
        Map<String, Long> errors = new TreeMap<>();
        long failed = Long.parseLong(requests.group(5)) + Long.parseLong(requests.group(6));
        if (failed > 0) {
            errors.put("h2load failed or errored", failed);
        }
        return LoadResult.Measured.of("Check (h2load)", 1, ok, errors, seconds, new Histogram(3), cpu, window);
    }

    private static String seconds(long millis) {
        return millis + "ms";
    }

    private static Path emptyGrpcMessage() {
        try {
            Path file = Files.createTempFile("h2load-grpc-", ".bin");
            Files.write(file, new byte[5]);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
