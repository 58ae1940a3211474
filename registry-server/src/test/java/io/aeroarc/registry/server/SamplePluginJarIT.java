package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeroarc.registry.backend.memory.MemoryBackendProvider;
import io.aeroarc.registry.server.plugin.MemoryXProvider;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugins in the runnable jar, as an operator uses them: {@code java -jar relay-registry.jar
 * --plugin-dir DIR}. The sample backend (examples/backend-sample, built as its own Maven project
 * by maven-invoker-plugin just before this test, its TCK included) serves the full API; a plugin
 * named {@code memory-x} gets the {@code --memory-x-*} flags; a plugin that reuses a name stops
 * the start-up.
 */
class SamplePluginJarIT {

    private static final Path JAR = Path.of(System.getProperty("registry.jar", "target/relay-registry.jar"));
    private static final Path SAMPLE_TARGET = Path.of(System.getProperty("sample.backend.dir", "target/examples/backend-sample/target"));

    @TempDir
    Path plugins;

    @Test
    void the_sample_backend_serves_from_the_plugin_directory_and_help_names_its_jar() throws Exception {
        Path sampleJar = Files.copy(sampleJar(), plugins.resolve("backend-sample.jar"));

        try (RegistryProcess help = RegistryProcess.fromJar(JAR, List.of("--plugin-dir", plugins.toString(), "--help"))) {
            assertThat(help.awaitExit()).isZero();
            assertThat(help.output).anyMatch(line -> line.matches("  sample +" + java.util.regex.Pattern.quote(sampleJar.toString())))
                    .anyMatch(line -> line.matches("  memory +relay-registry.jar"));
        }

        List<String> flags = List.of("--plugin-dir", plugins.toString(), "--backend", "sample", "--grpc-listen-address", "127.0.0.1",
                "--grpc-listen-port", "0");
        try (RegistryProcess registry = RegistryProcess.fromJar(JAR, flags)) {
            assertThat(registry.awaitServing()).contains("backend sample");
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", registry.port()).usePlaintext().build();
            try {
                FullApiCheck.run(channel);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            registry.terminate();
            assertThat(registry.awaitExit()).isZero();
        }

        try (RegistryProcess typo = RegistryProcess.fromJar(JAR, List.of("--plugin-dir", plugins.toString(), "--backend", "sample",
                "--sample-url", "x"))) {
            assertThat(typo.awaitExit()).isEqualTo(2);
            assertThat(typo.output).anyMatch(line -> line.contains("unknown --backend-option url for backend sample"));
        }
    }

    @Test
    void a_plugin_named_memory_x_gets_the_memory_x_flags() throws Exception {
        Path plugin = Files.createDirectory(plugins.resolve("memory-x"));
        classesJar(plugin.resolve("memory-x.jar"), MemoryXProvider.class);
        // Its own copy of the memory backend's classes, without the service file that would offer a second "memory".
        copyWithoutServiceFiles(codeSource(MemoryBackendProvider.class), plugin.resolve("backend-memory-copy.jar"));

        // The option reaches memory-x (its own check refuses the value), not memory.
        try (RegistryProcess registry = RegistryProcess.fromJar(JAR, List.of("--plugin-dir", plugins.toString(), "--backend", "memory-x",
                "--memory-x-sweep-interval", "10ms"))) {
            assertThat(registry.awaitExit()).isEqualTo(2);
            assertThat(registry.output).anyMatch(line -> line.contains("invalid --backend-option sweep-interval='10ms' for backend memory-x"));
        }
        try (RegistryProcess registry = RegistryProcess.fromJar(JAR, List.of("--plugin-dir", plugins.toString(), "--backend", "memory-x",
                "--memory-x-sweep-interval", "1s", "--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0"))) {
            assertThat(registry.awaitServing()).contains("backend memory-x");
            // Served by the plugin's own copy of the memory backend's classes.
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", registry.port()).usePlaintext().build();
            try {
                FullApiCheck.run(channel);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            registry.terminate();
            assertThat(registry.awaitExit()).isZero();
        }
        // A flag of a backend that is not selected stops the start-up, naming it.
        try (RegistryProcess registry = RegistryProcess.fromJar(JAR, List.of("--plugin-dir", plugins.toString(), "--memory-x-sweep-interval",
                "1s"))) {
            assertThat(registry.awaitExit()).isEqualTo(2);
            assertThat(registry.output).anyMatch(line -> line.contains("--memory-x-sweep-interval sets option sweep-interval of backend memory-x,"
                    + " but the backend is memory"));
        }
    }

    @Test
    void a_plugin_that_reuses_a_backend_name_stops_the_start_up_naming_both_jars() throws Exception {
        Path clone = Files.copy(codeSourceJar(MemoryBackendProvider.class), plugins.resolve("memory-clone.jar"));

        try (RegistryProcess registry = RegistryProcess.fromJar(JAR, List.of("--plugin-dir", plugins.toString()))) {
            assertThat(registry.awaitExit()).isEqualTo(2);
            assertThat(registry.output).anyMatch(line -> line.contains("two storage backends are named 'memory'")
                    && line.contains("from relay-registry.jar") && line.contains("from " + clone));
        }
    }

    private static Path sampleJar() throws IOException {
        try (Stream<Path> files = Files.list(SAMPLE_TARGET)) {
            return files.filter(path -> path.getFileName().toString().matches("registry-backend-sample-.*\\.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no sample backend jar in " + SAMPLE_TARGET.toAbsolutePath()
                            + "; maven-invoker-plugin builds it in the pre-integration-test phase (see its build.log)"));
        }
    }

    /** A jar of {@code provider}'s class file with a service file naming it. */
    private static void classesJar(Path jar, Class<? extends RegistryBackendProvider> provider) throws IOException {
        String classFile = provider.getName().replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                InputStream bytes = provider.getClassLoader().getResourceAsStream(classFile)) {
            out.putNextEntry(new JarEntry(classFile));
            bytes.transferTo(out);
            out.putNextEntry(new JarEntry("META-INF/services/" + RegistryBackendProvider.class.getName()));
            out.write((provider.getName() + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Copies the classes of a jar or class directory into a new jar, leaving out service files. */
    private static void copyWithoutServiceFiles(Path source, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            if (Files.isDirectory(source)) {
                try (Stream<Path> files = Files.walk(source)) {
                    for (Path file : files.filter(Files::isRegularFile).toList()) {
                        String name = source.relativize(file).toString().replace('\\', '/');
                        copyEntry(name, Files.newInputStream(file), out);
                    }
                }
            } else {
                try (JarFile in = new JarFile(source.toFile())) {
                    for (JarEntry entry : in.stream().filter(entry -> !entry.isDirectory()).toList()) {
                        copyEntry(entry.getName(), in.getInputStream(entry), out);
                    }
                }
            }
        }
    }

    private static void copyEntry(String name, InputStream content, OutputStream out) throws IOException {
        try (content) {
            if (name.startsWith("META-INF/services/") || name.equals("META-INF/MANIFEST.MF")) {
                return;
            }
            ((JarOutputStream) out).putNextEntry(new JarEntry(name));
            content.transferTo(out);
        }
    }

    private static Path codeSource(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** The class's jar: the reactor puts the packaged module on the class path of integration tests. */
    private static Path codeSourceJar(Class<?> type) throws URISyntaxException {
        Path source = codeSource(type);
        assertThat(source.getFileName().toString()).as("the memory backend comes from its jar").endsWith(".jar");
        return source;
    }

    static {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException("no runnable jar at " + JAR.toAbsolutePath() + "; run through mvn verify");
        }
    }
}
