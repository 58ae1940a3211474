package io.aeroarc.registry.spi;

import java.util.List;

/**
 * Entries of one page, ordered by id.
 *
 * @param hasMore whether matching entries exist after the last one of this page
 */
public record Page<T>(List<T> items, boolean hasMore) {

    public Page {
        items = List.copyOf(items);
    }
}
