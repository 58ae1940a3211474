package io.aeroarc.registry.server;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.SocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds open connections, so a flood cannot use up the process's file descriptors. Up to
 * {@code maxConnections} are served; the next {@code reservedConnections} answer health checks
 * only and are closed after a few seconds, so a probe still gets through while the flood holds
 * every ordinary slot; beyond that, accepted sockets are closed at once.
 */
final class ConnectionLimiter implements ServerInterceptor {

    private final int maxConnections;
    private final int reservedConnections;
    private final ScheduledExecutorService scheduler;
    private final AtomicInteger open = new AtomicInteger();
    private final Set<SocketAddress> healthOnly = ConcurrentHashMap.newKeySet();

    ConnectionLimiter(int maxConnections, int reservedConnections, ScheduledExecutorService scheduler) {
        this.maxConnections = maxConnections;
        this.reservedConnections = reservedConnections;
        this.scheduler = scheduler;
    }

    int openConnections() {
        return open.get();
    }

    /** The listening socket, closing what it accepts beyond the limit before gRPC sees it. */
    NioServerSocketChannel newServerChannel() {
        return new NioServerSocketChannel() {
            @Override
            protected int doReadMessages(List<Object> accepted) throws Exception {
                int read = super.doReadMessages(accepted);
                accepted.removeIf(child -> !admit((Channel) child));
                return read;
            }
        };
    }

    private boolean admit(Channel connection) {
        int count = open.incrementAndGet();
        connection.closeFuture().addListener(closed -> {
            open.decrementAndGet();
            healthOnly.remove(connection.remoteAddress());
        });
        if (count > maxConnections + reservedConnections) {
            connection.unsafe().closeForcibly();
            return false;
        }
        if (count > maxConnections) {
            healthOnly.add(connection.remoteAddress());
            scheduler.schedule(() -> connection.close(), TransportLimits.RESERVED_CONNECTION_LIFETIME.toMillis(), TimeUnit.MILLISECONDS);
        }
        return true;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        if (peer != null && healthOnly.contains(peer)
                && !HealthGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
            call.close(Status.UNAVAILABLE.withDescription("connection limit reached: this connection answers health checks only; retry later"),
                    new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
    }
}
