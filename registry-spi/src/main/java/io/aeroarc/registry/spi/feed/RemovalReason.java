package io.aeroarc.registry.spi.feed;

/** Why an entry stopped being visible. */
public enum RemovalReason {
    /** Its TTL ran out. */
    EXPIRED,
    /** A deregister call ended it. */
    DEREGISTERED,
    /** Only for placements: the relay it was on ended (expired or deregistered). */
    RELAY_GONE
}
