package io.aeroarc.registry.spi;

import java.util.Optional;

/**
 * The condition a heartbeat states about the placement it renews, so a relay that lost an agent
 * cannot extend someone else's placement.
 *
 * @param relayId the placement must be on this relay, when present
 * @param epoch the placement must have this epoch, when not 0
 */
public record Fence(Optional<String> relayId, long epoch) {

    /** No condition: any visible placement is renewed. */
    public static final Fence NONE = new Fence(Optional.empty(), 0);

    public Fence {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must not be negative");
        }
    }

    public boolean admits(String currentRelayId, long currentEpoch) {
        return relayId.map(currentRelayId::equals).orElse(true) && (epoch == 0 || epoch == currentEpoch);
    }
}
