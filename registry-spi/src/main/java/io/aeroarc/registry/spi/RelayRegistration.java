package io.aeroarc.registry.spi;

import java.util.Map;
import java.util.Objects;

/** What a relay states about itself when it registers. */
public record RelayRegistration(String relayId, String address, int grpcPort, Map<String, String> labels) {

    public RelayRegistration {
        Objects.requireNonNull(relayId, "relayId");
        Objects.requireNonNull(address, "address");
        labels = Map.copyOf(labels);
    }
}
