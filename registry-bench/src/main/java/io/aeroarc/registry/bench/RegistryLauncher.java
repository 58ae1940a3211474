package io.aeroarc.registry.bench;

import io.aeroarc.registry.spi.GoDurations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * How the suite starts registry servers: {@code java -jar relay-registry.jar} when given the
 * runnable jar, else the server's {@code Main} from this process' own class path (the bench jar
 * carries the server and every backend).
 *
 * @param registryJar the runnable jar the build produced, when given
 * @param classPath this process' class path, used without a jar
 * @param jvmFlags for the registry JVM, such as its heap size
 */
record RegistryLauncher(Optional<Path> registryJar, String classPath, List<String> jvmFlags) {

    static final String MAIN_CLASS = "io.aeroarc.registry.server.Main";

    /**
     * @param name names the log and flight recording files
     * @param recording where to write a flight recording of the whole run, if any
     */
    RegistryProcess start(String name, String backend, Map<String, String> backendOptions, Duration relayTtl, Duration agentTtl,
            Path directory, Optional<Path> recording) {
        return start(name, backend, backendOptions, relayTtl, agentTtl, directory, recording, List.of());
    }

    /** @param extraFlags appended to the registry's command line, such as {@code --metrics-listen-address} */
    RegistryProcess start(String name, String backend, Map<String, String> backendOptions, Duration relayTtl, Duration agentTtl,
            Path directory, Optional<Path> recording, List<String> extraFlags) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:+ExitOnOutOfMemoryError");
        command.addAll(jvmFlags);
        recording.ifPresent(file -> command.add("-XX:StartFlightRecording=filename=" + file + ",settings=default,dumponexit=true"));
        if (registryJar.isPresent()) {
            command.add("-jar");
            command.add(registryJar.get().toString());
        } else {
            command.add("-cp");
            command.add(classPath);
            command.add(MAIN_CLASS);
        }
        command.addAll(List.of("--backend", backend,
                "--grpc-listen-address", "127.0.0.1",
                "--grpc-listen-port", "0",
                "--relay-ttl", GoDurations.format(relayTtl),
                "--agent-ttl", GoDurations.format(agentTtl),
                "--shutdown-timeout", "5s",
                // The max loop keeps 16 calls in flight per connection, lists included: the default cap
                // of 4 list builds per connection (a guard against slow readers) would refuse most of them.
                "--max-list-calls-per-connection", "64"));
        new TreeMap<>(backendOptions).forEach((key, value) -> {
            command.add("--backend-option");
            command.add(key + "=" + value);
        });
        command.addAll(extraFlags);
        return RegistryProcess.start(command, directory.resolve("registry-" + name + ".log"));
    }

    /** What the report says about how the registry ran. */
    String describe() {
        return (registryJar.isPresent() ? "java -jar " + registryJar.get().getFileName() : "java -cp <bench class path> " + MAIN_CLASS)
                + (jvmFlags.isEmpty() ? "" : " " + String.join(" ", jvmFlags));
    }
}
