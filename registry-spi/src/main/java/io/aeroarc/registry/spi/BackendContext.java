package io.aeroarc.registry.spi;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * What the registry hands a backend at creation.
 *
 * @param clock the registry's clock; tests pass one they can step
 * @param relayTtl the configured relay TTL, for sizing sweeps and leases
 * @param agentTtl the configured agent TTL, for sizing sweeps and leases
 */
public record BackendContext(Clock clock, Duration relayTtl, Duration agentTtl) {

    public BackendContext {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(relayTtl, "relayTtl");
        Objects.requireNonNull(agentTtl, "agentTtl");
    }

    /**
     * Half the shorter TTL, kept within [{@code floor}, {@code ceiling}]: a background sweep on
     * this interval frees ended entries within about 1.5 TTLs while staying rare.
     */
    public Duration sweepInterval(Duration floor, Duration ceiling) {
        Duration half = (relayTtl.compareTo(agentTtl) < 0 ? relayTtl : agentTtl).dividedBy(2);
        if (half.compareTo(floor) < 0) {
            return floor;
        }
        return half.compareTo(ceiling) > 0 ? ceiling : half;
    }
}
