package io.aeroarc.registry.core;

import java.util.List;

/**
 * One page of a list and the token of the next page.
 *
 * @param nextPageToken empty when this page ends the list
 */
public record Listing<T>(List<T> items, String nextPageToken) {

    public Listing {
        items = List.copyOf(items);
    }
}
