package io.aeroarc.registry.server.security;

import io.aeroarc.registry.spi.PlacementRecord;
import java.util.Optional;

/** Where an agent is placed now, for rules that depend on it; failures of the storage pass through. */
@FunctionalInterface
public interface CurrentPlacement {

    Optional<PlacementRecord> of(String agentId);
}
