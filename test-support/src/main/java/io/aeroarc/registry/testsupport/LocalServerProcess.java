package io.aeroarc.registry.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A server binary run by the tests on a loopback port, with its files in a temp directory:
 * started, stopped and started again on the same port, and removed on close.
 */
public final class LocalServerProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

    private final String name;
    private final List<String> command;
    private final Path directory;
    private final int port;
    private final Path log;
    private Process process;

    /**
     * @param directory a fresh temp directory the server owns; deleted on close
     * @param port the loopback port the server listens on, polled to know it is up
     */
    public LocalServerProcess(String name, List<String> command, Path directory, int port) {
        this.name = name;
        this.command = List.copyOf(command);
        this.directory = directory;
        this.port = port;
        this.log = directory.resolve(name + ".log");
    }

    public int port() {
        return port;
    }

    public Path directory() {
        return directory;
    }

    /** Starts the server and returns once its port accepts connections. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        try {
            process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!accepts()) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " at start-up:\n" + logTail());
            }
            if (System.nanoTime() > deadline) {
                stop();
                throw new IllegalStateException(name + " did not listen on port " + port + " within " + START_TIMEOUT + ":\n" + logTail());
            }
            pause();
        }
    }

    /**
     * SIGSTOP to the server and every process it started (PostgreSQL serves each connection from a
     * child), as a hung host: connections stay open and nothing answers.
     */
    public synchronized void freeze() {
        signalAll("-STOP");
    }

    /** SIGCONT to the server and its processes, after {@link #freeze()}. */
    public synchronized void thaw() {
        signalAll("-CONT");
    }

    /**
     * SIGKILL to the server and every process it started, as a crash: no shutdown, files and
     * locks left as they were. Returns once they are gone and the port refuses connections;
     * {@link #start()} starts it again on the same port.
     */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        List<ProcessHandle> all = processTree();
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle handle : all) {
            try {
                handle.onExit().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(name + " process " + handle.pid() + " did not die after SIGKILL", e);
            }
        }
        process = null;
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        while (accepts() && System.nanoTime() < deadline) {
            pause();
        }
    }

    private List<ProcessHandle> processTree() {
        if (process == null) {
            throw new IllegalStateException(name + " is not running");
        }
        List<ProcessHandle> all = new java.util.ArrayList<>();
        all.add(process.toHandle());
        process.toHandle().descendants().forEach(all::add);
        return all;
    }

    private void signalAll(String signal) {
        List<String> command = new java.util.ArrayList<>(List.of("kill", signal));
        processTree().forEach(handle -> command.add(Long.toString(handle.pid())));
        try {
            Process kill = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("'" + String.join(" ", command) + "' failed for " + name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill for " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** SIGTERM, then SIGKILL if the process has not exited within {@code patience}. */
    public static void terminate(Process process, Duration patience) {
        process.destroy();
        try {
            if (!process.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(patience.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** Stops the server (SIGTERM, then SIGKILL) and returns once its port refuses connections. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        terminate(process, STOP_TIMEOUT);
        process = null;
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        while (accepts() && System.nanoTime() < deadline) {
            pause();
        }
    }

    @Override
    public synchronized void close() {
        stop();
        deleteRecursively(directory);
    }

    /** The last lines the server wrote, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private boolean accepts() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // Leftover temp files are harmless; the next run uses a fresh directory.
        }
    }
}
