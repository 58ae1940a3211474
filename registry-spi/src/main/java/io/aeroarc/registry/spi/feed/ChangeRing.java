package io.aeroarc.registry.spi.feed;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The last changes of a feed kept in process, for backends that keep their change log in memory
 * (the default {@link PollingChangeFeed}, the memory backend's native feed, or a third-party
 * backend's). Changes get sequence numbers 1, 2, 3... and positions {@code <ringId>:<seq>}; the
 * ring keeps the last {@link #capacity()} of them, so a position resumes while every change after
 * it is kept. A random ring id per instance makes another instance's (or process's) positions
 * unknown here, so they gap instead of resuming at the wrong place.
 *
 * <p>Not thread-safe: the owner guards it with its own lock (the memory backend appends under
 * its write lock). Appending allocates nothing: the ring is allocated once, whole.
 */
public final class ChangeRing {

    private final String ringId = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private final int capacity;
    private final FleetChange[] ring;
    /** Sequence number of the last change appended; the first is 1. */
    private long lastSeq;

    /** A ring keeping the last {@code capacity} changes. */
    public ChangeRing(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a change ring keeps at least 1 change");
        }
        this.capacity = capacity;
        this.ring = new FleetChange[capacity];
    }

    /** The random id that starts every position of this ring. */
    public String id() {
        return ringId;
    }

    /** How many changes the ring keeps: its resume window. */
    public int capacity() {
        return capacity;
    }

    /** Sequence number of the last change appended; 0 before the first. */
    public long lastSeq() {
        return lastSeq;
    }

    /** The oldest sequence number still kept (1 while nothing has been dropped). */
    public long oldestKeptSeq() {
        return Math.max(1, lastSeq - capacity + 1);
    }

    /** The position of sequence number {@code seq}: what a change with that number carries. */
    public String position(long seq) {
        return ringId + ":" + seq;
    }

    /** The position the next change appended must carry. */
    public String nextPosition() {
        return position(lastSeq + 1);
    }

    /**
     * Appends {@code change}, dropping the oldest kept one when full. The change carries the
     * position of its sequence number ({@link #nextPosition()}, or {@link #position} of
     * {@link #lastSeq()} + n for the n-th of a batch built before appending).
     */
    public void append(FleetChange change) {
        lastSeq++;
        ring[(int) (lastSeq % capacity)] = change;
    }

    /** Whether every change after {@code seq} is kept, so a reader at {@code seq} can go on. */
    public boolean keepsAfter(long seq) {
        return seq >= oldestKeptSeq() - 1 && seq <= lastSeq;
    }

    /**
     * The sequence number {@code position} names when it is of this ring and every change after it
     * is kept; else -1 (unknown, foreign, malformed or too old: the subscriber gets a gap).
     */
    public long resumableSeq(String position) {
        int colon = position.lastIndexOf(':');
        if (colon <= 0 || !position.substring(0, colon).equals(ringId)) {
            return -1;
        }
        long seq;
        try {
            seq = Long.parseLong(position.substring(colon + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
        return keepsAfter(seq) ? seq : -1;
    }

    /**
     * Up to {@code max} changes after {@code seq}, oldest first; empty when none.
     *
     * @throws IllegalArgumentException when the ring no longer keeps every change after {@code seq}
     *     (see {@link #keepsAfter})
     */
    public List<FleetChange> after(long seq, int max) {
        if (!keepsAfter(seq)) {
            throw new IllegalArgumentException("changes after " + seq + " are not all kept (kept: "
                    + oldestKeptSeq() + ".." + lastSeq + ")");
        }
        long end = Math.min(lastSeq, seq + max);
        List<FleetChange> changes = new ArrayList<>((int) (end - seq));
        for (long s = seq + 1; s <= end; s++) {
            changes.add(ring[(int) (s % capacity)]);
        }
        return changes;
    }
}
