package io.aeroarc.registry.core.watch;

import java.util.List;

/**
 * The hub's last events, numbered 1, 2, 3, ... in order, in a fixed array: appending past the
 * capacity overwrites the oldest. Watchers keep only a cursor (the last number they sent), so a
 * slow watcher costs no memory of its own; one whose cursor was overwritten starts over with a
 * snapshot. Not thread safe: the hub guards it.
 */
final class EventRing {

    private final FleetEvent[] events;
    private long last;

    EventRing(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.events = new FleetEvent[capacity];
    }

    /** @return the new event's number */
    long append(FleetEvent event) {
        last++;
        events[(int) (last % events.length)] = event;
        return last;
    }

    /** The number of the newest event, 0 before the first. */
    long last() {
        return last;
    }

    /** Whether the events after {@code cursor} are all still held. */
    boolean holdsAfter(long cursor) {
        return cursor >= 0 && cursor <= last && last - cursor <= events.length;
    }

    /**
     * Copies up to {@code max} events after {@code cursor} into {@code into}.
     *
     * @throws IllegalArgumentException when they are no longer held (see {@link #holdsAfter})
     */
    void read(long cursor, int max, List<FleetEvent> into) {
        if (!holdsAfter(cursor)) {
            throw new IllegalArgumentException("events after " + cursor + " are no longer held (last " + last + ")");
        }
        long end = Math.min(last, cursor + max);
        for (long seq = cursor + 1; seq <= end; seq++) {
            into.add(events[(int) (seq % events.length)]);
        }
    }
}
