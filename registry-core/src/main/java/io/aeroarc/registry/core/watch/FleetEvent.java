package io.aeroarc.registry.core.watch;

import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.feed.RemovalReason;
import java.util.Objects;
import java.util.Optional;

/**
 * One change a watcher sees, derived by the {@link WatchHub} from the backend's change feed. Its
 * sequence number is its place in the hub's {@link EventRing}, not a field.
 */
public sealed interface FleetEvent permits FleetEvent.RelayEvent, FleetEvent.PlacementEvent {

    enum Type { ADDED, UPDATED, MOVED, REMOVED }

    Type type();

    /** When it happened on the registry's clock; for an expiry, the expiry. */
    long atMs();

    /**
     * @param relay the relay after the change (ADDED, UPDATED) or as it was last (REMOVED)
     * @param previous UPDATED only: the relay before the change, so label filters can tell a relay
     *     leaving their selection from one entering it
     * @param reason REMOVED only
     */
    record RelayEvent(Type type, RelayRecord relay, Optional<RelayRecord> previous, Optional<RemovalReason> reason, long atMs)
            implements FleetEvent {
        public RelayEvent {
            Objects.requireNonNull(relay, "relay");
            if (type == Type.MOVED) {
                throw new IllegalArgumentException("relays are not moved");
            }
        }

        static RelayEvent added(RelayRecord relay, long atMs) {
            return new RelayEvent(Type.ADDED, relay, Optional.empty(), Optional.empty(), atMs);
        }

        static RelayEvent updated(RelayRecord previous, RelayRecord relay, long atMs) {
            return new RelayEvent(Type.UPDATED, relay, Optional.of(previous), Optional.empty(), atMs);
        }

        static RelayEvent removed(RelayRecord relay, RemovalReason reason, long atMs) {
            return new RelayEvent(Type.REMOVED, relay, Optional.empty(), Optional.of(reason), atMs);
        }
    }

    /**
     * @param placement the placement after the change (ADDED, MOVED) or as it was last (REMOVED)
     * @param previousRelayId MOVED only: the relay it was on before (the same relay when it was
     *     created again there with a new epoch)
     * @param reason REMOVED only
     */
    record PlacementEvent(Type type, PlacementRecord placement, Optional<String> previousRelayId, Optional<RemovalReason> reason,
            long atMs) implements FleetEvent {
        public PlacementEvent {
            Objects.requireNonNull(placement, "placement");
            if (type == Type.UPDATED) {
                throw new IllegalArgumentException("placements are moved, not updated");
            }
        }

        static PlacementEvent added(PlacementRecord placement, long atMs) {
            return new PlacementEvent(Type.ADDED, placement, Optional.empty(), Optional.empty(), atMs);
        }

        static PlacementEvent moved(String previousRelayId, PlacementRecord placement, long atMs) {
            return new PlacementEvent(Type.MOVED, placement, Optional.of(previousRelayId), Optional.empty(), atMs);
        }

        static PlacementEvent removed(PlacementRecord placement, RemovalReason reason, long atMs) {
            return new PlacementEvent(Type.REMOVED, placement, Optional.empty(), Optional.of(reason), atMs);
        }
    }
}
