package io.aeroarc.registry.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.spi.TtlSupport;
import io.aeroarc.registry.tck.ForwardingBackend;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackendLoaderTest {

    private static final BackendContext CONTEXT = new BackendContext(Clock.systemUTC());
    private static final RegistrySettings SETTINGS = new RegistrySettings(Duration.ofSeconds(1), Duration.ofSeconds(30), 100);

    @TempDir
    Path classPathEntry;

    @Test
    void the_default_class_path_offers_the_memory_backend() {
        BackendLoader loader = BackendLoader.discover(getClass().getClassLoader());

        assertThat(loader.names()).contains("memory");
        try (RegistryBackend backend = loader.open("memory", BackendOptions.none("memory"), CONTEXT, SETTINGS)) {
            assertThat(backend).isInstanceOf(MemoryBackend.class);
        }
    }

    @Test
    void an_unknown_name_fails_listing_the_names_found() throws IOException {
        BackendLoader loader = BackendLoader.discover(loaderListing(Alpha.class, Beta.class));

        assertThatThrownBy(() -> loader.open("redis", BackendOptions.none("redis"), CONTEXT, SETTINGS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown --backend 'redis'; available: alpha, beta, memory");
    }

    @Test
    void two_providers_with_one_name_fail_discovery_naming_both_classes() throws IOException {
        assertThatThrownBy(() -> BackendLoader.discover(loaderListing(Alpha.class, AlphaAgain.class)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("two storage backends are named 'alpha'")
                .hasMessageContaining(Alpha.class.getName())
                .hasMessageContaining(AlphaAgain.class.getName());
    }

    @Test
    void a_configured_ttl_below_the_backends_minimum_fails_and_closes_the_backend() throws IOException {
        BackendLoader loader = BackendLoader.discover(loaderListing(Beta.class));
        Beta.closed.set(false);

        assertThatThrownBy(() -> loader.open("beta", BackendOptions.none("beta"), CONTEXT, SETTINGS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--relay-ttl 1s is below the beta backend's minimum TTL of 2s");
        assertThat(Beta.closed).isTrue();
    }

    @Test
    void a_provider_built_for_another_spi_version_is_refused_naming_both_versions() throws IOException {
        assertThatThrownBy(() -> BackendLoader.discover(loaderListing(FromTheFuture.class)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("storage backend 'future'")
                .hasMessageContaining("is built for SPI version " + (RegistryBackendProvider.SPI_VERSION + 1))
                .hasMessageContaining("this server implements version " + RegistryBackendProvider.SPI_VERSION);
    }

    @Test
    void each_plugin_jar_gets_its_own_class_loader_and_is_listed_with_its_jar(@TempDir Path plugins) throws IOException {
        pluginJar(plugins.resolve("isolated-backend.jar"), PluginOnly.class);
        Files.writeString(plugins.resolve("README.txt"), "not a plugin");

        BackendLoader loader = BackendLoader.discover(getClass().getClassLoader(), Optional.of(plugins));

        assertThat(loader.origins()).containsEntry("isolated", plugins.resolve("isolated-backend.jar").toString()).containsKey("memory");
        // The plugin's copy of the class, not the test class path's: the plugin sees only the JDK, the SPI and its jar.
        assertThatThrownBy(() -> loader.open("isolated", BackendOptions.none("isolated"), CONTEXT, SETTINGS))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessage("loaded by plugin isolated-backend.jar, created with context loader plugin isolated-backend.jar");
    }

    @Test
    void a_plugin_named_like_a_built_in_backend_stops_discovery_naming_both_origins(@TempDir Path plugins) throws IOException {
        pluginJar(plugins.resolve("memory-clone.jar"), PluginOnly.class);

        assertThatThrownBy(() -> BackendLoader.discover(loaderListing(Isolated.class), Optional.of(plugins)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("two storage backends are named 'isolated'")
                .hasMessageContaining(plugins.resolve("memory-clone.jar").toString());
    }

    @Test
    void a_plugin_directory_that_is_not_one_is_refused(@TempDir Path dir) {
        assertThatThrownBy(() -> BackendLoader.discover(getClass().getClassLoader(), Optional.of(dir.resolve("missing"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid --plugin-dir");
    }

    /** A jar holding {@code provider}'s class file and a service file naming it. */
    private static void pluginJar(Path jar, Class<?> provider) throws IOException {
        String classFile = provider.getName().replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                InputStream bytes = provider.getClassLoader().getResourceAsStream(classFile)) {
            out.putNextEntry(new JarEntry(classFile));
            bytes.transferTo(out);
            out.putNextEntry(new JarEntry("META-INF/services/" + RegistryBackendProvider.class.getName()));
            out.write((provider.getName() + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A class loader whose service file lists {@code providers} on top of the test class path's own. */
    private ClassLoader loaderListing(Class<?>... providers) throws IOException {
        Path services = classPathEntry.resolve("META-INF/services");
        Files.createDirectories(services);
        StringBuilder lines = new StringBuilder();
        for (Class<?> provider : providers) {
            lines.append(provider.getName()).append('\n');
        }
        Files.writeString(services.resolve(RegistryBackendProvider.class.getName()), lines);
        return new URLClassLoader(new URL[] {classPathEntry.toUri().toURL()}, getClass().getClassLoader());
    }

    public static final class Alpha implements RegistryBackendProvider {
        @Override
        public String name() {
            return "alpha";
        }

        @Override
        public int spiVersion() {
            return SPI_VERSION;
        }

        @Override
        public RegistryBackend create(BackendOptions options, BackendContext context) {
            return new MemoryBackend(context.clock(), Duration.ZERO);
        }
    }

    /** A provider that is never created: only its name and SPI version matter. */
    private abstract static class NamedOnly implements RegistryBackendProvider {
        private final String name;
        private final int spiVersion;

        NamedOnly(String name, int spiVersion) {
            this.name = name;
            this.spiVersion = spiVersion;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int spiVersion() {
            return spiVersion;
        }

        @Override
        public RegistryBackend create(BackendOptions options, BackendContext context) {
            throw new UnsupportedOperationException("never created");
        }
    }

    public static final class AlphaAgain extends NamedOnly {
        public AlphaAgain() {
            super("alpha", SPI_VERSION);
        }
    }

    public static final class FromTheFuture extends NamedOnly {
        public FromTheFuture() {
            super("future", SPI_VERSION + 1);
        }
    }

    /** Self-contained, so its class file alone makes a plugin jar; says which loaders it sees. */
    public static final class PluginOnly implements RegistryBackendProvider {
        @Override
        public String name() {
            return "isolated";
        }

        @Override
        public int spiVersion() {
            return SPI_VERSION;
        }

        @Override
        public RegistryBackend create(BackendOptions options, BackendContext context) {
            throw new UnsupportedOperationException("loaded by " + getClass().getClassLoader().getName() + ", created with context loader "
                    + Thread.currentThread().getContextClassLoader().getName());
        }
    }

    /** The same name as {@link PluginOnly}, on the class path. */
    public static final class Isolated extends NamedOnly {
        public Isolated() {
            super("isolated", SPI_VERSION);
        }
    }

    /** A backend whose TTLs must be at least 2 s, as etcd's leases at default settings. */
    public static final class Beta implements RegistryBackendProvider {
        static final AtomicBoolean closed = new AtomicBoolean();

        @Override
        public String name() {
            return "beta";
        }

        @Override
        public int spiVersion() {
            return SPI_VERSION;
        }

        @Override
        public RegistryBackend create(BackendOptions options, BackendContext context) {
            return new ForwardingBackend(new MemoryBackend(context.clock(), Duration.ZERO)) {
                @Override
                public TtlSupport ttlSupport() {
                    return new TtlSupport(Duration.ofSeconds(2), Duration.ofSeconds(1));
                }

                @Override
                public void close() {
                    closed.set(true);
                    super.close();
                }
            };
        }
    }
}
