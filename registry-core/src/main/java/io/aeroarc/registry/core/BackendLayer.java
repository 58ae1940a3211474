package io.aeroarc.registry.core;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.TtlSupport;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import java.util.OptionalLong;

/**
 * A core layer over a backend (fail-fast, coalescing, measuring). What no layer changes is the
 * wrapped backend's own answer: its cheap counts, whether it batches registrations, its TTL
 * support and its change feed. Without these, the SPI's defaults would answer for the layer: no
 * counts, registrations never gathered, and a polling feed listing through the layer instead of
 * the backend's native one.
 */
abstract class BackendLayer implements RegistryBackend {

    /** The backend under this layer; in a per-call view, that backend bounded by the call's deadline. */
    final RegistryBackend delegate;

    BackendLayer(RegistryBackend delegate) {
        this.delegate = delegate;
    }

    @Override
    public OptionalLong liveRelayCount() {
        return delegate.liveRelayCount();
    }

    @Override
    public OptionalLong visiblePlacementCount() {
        return delegate.visiblePlacementCount();
    }

    /** Whether the storage batches registrations natively: a layer never makes a looping batch native. */
    @Override
    public boolean batchesRegistrations() {
        return delegate.batchesRegistrations();
    }

    @Override
    public int callConcurrency() {
        return delegate.callConcurrency();
    }

    @Override
    public TtlSupport ttlSupport() {
        return delegate.ttlSupport();
    }

    /**
     * The wrapped backend's own feed. A layer neither refuses it while the storage is down (the
     * feed reports its failures to its listener) nor gathers or times it.
     */
    @Override
    public ChangeFeed changeFeed(BackendContext context) {
        return delegate.changeFeed(context);
    }
}
