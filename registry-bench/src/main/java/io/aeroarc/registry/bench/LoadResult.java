package io.aeroarc.registry.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * Load on one RPC over one or more measured windows.
 *
 * @param name what was called, such as {@code HeartbeatAgent}
 * @param unitsPerCall work items per call: 1, or the ids in a batch
 * @param calls successful calls completed while measuring
 * @param errors failed calls by gRPC status code (or exception) while measuring
 * @param seconds measured time, the windows together
 * @param callsPerSecond successful calls per measured second
 * @param latency of the successful calls; open loop measures from the intended send time
 * @param cpu processor use while measuring (time-weighted over the windows), or null when not measured
 * @param windows when it was measured, to match profiles to phases
 */
record LoadResult(
        String name,
        int unitsPerCall,
        long calls,
        Map<String, Long> errors,
        double seconds,
        double callsPerSecond,
        Latency latency,
        CpuUse cpu,
        List<Window> windows) {

    /** A measured stretch of wall-clock time, Unix ms. */
    record Window(long startEpochMs, long endEpochMs) {}

    /** A result with its raw latency histogram (nanoseconds), so results can be combined exactly. */
    record Measured(LoadResult result, Histogram histogram) {

        static Measured of(String name, int unitsPerCall, long calls, Map<String, Long> errors, double seconds, Histogram histogram,
                CpuUse cpu, Window window) {
            return new Measured(new LoadResult(name, unitsPerCall, calls, errors, seconds, calls / seconds, Latency.of(histogram), cpu,
                    List.of(window)), histogram);
        }
    }

    double unitsPerSecond() {
        return callsPerSecond * unitsPerCall;
    }

    long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Registry processor time per successful call, in microseconds; NaN when not measured. */
    double registryCpuMicrosPerCall() {
        if (cpu == null || calls == 0) {
            return Double.NaN;
        }
        return cpu.registryCores() * seconds * 1e6 / calls;
    }

    /** Several measured windows of the same RPC as one result: rates over the total time, latencies of all calls. */
    static LoadResult combine(List<Measured> parts) {
        LoadResult first = parts.get(0).result();
        Histogram histogram = new Histogram(3);
        long calls = 0;
        double seconds = 0;
        Map<String, Long> errors = new TreeMap<>();
        List<Window> windows = new ArrayList<>();
        double[] cores = new double[5];
        boolean cpuKnown = true;
        for (Measured part : parts) {
            LoadResult result = part.result();
            histogram.add(part.histogram());
            calls += result.calls();
            seconds += result.seconds();
            result.errors().forEach((kind, count) -> errors.merge(kind, count, Long::sum));
            windows.addAll(result.windows());
            if (result.cpu() == null) {
                cpuKnown = false;
            } else {
                cores[0] += result.cpu().registryCores() * result.seconds();
                cores[1] += result.cpu().loadGeneratorCores() * result.seconds();
                cores[2] += result.cpu().storageCores() * result.seconds();
                cores[3] += result.cpu().machineCores() * result.seconds();
                cores[4] += result.cpu().otherCores() * result.seconds();
            }
        }
        CpuUse cpu = cpuKnown
                ? new CpuUse(cores[0] / seconds, cores[1] / seconds, cores[2] / seconds, cores[3] / seconds, cores[4] / seconds)
                : null;
        return new LoadResult(first.name(), first.unitsPerCall(), calls, errors, seconds, calls / seconds, Latency.of(histogram), cpu,
                windows);
    }
}
