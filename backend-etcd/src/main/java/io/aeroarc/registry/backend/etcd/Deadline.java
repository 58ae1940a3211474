package io.aeroarc.registry.backend.etcd;

import java.time.Duration;

/** The end of one backend call: every round trip of the call waits only for what is left of it. */
final class Deadline {

    private final Duration timeout;
    private final long endNanos;

    private Deadline(Duration timeout) {
        this.timeout = timeout;
        this.endNanos = System.nanoTime() + timeout.toNanos();
    }

    static Deadline after(Duration timeout) {
        return new Deadline(timeout);
    }

    long remainingNanos() {
        return Math.max(0, endNanos - System.nanoTime());
    }

    boolean isExpired() {
        return remainingNanos() == 0;
    }

    Duration timeout() {
        return timeout;
    }
}
