package io.aeroarc.registry.server;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A registry in its own JVM, as an operator runs it; stdout and stderr collected line by line. */
final class RegistryProcess implements AutoCloseable {

    private static final Pattern SERVING = Pattern.compile("serving aeroarc.registry.v1.AeroRegistry on [^ ]+:(\\d+) ");

    final Process process;
    final List<String> output = new CopyOnWriteArrayList<>();

    private RegistryProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    output.add(line);
                }
            } catch (IOException e) {
                output.add("(output lost: " + e + ")");
            }
        });
        reader.setDaemon(true);
        reader.start();
    }

    /** {@code Main} on this test's class path. */
    static RegistryProcess fromClassPath(List<String> flags) throws IOException {
        List<String> command = new ArrayList<>(List.of(java(), "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), Main.class.getName()));
        command.addAll(flags);
        return start(command);
    }

    /** The runnable jar the build produced. */
    static RegistryProcess fromJar(Path jar, List<String> flags) throws IOException {
        return fromJar(jar, List.of(), flags);
    }

    /** The runnable jar with JVM options such as {@code -Xmx256m}. */
    static RegistryProcess fromJar(Path jar, List<String> jvmOptions, List<String> flags) throws IOException {
        List<String> command = new ArrayList<>(List.of(java()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString()));
        command.addAll(flags);
        return start(command);
    }

    /** Any command line that starts a registry, e.g. a runtime and class path unpacked from the image. */
    static RegistryProcess fromCommand(List<String> command) throws IOException {
        return start(command);
    }

    private static RegistryProcess start(List<String> command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("AERO_REGISTRY_"));
        return new RegistryProcess(builder.start());
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Waits for the start line; returns the line. */
    String awaitServing() {
        await().atMost(Duration.ofSeconds(60)).until(() -> output.stream().anyMatch(line -> SERVING.matcher(line).find()) || !process.isAlive());
        return output.stream().filter(line -> SERVING.matcher(line).find()).findFirst()
                .orElseThrow(() -> new AssertionError("the registry did not start:\n" + String.join("\n", output)));
    }

    int port() {
        Matcher matcher = SERVING.matcher(awaitServing());
        if (!matcher.find()) {
            throw new AssertionError("no port in the start line");
        }
        return Integer.parseInt(matcher.group(1));
    }

    /** Sends SIGTERM; Process.destroy() would also close our end of the output. */
    void terminate() {
        process.toHandle().destroy();
    }

    int awaitExit() throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("the registry did not exit:\n" + String.join("\n", output));
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
