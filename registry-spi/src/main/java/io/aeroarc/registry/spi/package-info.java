/**
 * The storage SPI of the relay registry: implement {@link io.aeroarc.registry.spi.RegistryBackend}
 * and {@link io.aeroarc.registry.spi.RegistryBackendProvider}, and prove it with the backend TCK.
 * JDK only. Helpers every backend needs (sweeps, daemon threads, paging, durations) are in
 * {@link io.aeroarc.registry.spi.support}.
 *
 * <h2>Compatibility</h2>
 * Interfaces grow only by methods with a default implementation, so a backend keeps working with
 * newer servers. A change that breaks that raises
 * {@link io.aeroarc.registry.spi.RegistryBackendProvider#SPI_VERSION}; the server refuses, naming
 * both versions and the jar, a provider built for another version.
 *
 * <h2>Changes in version 2</h2>
 * The one breaking revision, made before any outside backend existed:
 * <ul>
 *   <li>{@code RegistryBackendProvider.SPI_VERSION} and the abstract
 *       {@code RegistryBackendProvider.spiVersion()} (implement as {@code return SPI_VERSION;}),
 *       checked when the server loads the provider.</li>
 *   <li>TTLs have one place, the write call: {@code BackendContext} lost {@code relayTtl},
 *       {@code agentTtl} and {@code sweepInterval(floor, ceiling)}; it holds only the clock.
 *       Per-call TTLs stay because batch calls carry theirs. A backend checks no TTL itself: it
 *       declares {@link io.aeroarc.registry.spi.RegistryBackend#ttlSupport()} and the registry
 *       refuses shorter TTLs at start-up with one message. Background work that sized itself
 *       from the TTLs uses a fixed default interval or its own option.</li>
 *   <li>{@code GoDurations} left the SPI (the server's Go-compatible flags are the server's
 *       business; it is {@code io.aeroarc.registry.core.GoDurations} now). Duration options are read
 *       with {@link io.aeroarc.registry.spi.support.DurationText}: whole numbers with
 *       {@code ms}, {@code s}, {@code m}, {@code h}, as in {@code 500ms}, {@code 1m30s}.</li>
 *   <li>{@code BackendOptions}: range reads ({@code getInt(key, default, min, max)},
 *       {@code getDuration(key, default, min, max)}), {@code require(key, expected)} and
 *       {@code invalid(key, expected)}, so every backend reports an invalid option in one format.</li>
 *   <li>{@code PageRequest.isFirst()}, unused, is gone.</li>
 *   <li>New package {@link io.aeroarc.registry.spi.support}.</li>
 * </ul>
 * Result types follow one rule, unchanged: a call that may find nothing answers an
 * {@code Optional} (an {@code OptionalLong} for a bare expiry time), a call with more outcomes a
 * sealed interface of records; times are Unix milliseconds in components named {@code ...Ms};
 * expected outcomes are never exceptions.
 */
package io.aeroarc.registry.spi;
