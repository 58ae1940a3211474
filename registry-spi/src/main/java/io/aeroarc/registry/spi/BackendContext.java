package io.aeroarc.registry.spi;

import java.time.Clock;
import java.util.Objects;

/**
 * What the registry hands a backend at creation.
 *
 * <p>TTLs are not part of it: each write call carries its own (see {@link RegistryBackend}), and
 * the registry checks them against {@link RegistryBackend#ttlSupport()} at start-up.
 *
 * @param clock the registry's clock; tests pass one they can step
 */
public record BackendContext(Clock clock) {

    public BackendContext {
        Objects.requireNonNull(clock, "clock");
    }
}
