package io.aeroarc.registry.core;

import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.tck.ForwardingBackend;
import io.aeroarc.registry.tck.RegistryBackendTck;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The whole contract through {@link CoalescingBackend}, over a memory store made to gather (one
 * round trip of a kind at a time, small batches, registrations too), so the concurrency rules run
 * real batches. The
 * instances of one namespace share one store, as registry servers share one database.
 */
class CoalescingBackendTckTest extends RegistryBackendTck {

    private static final Map<String, MemoryBackend> STORES = new ConcurrentHashMap<>();

    @Override
    protected RegistryBackend createBackend(BackendContext context, String namespace) {
        MemoryBackend store = STORES.computeIfAbsent(namespace, unused -> new MemoryBackend(context.clock(), Duration.ZERO));
        RegistryBackend oneAtATime = new ForwardingBackend(store) {
            @Override
            public int batchConcurrency() {
                return 1;
            }

            /** Registrations gathered too, as on etcd: the memory store's batch loops, which is enough for the contract. */
            @Override
            public boolean batchesRegistrations() {
                return true;
            }

            @Override
            public void close() {
                // the store outlives each instance of its namespace
            }
        };
        return new CoalescingBackend(oneAtATime, new CoalescingBackend.Options(50, 1));
    }

    /** A wrapper the server puts around any backend; it has no provider of its own. */
    @Override
    protected Optional<RegistryBackendProvider> provider() {
        return Optional.empty();
    }

    @Override
    protected boolean usesContextClock() {
        return true;
    }
}
