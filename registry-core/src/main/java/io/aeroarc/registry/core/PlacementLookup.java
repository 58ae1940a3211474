package io.aeroarc.registry.core;

import io.aeroarc.registry.spi.PlacementRecord;
import java.util.List;

/** The outcome of a batch lookup: placements found (in request order) and the ids without one. */
public record PlacementLookup(List<PlacementRecord> placements, List<String> missingAgentIds) {

    public PlacementLookup {
        placements = List.copyOf(placements);
        missingAgentIds = List.copyOf(missingAgentIds);
    }
}
