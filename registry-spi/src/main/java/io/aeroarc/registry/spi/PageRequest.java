package io.aeroarc.registry.spi;

import java.util.Objects;

/**
 * A page of a list ordered by id.
 *
 * @param afterId the page starts strictly after this id; empty for the first page
 * @param limit at most this many entries, at least 1
 */
public record PageRequest(String afterId, int limit) {

    public PageRequest {
        Objects.requireNonNull(afterId, "afterId");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
    }

    public static PageRequest first(int limit) {
        return new PageRequest("", limit);
    }
}
