package io.aeroarc.registry.server;

import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.tck.ForwardingBackend;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A backend whose GetRelay waits until the test releases it: calls held in flight, as on a storage that stopped answering. */
final class HoldingBackend extends ForwardingBackend {
    final CountDownLatch entered = new CountDownLatch(1);
    final AtomicInteger entries = new AtomicInteger();
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicBoolean closed = new AtomicBoolean();

    HoldingBackend(RegistryBackend delegate) {
        super(delegate);
    }

    @Override
    public Optional<RelayRecord> getRelay(String relayId) {
        entries.incrementAndGet();
        entered.countDown();
        try {
            release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return super.getRelay(relayId);
    }

    @Override
    public void close() {
        closed.set(true);
        super.close();
    }
}
