package io.aeroarc.registry.bench;

import io.aeroarc.registry.testsupport.LocalServerProcess;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A registry server in its own JVM, as an operator runs it: started from a command line, its
 * output copied to a log file, its port read from its start line, stopped with SIGTERM.
 */
final class RegistryProcess implements AutoCloseable {

    private static final Pattern SERVING = Pattern.compile("serving aeroarc.registry.v1.AeroRegistry on [^ ]+:(\\d+) ");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final Path log;
    private final CompletableFuture<Integer> port = new CompletableFuture<>();

    private RegistryProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
        Thread copier = new Thread(this::copyOutput, "registry-output-" + process.pid());
        copier.setDaemon(true);
        copier.start();
    }

    /** Starts {@code command} and returns once the server prints its start line. */
    static RegistryProcess start(List<String> command, Path log) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        // The registry reads flags from AERO_REGISTRY_* too; only the command line counts here.
        builder.environment().keySet().removeIf(name -> name.startsWith("AERO_REGISTRY_"));
        RegistryProcess registry;
        try {
            registry = new RegistryProcess(builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the registry: " + command, e);
        }
        try {
            registry.port.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            registry.close();
            throw new IllegalStateException("the registry did not start (" + e.getMessage() + "); see " + log, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            registry.close();
            throw new IllegalStateException("interrupted while the registry started", e);
        }
        return registry;
    }

    int port() {
        return port.join();
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    /** Resident memory of the process in bytes, from {@code /proc}; -1 when unknown. */
    long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone
        }
        return -1;
    }

    private void copyOutput() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                BufferedWriter out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                out.write(line);
                out.newLine();
                out.flush();
                Matcher matcher = SERVING.matcher(line);
                if (!port.isDone() && matcher.find()) {
                    port.complete(Integer.parseInt(matcher.group(1)));
                }
            }
        } catch (IOException e) {
            port.completeExceptionally(e);
        }
        port.completeExceptionally(new IllegalStateException("the registry exited with " + exitCode()));
    }

    private String exitCode() {
        try {
            return Integer.toString(process.waitFor());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /** SIGTERM, which stops the registry gracefully (and writes its flight recording); SIGKILL when it hangs. */
    @Override
    public void close() {
        LocalServerProcess.terminate(process, STOP_TIMEOUT);
    }
}
