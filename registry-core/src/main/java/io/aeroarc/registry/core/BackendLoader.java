package io.aeroarc.registry.core;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import java.util.Collections;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Finds backend providers on the class path with {@link ServiceLoader} and opens the selected one. */
public final class BackendLoader {

    private final Map<String, RegistryBackendProvider> providers;

    private BackendLoader(Map<String, RegistryBackendProvider> providers) {
        this.providers = Collections.unmodifiableMap(providers);
    }

    /**
     * Loads every provider visible to {@code classLoader}.
     *
     * @throws IllegalStateException when two providers share a name
     */
    public static BackendLoader discover(ClassLoader classLoader) {
        Map<String, RegistryBackendProvider> byName = new TreeMap<>();
        for (RegistryBackendProvider provider : ServiceLoader.load(RegistryBackendProvider.class, classLoader)) {
            RegistryBackendProvider clash = byName.putIfAbsent(provider.name(), provider);
            if (clash != null) {
                throw new IllegalStateException("two storage backends are named '" + provider.name() + "': "
                        + clash.getClass().getName() + " and " + provider.getClass().getName() + "; remove one jar from the class path");
            }
        }
        return new BackendLoader(byName);
    }

    /** Provider names, sorted. */
    public Iterable<String> names() {
        return providers.keySet();
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
        RegistryBackendProvider provider = providers.get(name);
        if (provider == null) {
            throw new IllegalArgumentException("unknown --backend '" + name + "'; available: " + String.join(", ", providers.keySet()));
        }
        RegistryBackend backend = provider.create(options, context);
        try {
            TtlPolicy.requireSupported(name, backend.ttlSupport(), settings);
        } catch (IllegalArgumentException e) {
            backend.close();
            throw e;
        }
        return backend;
    }
}
