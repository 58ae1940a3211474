package io.aeroarc.registry.server;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
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
                // The list collects a whole read loop's connections; only the ones added now are new.
                int before = accepted.size();
                int read = super.doReadMessages(accepted);
                List<Object> added = accepted.subList(before, accepted.size());
                added.removeIf(child -> !admit((Channel) child));
                return read;
            }
        };
    }

    private boolean admit(Channel connection) {
        int count = open.incrementAndGet();
        if (count > maxConnections + reservedConnections) {
            // Never registered, so its close future would not complete: count it out here.
            open.decrementAndGet();
            connection.unsafe().closeForcibly();
            return false;
        }
        connection.closeFuture().addListener(closed -> open.decrementAndGet());
        if (count > maxConnections) {
            // Closed outright, not through gRPC's graceful GOAWAY, which waits for the peer to answer a ping.
            scheduler.schedule(() -> connection.eventLoop().execute(() -> connection.unsafe().close(connection.unsafe().voidPromise())),
                    TransportLimits.RESERVED_CONNECTION_LIFETIME.toMillis(), TimeUnit.MILLISECONDS);
            // Its peer address is known for certain once the connection is active; calls come after that.
            connection.pipeline().addFirst(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext context) throws Exception {
                    SocketAddress peer = context.channel().remoteAddress();
                    healthOnly.add(peer);
                    context.channel().closeFuture().addListener(closed -> healthOnly.remove(peer));
                    super.channelActive(context);
                    context.pipeline().remove(this);
                }
            });
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
