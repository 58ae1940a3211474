package io.aeroarc.registry.ctl;

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

/** The registry server's runnable jar in its own JVM, as an operator runs it. */
final class ServerJar implements AutoCloseable {

    static final Path JAR = Path.of(System.getProperty("registry.jar", "../registry-server/target/relay-registry.jar"));
    private static final Pattern SERVING = Pattern.compile("serving aeroarc.registry.v1.AeroRegistry on [^ ]+:(\\d+) ");

    private final Process process;
    private final List<String> output = new CopyOnWriteArrayList<>();

    private ServerJar(Process process) {
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

    static ServerJar start(List<String> flags) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", JAR.toString()));
        command.addAll(flags);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("AERO_REGISTRY_"));
        return new ServerJar(builder.start());
    }

    /** Waits for the start line and returns the port it names. */
    int awaitPort() {
        await().atMost(Duration.ofSeconds(60)).until(() -> startLine() != null || !process.isAlive());
        String line = startLine();
        if (line == null) {
            throw new AssertionError("the registry did not start:\n" + String.join("\n", output));
        }
        Matcher matcher = SERVING.matcher(line);
        matcher.find();
        return Integer.parseInt(matcher.group(1));
    }

    private String startLine() {
        return output.stream().filter(line -> SERVING.matcher(line).find()).findFirst().orElse(null);
    }

    @Override
    public void close() {
        process.toHandle().destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
