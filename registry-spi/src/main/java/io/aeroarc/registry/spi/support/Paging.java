package io.aeroarc.registry.spi.support;

import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import java.util.List;

/**
 * The usual way to fill a {@link Page}: fetch one entry more than the page holds, and the extra
 * entry, when it comes, says there are more.
 */
public final class Paging {

    private Paging() {}

    /** How many entries to fetch for {@code page}: its limit plus one. */
    public static int fetchSize(PageRequest page) {
        return page.limit() == Integer.MAX_VALUE ? Integer.MAX_VALUE : page.limit() + 1;
    }

    /** The page of {@code fetched} (ordered by id, at most {@link #fetchSize} entries after the page's start). */
    public static <T> Page<T> of(List<T> fetched, PageRequest page) {
        return fetched.size() > page.limit() ? new Page<>(fetched.subList(0, page.limit()), true) : new Page<>(fetched, false);
    }

    /** Whether {@code collected} entries fill {@code page}, so the next match only says there are more. */
    public static boolean isFull(List<?> collected, PageRequest page) {
        return collected.size() >= page.limit();
    }
}
