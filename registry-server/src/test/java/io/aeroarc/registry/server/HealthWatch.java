package io.aeroarc.registry.server;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/** Asks the registry's health every 50 ms and remembers when it first saw each status after a mark. */
final class HealthWatch implements AutoCloseable {

    private final ManagedChannel channel;
    private final Thread poller;
    private volatile ServingStatus last;
    private volatile long sinceNanos = Long.MAX_VALUE;
    private volatile ServingStatus awaited;
    private volatile long seenNanos;

    HealthWatch(int port) {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        poller = new Thread(this::poll, "health-watch");
        poller.setDaemon(true);
        poller.start();
    }

    /** From now on, remember when {@code status} is first seen. */
    synchronized void watchFor(ServingStatus status) {
        awaited = status;
        seenNanos = 0;
        sinceNanos = System.nanoTime();
    }

    /** When the awaited status was first seen after {@link #watchFor}, in System.nanoTime(). */
    OptionalLong seenAt() {
        long seen = seenNanos;
        return seen == 0 ? OptionalLong.empty() : OptionalLong.of(seen);
    }

    ServingStatus last() {
        return last;
    }

    private void poll() {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
        while (!Thread.currentThread().isInterrupted()) {
            long asked = System.nanoTime();
            try {
                last = health.withDeadlineAfter(1, TimeUnit.SECONDS).check(HealthCheckRequest.newBuilder().setService("").build()).getStatus();
            } catch (StatusRuntimeException e) {
                last = ServingStatus.UNKNOWN;
            }
            synchronized (this) {
                if (last == awaited && seenNanos == 0 && asked >= sinceNanos) {
                    seenNanos = System.nanoTime();
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        poller.interrupt();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
