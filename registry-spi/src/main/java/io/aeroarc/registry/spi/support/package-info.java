/**
 * Helpers for what every backend needs and the SPI does not prescribe: background sweeps
 * ({@link io.aeroarc.registry.spi.support.Sweeper}), named daemon threads
 * ({@link io.aeroarc.registry.spi.support.DaemonThreads}), paging
 * ({@link io.aeroarc.registry.spi.support.Paging}) and the duration syntax of options and messages
 * ({@link io.aeroarc.registry.spi.support.DurationText}). Option parsing with ranges and the one
 * error format for invalid options is on {@link io.aeroarc.registry.spi.BackendOptions}.
 *
 * <p>JDK only, and shipped in the registry-spi jar, so a plugin backend sees the server's copy
 * (the plugin class loader takes {@code io.aeroarc.registry.spi.*} from the server). The server
 * never calls these classes: they are a library, free to grow with each {@code SPI_VERSION}.
 */
package io.aeroarc.registry.spi.support;
