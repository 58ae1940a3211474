package io.aeroarc.registry.spi.feed;

import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayRecord;
import java.util.Objects;

/**
 * One change of what readers see, as a {@link ChangeFeed} reports it. Every change carries the
 * {@link #position()} to resume after it.
 *
 * <p>Renewals (heartbeats, and registrations that change nothing but the expiry) are never
 * changes: a fleet that only heartbeats produces no feed traffic.
 */
public sealed interface FleetChange
        permits FleetChange.RelayUpserted,
                FleetChange.RelayRemoved,
                FleetChange.PlacementUpserted,
                FleetChange.PlacementRemoved {

    /** Opaque to consumers: {@link ChangeFeed#subscribe} with it continues strictly after this change. */
    String position();

    /**
     * A relay became live (a new incarnation) or changed its address, port or labels. The record's
     * {@code agentCount} is not meaningful here (backends may report 0).
     */
    record RelayUpserted(String position, RelayRecord relay) implements FleetChange {
        public RelayUpserted {
            Objects.requireNonNull(position, "position");
            Objects.requireNonNull(relay, "relay");
        }
    }

    /**
     * A relay stopped being live. Its placements end with it: a backend may leave them implied by
     * this change or also report each as {@link PlacementRemoved} with
     * {@link RemovalReason#RELAY_GONE}; consumers accept both.
     *
     * @param registeredAtMs the ended incarnation's {@link RelayRecord#registeredAtMs()}, so a
     *     consumer can tell a late removal of an old incarnation from the end of a newer one
     * @param atMs when it ended: its expiry for {@link RemovalReason#EXPIRED}, else the call's time
     */
    record RelayRemoved(String position, String relayId, long registeredAtMs, RemovalReason reason, long atMs)
            implements FleetChange {
        public RelayRemoved {
            Objects.requireNonNull(position, "position");
            Objects.requireNonNull(relayId, "relayId");
            Objects.requireNonNull(reason, "reason");
            if (reason == RemovalReason.RELAY_GONE) {
                throw new IllegalArgumentException("a relay is removed as EXPIRED or DEREGISTERED");
            }
        }
    }

    /**
     * A placement was created, moved to another relay, or created again after it ended: every
     * change of its epoch, and nothing else.
     */
    record PlacementUpserted(String position, PlacementRecord placement) implements FleetChange {
        public PlacementUpserted {
            Objects.requireNonNull(position, "position");
            Objects.requireNonNull(placement, "placement");
        }
    }

    /**
     * A placement ended.
     *
     * @param epoch the ended placement's epoch, so a consumer can ignore a late removal of a
     *     placement that has since been created again
     * @param atMs when it ended: its expiry for {@link RemovalReason#EXPIRED}, else the call's time
     */
    record PlacementRemoved(String position, String agentId, String relayId, long epoch, RemovalReason reason, long atMs)
            implements FleetChange {
        public PlacementRemoved {
            Objects.requireNonNull(position, "position");
            Objects.requireNonNull(agentId, "agentId");
            Objects.requireNonNull(relayId, "relayId");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
