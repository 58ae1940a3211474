package io.aeroarc.registry.server;

import io.aeroarc.registry.spi.support.DaemonThreads;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@link TransportLimits} put to work on a Netty server: the builder settings, the listening
 * socket that bounds connections, and the interceptors that bound time to the first message and
 * unread responses. Owns the event loops and the timer thread it creates; {@link #close()} after
 * the server terminated.
 */
final class TransportGuards implements AutoCloseable {

    private final TransportLimits limits;
    private final ScheduledThreadPoolExecutor scheduler;
    private final ConnectionLimiter connections;
    private final UnreadResponseBudget responses;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;

    private TransportGuards(TransportLimits limits) {
        this.limits = limits;
        this.scheduler = new ScheduledThreadPoolExecutor(1, DaemonThreads.numbered("registry-transport-timer-"));
        // Cancelled timers (nearly every call's first-message timer) would otherwise stay queued until due.
        scheduler.setRemoveOnCancelPolicy(true);
        this.connections = new ConnectionLimiter(limits.maxConnections(), limits.reservedConnections(), scheduler);
        this.responses = new UnreadResponseBudget(limits.maxUnreadResponseBytesPerConnection(), limits.maxUnreadResponseBytes(),
                limits.maxListCallsPerConnection());
        this.boss = new MultiThreadIoEventLoopGroup(1, DaemonThreads.numbered("registry-accept-"), NioIoHandler.newFactory());
        this.workers = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(), DaemonThreads.numbered("registry-io-"),
                NioIoHandler.newFactory());
    }

    /** Applies {@code limits} to {@code builder}; pass the result's {@link #interceptors()} to the server. */
    static TransportGuards apply(TransportLimits limits, NettyServerBuilder builder) {
        TransportGuards guards = new TransportGuards(limits);
        builder.channelFactory(guards.connections::newServerChannel)
                .bossEventLoopGroup(guards.boss)
                .workerEventLoopGroup(guards.workers)
                .maxConcurrentCallsPerConnection(limits.maxConcurrentCallsPerConnection())
                .maxConnectionIdle(limits.maxConnectionIdle().toNanos(), TimeUnit.NANOSECONDS)
                .maxConnectionAge(limits.maxConnectionAge().toNanos(), TimeUnit.NANOSECONDS)
                .maxConnectionAgeGrace(limits.maxConnectionAgeGrace().toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveTime(limits.keepaliveTime().toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveTimeout(limits.keepaliveTimeout().toNanos(), TimeUnit.NANOSECONDS)
                // Relays keep one connection open for their heartbeats; let their keepalive pings through.
                .permitKeepAliveTime(limits.permitKeepaliveTime().toNanos(), TimeUnit.NANOSECONDS)
                .permitKeepAliveWithoutCalls(true)
                .handshakeTimeout(limits.firstMessageTimeout().toNanos(), TimeUnit.NANOSECONDS)
                .maxRstFramesPerWindow(limits.maxResetsPer10s(), TransportLimits.RESET_WINDOW_SECONDS);
        return guards;
    }

    /** Innermost first, as {@code ServerBuilder.intercept} takes them. */
    List<ServerInterceptor> interceptors() {
        return List.of(responses, connections, new FirstMessageTimeout(limits.firstMessageTimeout(), scheduler));
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
