package io.aeroarc.registry.core;

import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayRecord;
import java.util.Map;

/**
 * Upper bounds of an entry's encoded size in a list response, so a page can stop before it grows
 * past what clients accept (gRPC's default receive limit is 4 MiB in Go and Java). Bounds, not
 * exact sizes: core does not know the wire messages, and overcounting only ends a page early.
 */
final class WireSize {

    /** Tag, length prefix of up to 5 bytes. */
    private static final int FIELD_OVERHEAD = 6;
    /** Tag and a varint of up to 10 bytes. */
    private static final int NUMBER = 11;

    private WireSize() {}

    /** A Relay message inside a list response. */
    static int relay(RelayRecord relay) {
        int size = string(relay.relayId()) + string(relay.address()) + 5 * NUMBER + NUMBER;
        for (Map.Entry<String, String> label : relay.labels().entrySet()) {
            size += FIELD_OVERHEAD + string(label.getKey()) + string(label.getValue());
        }
        return FIELD_OVERHEAD + size;
    }

    /** An Agent message inside a list response. */
    static int agent(PlacementRecord placement) {
        return FIELD_OVERHEAD + string(placement.agentId()) + string(placement.relayId()) + 3 * NUMBER;
    }

    private static int string(String value) {
        return FIELD_OVERHEAD + RequestValidator.utf8Length(value);
    }
}
