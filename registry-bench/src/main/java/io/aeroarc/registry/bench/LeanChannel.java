package io.aeroarc.registry.bench;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.SettableFuture;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.ChannelInitializer;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.SocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2ConnectionHandlerBuilder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2FrameAdapter;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Headers;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Settings;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import io.grpc.netty.shaded.io.netty.util.collection.IntObjectHashMap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Unary gRPC calls with answers, on the lean HTTP/2 client of {@link LeanLoad}: for scenarios that
 * read every answer at rates grpc-java's stubs cannot send from this JVM on two shared cores (the
 * million-agent fleet sends 100,000 calls/s). A call fails with the {@code StatusRuntimeException}
 * of its {@code grpc-status}, as a stub's would; there is no retry policy, so scenarios that need
 * one (the storage restart) use the stubs. Calls are started on the connection's event loop and
 * flushed once per batch of calls queued together.
 */
final class LeanChannel implements AutoCloseable {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final AsciiString GRPC_STATUS = AsciiString.of("grpc-status");
    private static final AsciiString GRPC_MESSAGE = AsciiString.of("grpc-message");
    private static final AsciiString GRPC_RETRY_PUSHBACK = AsciiString.of("grpc-retry-pushback-ms");
    /** The server's pushback on a shed call, kept in a failed call's trailers (read by {@link Bulk}). */
    static final Metadata.Key<String> RETRY_PUSHBACK = Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

    private final EventLoopGroup group;
    private final List<Connection> connections = new ArrayList<>();
    private final AtomicInteger turn = new AtomicInteger();
    private final String authority;
    private final String timeout;

    /** @param deadline sent as {@code grpc-timeout}: the registry ends a call that runs longer */
    LeanChannel(RegistryClient.Target target, int connections, int threads, Duration deadline) throws InterruptedException {
        this.authority = target.toString();
        this.timeout = deadline.toMillis() + "m";
        boolean epoll = Epoll.isAvailable();
        this.group = epoll ? new EpollEventLoopGroup(threads) : new NioEventLoopGroup(threads);
        try {
            for (int i = 0; i < connections; i++) {
                Connection connection = new Connection();
                Channel channel = new Bootstrap().group(group).channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
                        .handler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel channel) {
                                channel.pipeline().addLast(connection.handler(), connection);
                            }
                        })
                        .connect(target.host(), target.port()).sync().channel();
                connection.channel = channel;
                this.connections.add(connection);
            }
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
    }

    /** One unary call of {@code path} ({@code /package.Service/Method}) on the next connection in turn. */
    <T> ListenableFuture<T> call(String path, MessageLite request, Parser<T> parser) {
        SettableFuture<T> answer = SettableFuture.create();
        byte[] frame = LeanLoad.frame(request);
        Connection connection = connections.get(Math.floorMod(turn.getAndIncrement(), connections.size()));
        connection.channel.eventLoop().execute(() -> connection.start(path, frame, new Pending<>(answer, parser)));
        return answer;
    }

    @Override
    public void close() {
        for (Connection connection : connections) {
            connection.channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** A call in flight: its future, how to read its answer, and the answer's bytes so far. */
    private static final class Pending<T> {
        final SettableFuture<T> answer;
        final Parser<T> parser;
        ByteBuf body;

        Pending(SettableFuture<T> answer, Parser<T> parser) {
            this.answer = answer;
            this.parser = parser;
        }

        void data(ByteBuf data) {
            if (body == null) {
                body = Unpooled.buffer(data.readableBytes());
            }
            body.writeBytes(data, data.readerIndex(), data.readableBytes());
        }

        void complete(CharSequence grpcStatus, CharSequence grpcMessage, CharSequence retryPushback) {
            try {
                int code = grpcStatus == null ? Status.Code.UNKNOWN.value() : Integer.parseInt(grpcStatus.toString());
                if (code != 0) {
                    Status status = Status.fromCodeValue(code);
                    Metadata trailers = new Metadata();
                    if (retryPushback != null) {
                        // Kept so a caller can honour the server's pushback, as a stub's retry policy would.
                        trailers.put(RETRY_PUSHBACK, retryPushback.toString());
                    }
                    answer.setException((grpcMessage == null ? status : status.withDescription(grpcMessage.toString())).asRuntimeException(trailers));
                    return;
                }
                if (body == null || body.readableBytes() < 5) {
                    answer.setException(Status.INTERNAL.withDescription("no response message").asRuntimeException());
                    return;
                }
                byte[] bytes = new byte[body.readableBytes() - 5];
                body.getBytes(body.readerIndex() + 5, bytes);
                answer.set(parser.parseFrom(bytes));
            } catch (NumberFormatException | InvalidProtocolBufferException e) {
                answer.setException(Status.INTERNAL.withDescription("unreadable answer").withCause(e).asRuntimeException());
            } finally {
                if (body != null) {
                    body.release();
                }
            }
        }

        void fail(Status status) {
            if (body != null) {
                body.release();
            }
            answer.setException(status.asRuntimeException());
        }
    }

    /** One HTTP/2 connection and its calls in flight, all touched on its event loop only. */
    private final class Connection extends ChannelInboundHandlerAdapter {
        private final IntObjectHashMap<Pending<?>> inFlight = new IntObjectHashMap<>();
        private final Map<String, Http2Headers> headersByPath = new HashMap<>();
        private Http2ConnectionHandler http2;
        private ChannelHandlerContext http2Context;
        private boolean flushQueued;
        volatile Channel channel;

        Http2ConnectionHandler handler() {
            http2 = new Http2ConnectionHandlerBuilder().server(false).frameListener(new Listener())
                    .initialSettings(Http2Settings.defaultSettings().initialWindowSize(1 << 20)).build();
            return http2;
        }

        void start(String path, byte[] frame, Pending<?> pending) {
            if (!channel.isActive()) {
                pending.fail(Status.UNAVAILABLE.withDescription("connection closed"));
                return;
            }
            if (http2Context == null) {
                http2Context = channel.pipeline().context(http2);
            }
            Http2Headers headers = headersByPath.computeIfAbsent(path, p -> new DefaultHttp2Headers().method(AsciiString.of("POST"))
                    .scheme(AsciiString.of("http")).path(AsciiString.of(p)).authority(AsciiString.of(authority))
                    .add(AsciiString.of("content-type"), AsciiString.of("application/grpc"))
                    .add(AsciiString.of("te"), AsciiString.of("trailers"))
                    .add(AsciiString.of("grpc-timeout"), AsciiString.of(timeout)));
            int id = http2.connection().local().incrementAndGetNextStreamId();
            inFlight.put(id, pending);
            http2.encoder().writeHeaders(http2Context, id, headers, 0, false, http2Context.voidPromise());
            http2.encoder().writeData(http2Context, id, Unpooled.wrappedBuffer(frame), 0, true, http2Context.voidPromise());
            // One flush for all the calls queued on this event loop together.
            if (!flushQueued) {
                flushQueued = true;
                channel.eventLoop().execute(() -> {
                    flushQueued = false;
                    channel.flush();
                });
            }
        }

        private void completed(int streamId, CharSequence grpcStatus, CharSequence grpcMessage, CharSequence retryPushback) {
            Pending<?> pending = inFlight.remove(streamId);
            if (pending != null) {
                pending.complete(grpcStatus, grpcMessage, retryPushback);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            for (Pending<?> pending : inFlight.values()) {
                pending.fail(Status.UNAVAILABLE.withDescription("connection closed"));
            }
            inFlight.clear();
            super.channelInactive(ctx);
        }

        private final class Listener extends Http2FrameAdapter {
            @Override
            public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
                Pending<?> pending = inFlight.get(streamId);
                if (pending != null) {
                    pending.data(data);
                }
                if (endOfStream) {
                    completed(streamId, null, "answer ended without trailers", null);
                }
                return data.readableBytes() + padding;
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding, boolean endStream) {
                if (endStream) {
                    completed(streamId, headers.get(GRPC_STATUS), headers.get(GRPC_MESSAGE), headers.get(GRPC_RETRY_PUSHBACK));
                }
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                    short weight, boolean exclusive, int padding, boolean endStream) {
                onHeadersRead(ctx, streamId, headers, padding, endStream);
            }

            @Override
            public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
                Pending<?> pending = inFlight.remove(streamId);
                if (pending != null) {
                    pending.fail(Status.UNAVAILABLE.withDescription("stream reset, HTTP/2 error " + errorCode));
                }
            }
        }
    }
}
