package io.aeroarc.registry.core;

import io.aeroarc.registry.spi.PlacementRecord;
import java.util.Optional;

/**
 * A successful RegisterAgent: the agent's placement now, and its visible placement as read just
 * before the registration (empty when it had none, or when that read failed). The read and the
 * write are not atomic: another registration may come between them, so {@code previous} is the
 * owner "as read just before", not a fence.
 */
public record AgentRegistered(PlacementRecord placement, Optional<PlacementRecord> previous) {

    /** The placement this registration moved the agent away from: {@link #previous} when it was on another relay. */
    public Optional<PlacementRecord> movedFrom() {
        return previous.filter(before -> !before.relayId().equals(placement.relayId()));
    }
}
