package io.aeroarc.registry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The machine a run was on, so figures from different runs can be compared honestly.
 *
 * @param loadAverage the 1, 5 and 15 minute load averages at the time
 */
record MachineFacts(String cpuModel, int cores, long memoryBytes, String os, String kernel, String jdk, double[] loadAverage) {

    static MachineFacts collect() {
        return new MachineFacts(readCpuModel(), Runtime.getRuntime().availableProcessors(), readMemoryBytes(), readOsName(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                        + System.getProperty("java.vendor") + ")",
                currentLoadAverage());
    }

    /** 1, 5 and 15 minute load averages from {@code /proc/loadavg}; empty elsewhere. */
    static double[] currentLoadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {Double.parseDouble(fields[0]), Double.parseDouble(fields[1]), Double.parseDouble(fields[2])};
        } catch (IOException | RuntimeException e) {
            return new double[0];
        }
    }

    private static String readCpuModel() {
        return firstValue(Path.of("/proc/cpuinfo"), "model name").orElse(System.getProperty("os.arch"));
    }

    private static long readMemoryBytes() {
        return firstValue(Path.of("/proc/meminfo"), "MemTotal")
                .map(value -> Long.parseLong(value.replaceAll("[^0-9]", "")) * 1024)
                .orElse(-1L);
    }

    private static String readOsName() {
        return firstValue(Path.of("/etc/os-release"), "PRETTY_NAME")
                .map(value -> value.replace("\"", ""))
                .orElse(System.getProperty("os.name"));
    }

    /** The value of the first {@code key: value} or {@code key=value} line. */
    private static java.util.Optional<String> firstValue(Path file, String key) {
        try {
            List<String> lines = Files.readAllLines(file);
            for (String line : lines) {
                if (line.startsWith(key)) {
                    int separator = line.indexOf(':') >= 0 ? line.indexOf(':') : line.indexOf('=');
                    if (separator > 0) {
                        return java.util.Optional.of(line.substring(separator + 1).trim());
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return java.util.Optional.empty();
    }
}
