package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.feed.RemovalReason;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Reads {@link FleetChange}s from change-log rows laid out as {@link Sql#readChanges} selects them. */
final class ChangeRows {

    private ChangeRows() {}

    /** The change of the row whose {@code seq} is in {@code first}; its position is the seq. */
    static FleetChange change(ResultSet row, int first) throws SQLException {
        long seq = row.getLong(first);
        String position = Long.toString(seq);
        int kind = row.getInt(first + 1);
        String relayId = row.getString(first + 2);
        String agentId = row.getString(first + 3);
        long epoch = row.getLong(first + 4);
        return switch (kind) {
            case Sql.RELAY_UPSERTED -> new FleetChange.RelayUpserted(position, new RelayRecord(
                    relayId,
                    row.getString(first + 5),
                    row.getInt(first + 6),
                    Rows.labels(row.getArray(first + 7)),
                    Rows.millis(row, first + 8),
                    Rows.millis(row, first + 9),
                    Rows.millis(row, first + 10),
                    0));
            case Sql.RELAY_REMOVED -> new FleetChange.RelayRemoved(
                    position, relayId, Rows.millis(row, first + 8), reason(row.getInt(first + 11)), Rows.millis(row, first + 12));
            case Sql.PLACEMENT_UPSERTED -> new FleetChange.PlacementUpserted(position, new PlacementRecord(
                    agentId, relayId, epoch, Rows.millis(row, first + 9), Rows.millis(row, first + 10)));
            case Sql.PLACEMENT_REMOVED -> new FleetChange.PlacementRemoved(
                    position, agentId, relayId, epoch, reason(row.getInt(first + 11)), Rows.millis(row, first + 12));
            default -> throw new IllegalStateException("change " + seq + " has an unknown kind " + kind);
        };
    }

    private static RemovalReason reason(int code) {
        return switch (code) {
            case Sql.EXPIRED -> RemovalReason.EXPIRED;
            case Sql.DEREGISTERED -> RemovalReason.DEREGISTERED;
            default -> RemovalReason.RELAY_GONE;
        };
    }
}
