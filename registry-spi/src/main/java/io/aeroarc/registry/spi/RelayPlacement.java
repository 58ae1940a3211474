package io.aeroarc.registry.spi;

import java.util.Objects;

/** A placement together with its live relay, so a caller routes in one round trip. */
public record RelayPlacement(PlacementRecord placement, RelayRecord relay) {

    public RelayPlacement {
        Objects.requireNonNull(placement, "placement");
        Objects.requireNonNull(relay, "relay");
        if (!placement.relayId().equals(relay.relayId())) {
            throw new IllegalArgumentException("placement is on " + placement.relayId() + ", relay is " + relay.relayId());
        }
    }
}
