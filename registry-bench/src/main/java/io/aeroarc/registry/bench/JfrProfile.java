package io.aeroarc.registry.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * What the registry spent its time and allocations on during each measured phase, from the
 * flight recording it wrote (JFR's default settings: a Java stack sample every 20 ms per running
 * thread, allocation samples).
 *
 * @param phases one profile per measured phase
 * @param allocations the classes allocated most, by sampled weight, over all phases
 */
record JfrProfile(String recording, List<PhaseProfile> phases, List<Hotspot> allocations) {

    private static final String BACKEND_PACKAGE = "io.aeroarc.registry.backend.";

    /**
     * @param backendShare share of samples with a backend frame on the stack
     * @param topFrames methods on top of the stack (self time), by share of samples
     */
    record PhaseProfile(String phase, long samples, double backendShare, List<Hotspot> topFrames) {}

    record Hotspot(String frame, double share) {}

    /** A measured phase's name and when it ran. */
    record Phase(String name, List<LoadResult.Window> windows) {

        static Phase of(LoadResult load, String name) {
            return new Phase(name, load.windows());
        }

        boolean contains(long epochMs) {
            return windows.stream().anyMatch(window -> epochMs >= window.startEpochMs() && epochMs <= window.endEpochMs());
        }
    }

    static JfrProfile read(Path recording, List<Phase> phases, int top) {
        List<RecordedEvent> samples = new ArrayList<>();
        Map<String, Long> allocationWeight = new HashMap<>();
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                RecordedEvent event = file.readEvent();
                String type = event.getEventType().getName();
                long at = event.getStartTime().toEpochMilli();
                if (type.equals("jdk.ExecutionSample")) {
                    samples.add(event);
                } else if (type.equals("jdk.ObjectAllocationSample") && phases.stream().anyMatch(phase -> phase.contains(at))) {
                    String name = event.getClass("objectClass") == null ? "?" : event.getClass("objectClass").getName();
                    allocationWeight.merge(name, event.getLong("weight"), Long::sum);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the flight recording " + recording, e);
        }
        List<PhaseProfile> profiles = new ArrayList<>();
        for (Phase phase : phases) {
            profiles.add(profile(phase, samples, top));
        }
        return new JfrProfile(recording.getFileName().toString(), profiles, topShares(allocationWeight, top));
    }

    private static PhaseProfile profile(Phase phase, List<RecordedEvent> samples, int top) {
        Map<String, Long> selfFrames = new HashMap<>();
        long count = 0;
        long inBackend = 0;
        for (RecordedEvent sample : samples) {
            long at = sample.getStartTime().toEpochMilli();
            RecordedStackTrace stack = sample.getStackTrace();
            if (!phase.contains(at) || stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            count++;
            selfFrames.merge(frameName(stack.getFrames().get(0)), 1L, Long::sum);
            if (stack.getFrames().stream().anyMatch(frame -> frame.getMethod().getType().getName().startsWith(BACKEND_PACKAGE))) {
                inBackend++;
            }
        }
        return new PhaseProfile(phase.name(), count, count == 0 ? 0 : inBackend / (double) count, topShares(selfFrames, top));
    }

    private static String frameName(RecordedFrame frame) {
        String type = frame.getMethod().getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + frame.getMethod().getName();
    }

    private static List<Hotspot> topShares(Map<String, Long> weights, int top) {
        double total = weights.values().stream().mapToLong(Long::longValue).sum();
        return weights.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                .limit(top)
                .map(entry -> new Hotspot(entry.getKey(), entry.getValue() / total))
                .toList();
    }
}
