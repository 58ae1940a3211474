package io.aeroarc.registry.backend.etcd;

import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.support.DurationText;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Makes this instance's writes of one entry take turns, first come first served, before they go
 * to etcd.
 *
 * <p>Only an optimisation: correctness comes from the compare in each transaction, which also
 * covers other registry servers. But when several threads of one server write the same entry at
 * once, only one of each round of racing transactions succeeds and which one is luck, so an
 * unlucky call could lose round after round until its timeout. Taking turns here leaves at most
 * one writer per registry server racing in etcd. Entries share a fixed set of fair locks by
 * hash, so the memory stays bounded and unrelated entries rarely wait for each other.
 */
final class WriteTurns {

    private static final int STRIPES = 256;

    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];

    WriteTurns() {
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantLock(true);
        }
    }

    <T> T inTurn(String entryId, Deadline deadline, String action, Supplier<T> write) {
        ReentrantLock lock = locks[Math.floorMod(entryId.hashCode(), STRIPES)];
        boolean acquired;
        try {
            acquired = lock.tryLock(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("interrupted while waiting to " + action, e);
        }
        if (!acquired) {
            throw new BackendUnavailableException("could not " + action + " within the timeout of "
                    + DurationText.format(deadline.timeout()) + ": earlier writes of the same entry through this server took it all");
        }
        try {
            return write.get();
        } finally {
            lock.unlock();
        }
    }
}
