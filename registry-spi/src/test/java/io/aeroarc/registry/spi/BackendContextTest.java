package io.aeroarc.registry.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackendContextTest {

    private static final Duration FLOOR = Duration.ofSeconds(1);
    private static final Duration CEILING = Duration.ofSeconds(30);

    @Test
    void the_sweep_interval_is_half_the_shorter_ttl_within_its_bounds() {
        assertThat(context(Duration.ofSeconds(30), Duration.ofSeconds(10)).sweepInterval(FLOOR, CEILING)).isEqualTo(Duration.ofSeconds(5));
        assertThat(context(Duration.ofSeconds(8), Duration.ofSeconds(20)).sweepInterval(FLOOR, CEILING)).isEqualTo(Duration.ofSeconds(4));
        assertThat(context(Duration.ofMillis(500), Duration.ofSeconds(20)).sweepInterval(FLOOR, CEILING)).isEqualTo(FLOOR);
        assertThat(context(Duration.ofHours(1), Duration.ofHours(2)).sweepInterval(FLOOR, CEILING)).isEqualTo(CEILING);
    }

    private static BackendContext context(Duration relayTtl, Duration agentTtl) {
        return new BackendContext(Clock.systemUTC(), relayTtl, agentTtl);
    }
}
