package io.aeroarc.registry.server;

import io.aeroarc.registry.core.CoalescingBackend;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.server.security.SecurityConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Everything the server is started with, from flags and environment variables.
 *
 * @param backendOptions handed to the selected backend as they are
 * @param listenPort 0 picks a free port (tests)
 * @param tlsCertPath present exactly when TLS is enabled
 * @param coalescing how concurrent single-agent calls are gathered into batch round trips; empty for not at all
 * @param transportLimits what one client may hold of the server
 * @param warnings settings that were accepted but have no effect, logged at start
 * @param callLimits deadlines and admission bounds of registry calls; its thread count is the
 *     backend's {@link io.aeroarc.registry.spi.RegistryBackend#callConcurrency()} unless
 *     {@code callThreads} is given
 * @param callThreads {@code --call-threads} when it was set
 * @param security client authentication, authorization, rate limits, audit
 * @param watchLimits how many watch streams, and how much history for them
 */
public record ServerConfig(
        String backend,
        Map<String, String> backendOptions,
        String listenAddress,
        int listenPort,
        RegistrySettings settings,
        Duration shutdownTimeout,
        Optional<Path> tlsCertPath,
        Optional<Path> tlsKeyPath,
        Optional<CoalescingBackend.Options> coalescing,
        TransportLimits transportLimits,
        List<String> warnings,
        CallLimits callLimits,
        OptionalInt callThreads,
        SecurityConfig security,
        WatchLimits watchLimits) {

    public ServerConfig {
        backendOptions = Map.copyOf(backendOptions);
        warnings = List.copyOf(warnings);
    }

    public boolean tlsEnabled() {
        return tlsCertPath.isPresent();
    }
}
