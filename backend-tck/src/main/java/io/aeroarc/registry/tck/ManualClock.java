package io.aeroarc.registry.tck;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that only moves when a test steps it, for expiry logic without sleeping. Thread-safe. */
public final class ManualClock extends Clock {

    private final AtomicLong millis;

    public ManualClock(Instant start) {
        this.millis = new AtomicLong(start.toEpochMilli());
    }

    public static ManualClock startingAt(long epochMillis) {
        return new ManualClock(Instant.ofEpochMilli(epochMillis));
    }

    public void advance(Duration step) {
        if (step.isNegative()) {
            throw new IllegalArgumentException("a clock does not go back");
        }
        millis.addAndGet(step.toMillis());
    }

    /** Steps the clock forward to {@code epochMillis}; a time already passed is refused. */
    public void advanceTo(long epochMillis) {
        long before = millis.getAndUpdate(current -> Math.max(current, epochMillis));
        if (before > epochMillis) {
            throw new IllegalArgumentException("a clock does not go back: it reads " + before + ", asked for " + epochMillis);
        }
    }

    @Override
    public long millis() {
        return millis.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("ManualClock is UTC only");
    }
}
