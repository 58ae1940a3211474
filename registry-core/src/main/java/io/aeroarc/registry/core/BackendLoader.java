package io.aeroarc.registry.core;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Finds backend providers (on the server's class path and in the plugin directory) with
 * {@link ServiceLoader}, checks them, and opens the selected one.
 *
 * <p>Plugin directory: each {@code *.jar} in it is one plugin, and so is each sub-directory (all
 * the jars inside it: the backend and its libraries). Each plugin gets its own
 * {@link PluginClassLoader}. Other files are ignored.
 */
public final class BackendLoader {

    /** A provider and where it came from, as shown to operators. */
    private record Found(RegistryBackendProvider provider, String origin) {}

    private final Map<String, Found> providers;

    private BackendLoader(Map<String, Found> providers) {
        this.providers = Collections.unmodifiableMap(providers);
    }

    /**
     * Loads every provider visible to {@code classLoader}.
     *
     * @throws IllegalStateException when two providers share a name or one is built for another SPI version
     */
    public static BackendLoader discover(ClassLoader classLoader) {
        return discover(classLoader, Optional.empty());
    }

    /**
     * Loads every provider visible to {@code classLoader}, and those of each plugin in {@code pluginDir}.
     *
     * @throws IllegalStateException when two providers share a name, one is built for another SPI
     *     version, or a plugin cannot be loaded; the message names the jars
     * @throws IllegalArgumentException when {@code pluginDir} is given but is not a readable directory
     */
    public static BackendLoader discover(ClassLoader classLoader, Optional<Path> pluginDir) {
        Map<String, Found> byName = new TreeMap<>();
        for (RegistryBackendProvider provider : load(ServiceLoader.load(RegistryBackendProvider.class, classLoader), "the class path")) {
            add(byName, new Found(provider, originOf(provider)));
        }
        if (pluginDir.isPresent()) {
            for (Path plugin : plugins(pluginDir.get())) {
                ClassLoader loader = new PluginClassLoader("plugin " + plugin.getFileName(), jarsOf(plugin), classLoader);
                String origin = plugin.toString();
                List<RegistryBackendProvider> found = load(ServiceLoader.load(RegistryBackendProvider.class, loader), origin);
                for (RegistryBackendProvider provider : found) {
                    add(byName, new Found(provider, Files.isDirectory(plugin) ? origin + " (" + originOf(provider) + ")" : origin));
                }
            }
        }
        return new BackendLoader(byName);
    }

    private static List<RegistryBackendProvider> load(ServiceLoader<RegistryBackendProvider> loader, String where) {
        List<RegistryBackendProvider> found = new ArrayList<>();
        try {
            loader.forEach(found::add);
        } catch (ServiceConfigurationError | LinkageError e) {
            throw new IllegalStateException("cannot load the storage backend in " + where + ": " + e.getMessage(), e);
        }
        return found;
    }

    private static void add(Map<String, Found> byName, Found found) {
        RegistryBackendProvider provider = found.provider();
        String name = provider.name();
        int version = spiVersionOf(provider, name, found.origin());
        if (version != RegistryBackendProvider.SPI_VERSION) {
            throw new IllegalStateException("storage backend '" + name + "' from " + found.origin() + " is built for SPI version " + version
                    + ", this server implements version " + RegistryBackendProvider.SPI_VERSION + "; rebuild the backend against registry-spi "
                    + "with SPI_VERSION " + RegistryBackendProvider.SPI_VERSION + " (or use a server of its version)");
        }
        Found clash = byName.putIfAbsent(name, found);
        if (clash != null) {
            throw new IllegalStateException("two storage backends are named '" + name + "': " + clash.provider().getClass().getName()
                    + " from " + clash.origin() + " and " + provider.getClass().getName() + " from " + found.origin()
                    + "; remove one of them");
        }
    }

    private static int spiVersionOf(RegistryBackendProvider provider, String name, String origin) {
        try {
            return provider.spiVersion();
        } catch (AbstractMethodError e) {
            throw new IllegalStateException("storage backend '" + name + "' from " + origin
                    + " is built for SPI version 1 (it has no spiVersion()), this server implements version "
                    + RegistryBackendProvider.SPI_VERSION + "; rebuild the backend against the current registry-spi");
        }
    }

    /** The plugins in {@code dir}, sorted by name, so discovery and its errors do not depend on the file system's order. */
    private static List<Path> plugins(Path dir) {
        if (!Files.isDirectory(dir) || !Files.isReadable(dir)) {
            throw new IllegalArgumentException("invalid --plugin-dir '" + dir + "': not a readable directory");
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(path -> Files.isDirectory(path) || isJar(path)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list --plugin-dir '" + dir + "'", e);
        }
    }

    private static URL[] jarsOf(Path plugin) {
        try {
            if (!Files.isDirectory(plugin)) {
                return new URL[] {plugin.toUri().toURL()};
            }
            List<URL> jars = new ArrayList<>();
            try (Stream<Path> entries = Files.list(plugin)) {
                for (Path jar : entries.filter(BackendLoader::isJar).sorted().toList()) {
                    jars.add(jar.toUri().toURL());
                }
            }
            return jars.toArray(new URL[0]);
        } catch (MalformedURLException e) {
            throw new IllegalStateException("cannot load plugin " + plugin + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list plugin directory '" + plugin + "'", e);
        }
    }

    private static boolean isJar(Path path) {
        return Files.isRegularFile(path) && path.getFileName().toString().endsWith(".jar");
    }

    /** The jar (or class directory) the provider's class was loaded from: its file name. */
    private static String originOf(RegistryBackendProvider provider) {
        CodeSource source = provider.getClass().getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return "the class path";
        }
        try {
            Path path = Path.of(source.getLocation().toURI());
            return path.getFileName() == null ? path.toString() : path.getFileName().toString();
        } catch (URISyntaxException | IllegalArgumentException e) {
            return source.getLocation().toString();
        }
    }

    /**
     * Creates the backend with its own class loader as the thread's context class loader: libraries
     * that look classes up there while starting (JDBC drivers, gRPC name resolvers) then find the
     * plugin's copies rather than the server's.
     */
    private static RegistryBackend create(RegistryBackendProvider provider, BackendOptions options, BackendContext context) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(provider.getClass().getClassLoader());
        try {
            return provider.create(options, context);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** Provider names, sorted. */
    public Iterable<String> names() {
        return providers.keySet();
    }

    /** Provider names, sorted, each with the jar or plugin it came from. */
    public Map<String, String> origins() {
        Map<String, String> origins = new TreeMap<>();
        providers.forEach((name, found) -> origins.put(name, found.origin()));
        return origins;
    }

    public boolean has(String name) {
        return providers.containsKey(name);
    }

    /**
     * Creates the backend named {@code name} and checks the configured TTLs against it.
     *
     * @throws IllegalArgumentException for an unknown name (listing the known ones), bad options,
     *     or TTLs below the backend's minimum
     */
    public RegistryBackend open(String name, BackendOptions options, BackendContext context, RegistrySettings settings) {
        Found found = providers.get(name);
        if (found == null) {
            throw new IllegalArgumentException("unknown --backend '" + name + "'; available: " + String.join(", ", providers.keySet()));
        }
        RegistryBackend backend = create(found.provider(), options, context);
        try {
            TtlPolicy.requireSupported(name, backend.ttlSupport(), settings);
        } catch (IllegalArgumentException e) {
            backend.close();
            throw e;
        }
        return backend;
    }
}
