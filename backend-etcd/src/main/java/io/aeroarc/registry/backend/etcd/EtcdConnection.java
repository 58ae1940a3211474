package io.aeroarc.registry.backend.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.Watch;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The jetcd client in use, replaced by a new one while etcd stays unreachable.
 *
 * <p>Why: after a failed connection attempt grpc waits before the next one, 1s growing ×1.6 per
 * attempt up to two minutes, and jetcd gives no way to reach its channel to bound or reset that
 * wait. So the backend could stay unavailable for a minute after etcd is back. Instead, once every
 * call for {@code reconnectBackoffMax} has failed as unreachable, and then at most once per
 * {@code reconnectBackoffMax} while that goes on, the client is closed and a new one built, whose
 * channel connects at its first call without any wait. Calls still in flight on the old client
 * fail as unavailable, as they would have anyway. One successful call ends the streak.
 */
final class EtcdConnection implements AutoCloseable {

    private final Supplier<Client> newClient;
    private final long reconnectBackoffMaxNanos;
    private final LongSupplier nanoTime;
    private final Object lock = new Object();

    private volatile Client client;
    /** Read without the lock so that successful calls, the common case, take no lock. */
    private volatile boolean failing;
    // Guarded by lock.
    private long failingSinceNanos;
    private long replacedAtNanos;
    private int replacements;
    private boolean closed;

    EtcdConnection(Supplier<Client> newClient, Duration reconnectBackoffMax) {
        this(newClient, reconnectBackoffMax, System::nanoTime);
    }

    /** With the clock of the tests. */
    EtcdConnection(Supplier<Client> newClient, Duration reconnectBackoffMax, LongSupplier nanoTime) {
        this.newClient = newClient;
        this.reconnectBackoffMaxNanos = reconnectBackoffMax.toNanos();
        this.nanoTime = nanoTime;
        this.client = newClient.get();
        this.replacedAtNanos = nanoTime.getAsLong() - reconnectBackoffMaxNanos;
    }

    KV kv() {
        return client.getKVClient();
    }

    Lease leases() {
        return client.getLeaseClient();
    }

    Watch watches() {
        return client.getWatchClient();
    }

    /** A call got its answer from etcd. */
    void answered() {
        if (failing) {
            synchronized (lock) {
                failing = false;
            }
        }
    }

    /** A call failed because etcd could not be reached or did not answer in time. */
    void unreachable() {
        Client stale;
        synchronized (lock) {
            long now = nanoTime.getAsLong();
            if (!failing) {
                failing = true;
                failingSinceNanos = now;
                return;
            }
            if (closed || now - failingSinceNanos < reconnectBackoffMaxNanos || now - replacedAtNanos < reconnectBackoffMaxNanos) {
                return;
            }
            replacedAtNanos = now;
            Client fresh;
            try {
                fresh = newClient.get();
            } catch (RuntimeException e) {
                // As when a TLS file vanished: keep the old client, which may still reconnect by itself.
                return;
            }
            stale = client;
            client = fresh;
            replacements++;
        }
        closeQuietly(stale);
    }

    /** How many times the client was replaced, for tests. */
    int replacements() {
        synchronized (lock) {
            return replacements;
        }
    }

    @Override
    public void close() {
        Client last;
        synchronized (lock) {
            closed = true;
            last = client;
        }
        closeQuietly(last);
    }

    private static void closeQuietly(Client client) {
        try {
            client.close();
        } catch (RuntimeException e) {
            // Closing must not fail; the client's threads are daemons either way.
        }
    }
}
