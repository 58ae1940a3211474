package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayRecord;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;

/** Reads the SPI's records from rows laid out as {@link Sql#PLACEMENT_COLUMNS} and {@link Sql#RELAY_COLUMNS}. */
final class Rows {

    /** How many columns {@link Sql#PLACEMENT_COLUMNS} has. */
    static final int PLACEMENT_COLUMN_COUNT = 5;

    private Rows() {}

    /** The placement whose columns start at {@code first}. */
    static PlacementRecord placement(ResultSet row, int first) throws SQLException {
        return new PlacementRecord(
                row.getString(first),
                row.getString(first + 1),
                row.getLong(first + 2),
                millis(row, first + 3),
                millis(row, first + 4));
    }

    /** The relay whose columns start at {@code first}. */
    static RelayRecord relay(ResultSet row, int first) throws SQLException {
        return new RelayRecord(
                row.getString(first),
                row.getString(first + 1),
                row.getInt(first + 2),
                labels(row.getArray(first + 3)),
                millis(row, first + 4),
                millis(row, first + 5),
                millis(row, first + 6),
                row.getInt(first + 7));
    }

    /** A timestamptz column as Unix milliseconds (the database keeps microseconds; they are dropped). */
    static long millis(ResultSet row, int column) throws SQLException {
        return row.getObject(column, OffsetDateTime.class).toInstant().toEpochMilli();
    }

    /** Labels as the database hands them over: {@code [[key, value], ...]}, or null for none. */
    static Map<String, String> labels(Array pairs) throws SQLException {
        if (pairs == null) {
            return Map.of();
        }
        Map<String, String> labels = new HashMap<>();
        for (String[] pair : (String[][]) pairs.getArray()) {
            labels.put(pair[0], pair[1]);
        }
        return labels;
    }
}
