package io.aeroarc.registry.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Thread count and live heap of another JVM on this machine, from /proc and jcmd. */
record ServerVitals(int threads, long heapUsedKb) {

    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    static ServerVitals of(long pid) {
        return new ServerVitals(threads(pid), heapAfterGc(pid));
    }

    static int threads(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Threads:")) {
                    return Integer.parseInt(line.substring("Threads:".length()).trim());
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read the threads of process " + pid, e);
        }
        throw new AssertionError("no Threads line for process " + pid);
    }

    /** The JVM's threads by name, digits folded ("registry-batch-N"), most numerous first: what a leak would show. */
    static String threadNames(long pid) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String line : jcmd(pid, "Thread.print").split("\\R")) {
            if (line.startsWith("\"")) {
                counts.merge(line.substring(1, Math.max(1, line.indexOf('"', 1))).replaceAll("\\d+", "N"), 1, Integer::sum);
            }
        }
        return counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .map(entry -> entry.getValue() + " " + entry.getKey()).collect(Collectors.joining(", "));
    }

    /** Live heap: a full GC first, so garbage not yet collected does not count. */
    static long heapAfterGc(long pid) {
        jcmd(pid, "GC.run");
        Matcher used = USED.matcher(jcmd(pid, "GC.heap_info"));
        if (!used.find()) {
            throw new AssertionError("no heap use in jcmd's answer for process " + pid);
        }
        return Long.parseLong(used.group(1));
    }

    private static String jcmd(long pid, String command) {
        try {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid), command)
                    .redirectErrorStream(true).start();
            String output = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!jcmd.waitFor(30, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
                throw new AssertionError("jcmd " + command + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new AssertionError("cannot run jcmd", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
